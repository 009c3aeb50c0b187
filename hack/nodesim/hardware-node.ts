// Reads and writes a simulated node's hardware model (the Node annotation sim.agentlab.dev/hardware)
// through the API, and fits a disk the way a person would (tests, docs/node-simulator.md).
import type { KubeConfig } from '@kubernetes/client-node';
import { KubeApiError, KubeClient } from '../../operators/runtime/kube.js';
import { HARDWARE_ANNOTATION, hardwareOf, parseDiskSize, withDisk, type SimHardware } from './hardware.js';

const NODES = { group: '', version: 'v1', plural: 'nodes', kind: 'Node', namespaced: false } as const;

const TRANSIENT = new Set([409, 429, 500, 503, 504]);

/** Retries what the API server says is transient, as a kubelet does, for up to about 10 s. */
async function retryTransient<T>(call: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (err) {
      if (!(err instanceof KubeApiError && TRANSIENT.has(err.code)) || attempt >= 20) throw err;
      await new Promise((r) => setTimeout(r, Math.min(1000, 50 * attempt)));
    }
  }
}

export function hardwareNodeClient(kc: KubeConfig) {
  const client = new KubeClient(kc);
  return {
    async read(node: string): Promise<SimHardware> {
      const n = await retryTransient(() => client.get<{ metadata?: { annotations?: Record<string, string> } }>(NODES, undefined, node));
      return hardwareOf(node, n.metadata?.annotations);
    },
    async write(node: string, hw: SimHardware): Promise<void> {
      await retryTransient(() => client.mergePatch(NODES, undefined, node, { metadata: { annotations: { [HARDWARE_ANNOTATION]: JSON.stringify(hw) } } }));
    },
  };
}

/** A person fits a disk in a simulated node: `size` like 4T, the serial as printed on the label. */
export async function addSimulatedDisk(kc: KubeConfig, node: string, disk: { size: string; serial: string; model?: string; health?: 'PASSED' | 'FAILED' }): Promise<SimHardware> {
  const nodes = hardwareNodeClient(kc);
  const hw = withDisk(await nodes.read(node), { sizeBytes: parseDiskSize(disk.size), serial: disk.serial, model: disk.model, health: disk.health });
  await nodes.write(node, hw);
  return hw;
}
