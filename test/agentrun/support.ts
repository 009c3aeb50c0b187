import { readdir, readFile } from 'node:fs/promises';
import pino from 'pino';
import { atFileEnd } from '../harness/file-teardown.js';
import type { Cluster } from '../harness/cluster.js';
import { startOperator, type Operator } from '../../operators/manager.js';
import { KubeClient } from '../../operators/runtime/kube.js';
import { AGENTRUNS } from '../../operators/agentrun/resources.js';
import type { AgentRun } from '../../operators/agentrun/types.js';
import { compiledPath } from '../../hack/nodesim/compiled.js';
import { ROUTER_PORT, ROUTER_POD_LABELS, startLaneFixture, type LaneFixture } from '../lanes/support.js';

export interface AgentRunFixture {
  lanes: LaneFixture;
  operator: Operator;
  /** The operator's log lines (pino JSON, debug level), for checking what it does and does not log. */
  operatorLogs: string[];
  client: KubeClient;
  /** A namespace bound to the private lane (local Ollama only). */
  ns: string;
  apply(name: string, spec: Record<string, unknown>, namespace?: string): Promise<void>;
  get(name: string, namespace?: string): Promise<AgentRun>;
  /** Waits until the run's phase is one of `phases` and returns it. */
  waitForPhase(name: string, phases: string[], timeoutMs?: number, namespace?: string): Promise<AgentRun>;
}

/**
 * The lane fixture (router, fake model servers, seed lanes) plus an operator running the AgentRun
 * controller as `agentlab run -n <ns> --router-namespace ... --router-url ...` starts it:
 * production defaults, restricted to the fixture's namespaces and LanePolicies.
 */
export async function startAgentRunFixture(cluster: Cluster): Promise<AgentRunFixture> {
  const lanes = await startLaneFixture(cluster);
  const operatorLogs: string[] = [];
  const operator = await startOperator({
    kubeConfig: cluster.kc, logger: pino({ level: 'debug' }, { write: (line: string) => operatorLogs.push(line) }),
    namespaces: Object.values(lanes.ns), labelSelector: lanes.selector,
    controllers: ['agentrun'],
    router: { namespace: lanes.routerNs, podLabels: ROUTER_POD_LABELS, port: ROUTER_PORT },
    routerUrl: lanes.router.url,
  });
  const client = new KubeClient(cluster.kc);
  atFileEnd(async () => {
    await operator.stop();
    client.close();
    await lanes.stop();
  });
  const ns = lanes.ns.private;
  const get = (name: string, namespace = ns) => client.get<AgentRun>(AGENTRUNS, namespace, name);
  return {
    lanes, operator, operatorLogs, client, ns, get,
    async apply(name, spec, namespace = ns) {
      await cluster.applyYaml(JSON.stringify({ apiVersion: 'agentlab.dev/v1alpha1', kind: 'AgentRun', metadata: { name, namespace }, spec }));
    },
    waitForPhase(name, phases, timeoutMs = 60_000, namespace = ns) {
      return cluster.waitFor(async () => {
        const r = await get(name, namespace);
        return phases.includes(r.status?.phase ?? '') ? r : undefined;
      }, { timeoutMs, intervalMs: 200, what: `AgentRun ${namespace}/${name} to reach ${phases.join(' or ')}` });
    },
  };
}

export const condition = (r: AgentRun, type: string) => r.status?.conditions?.find((c) => c.type === type);

/**
 * The process the node simulator runs for a pod's runtime-image container (hack/nodesim/containers.ts
 * spawns it with HOSTNAME=<pod>), found through /proc: a test kills or stops it the way the kernel
 * would (OOM, a crash), without telling the kubelet.
 */
export async function simulatedPodPid(podName: string, entrypoint = 'operators/agent-runner/main.ts'): Promise<number | undefined> {
  // The simulator runs the entrypoint compiled (main.js in its mirror, hack/nodesim/compiled.ts) or through tsx (main.ts).
  const files = [entrypoint, compiledPath(entrypoint)];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8');
      if (!cmdline.split('\0').some((arg) => files.some((f) => arg.endsWith(`/${f}`)))) continue;
      const environ = (await readFile(`/proc/${entry}/environ`, 'utf8')).split('\0');
      if (environ.includes(`HOSTNAME=${podName}`)) return Number(entry);
    } catch {
      // the process ended meanwhile, or is not ours to read
    }
  }
  return undefined;
}
