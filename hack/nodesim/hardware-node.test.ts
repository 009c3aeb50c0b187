import { KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServer, type EmbeddedApiServer } from '../apiserver/index.js';
import { KubeClient } from '../../operators/runtime/kube.js';
import { hardwareNodeClient } from './hardware-node.js';

// The simulated node reads its hardware model through the API (the step runner's run-commands
// role): a transient API error (500, 429) is retried as a kubelet retries, instead of failing the
// step the node was running (which a HardwareTask never runs twice).
let server: EmbeddedApiServer;
const kc = new KubeConfig();

beforeAll(async () => {
  server = await startApiServer({ host: '127.0.0.1', port: 0 });
  kc.loadFromString(server.kubeconfig());
  const c = new KubeClient(kc);
  await c.create({ group: '', version: 'v1', plural: 'nodes', kind: 'Node', namespaced: false }, { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' } });
  c.close();
});
afterAll(async () => {
  await server?.close();
});

describe('hardwareNodeClient', () => {
  it.each([500, 429] as const)('retries a transient %i on read and write', async (status) => {
    const nodes = hardwareNodeClient(kc);
    for (const verbs of [['get'], ['patch']] as const) {
      const remove = server.faults.addError({ verbs: [...verbs], resources: ['nodes'], rate: 1, status });
      setTimeout(remove, 300);
      const hw = await nodes.read('n1').then((h) => verbs[0] === 'patch' ? nodes.write('n1', h).then(() => h) : h);
      expect(hw.disks.length).toBeGreaterThan(0);
    }
  });
});
