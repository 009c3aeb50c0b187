// The simulator's network end to end on the embedded API server: published pod endpoints,
// simulatedServiceAccess following a Service to them, and the fake Ollama configured by env.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CoreV1Api, KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { Ollama } from 'ollama';
import pino from 'pino';
import { startApiServer, type EmbeddedApiServer } from '../apiserver/index.js';
import { ENDPOINTS_ANNOTATION, HOMELAB_NODES, simulatedServiceAccess, startNodeSimulator, type NodeSimulator } from './index.js';

let server: EmbeddedApiServer;
let sim: NodeSimulator;
let core: CoreV1Api;
let kubeConfig: KubeConfig;
const ns = 'simnet';
const port = { name: 'http', port: 11434 };

async function eventually<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function ollamaPod(name: string, env: { name: string; value: string }[]): V1Pod {
  return {
    apiVersion: 'v1', kind: 'Pod', metadata: { name, labels: { app: name } },
    spec: { containers: [{ name: 'ollama', image: 'ollama/ollama:0.12.6', env, ports: [{ name: 'http', containerPort: 11434 }] }] },
  };
}

beforeAll(async () => {
  const logger = pino({ level: 'silent' });
  server = await startApiServer({ logger });
  kubeConfig = new KubeConfig();
  kubeConfig.loadFromString(server.kubeconfig());
  core = kubeConfig.makeApiClient(CoreV1Api);
  sim = await startNodeSimulator({ kubeConfig, nodes: HOMELAB_NODES, logger });
  await core.createNamespace({ body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } } });
}, 30_000);

afterAll(async () => {
  await sim?.stop();
  await server?.close();
});

describe("the simulator's network", () => {
  it('publishes the pod endpoint, routes a Service to it, and applies SIM_OLLAMA_FAIL_PULLS', async () => {
    await core.createNamespacedPod({ namespace: ns, body: ollamaPod('flaky', [{ name: 'SIM_OLLAMA_FAIL_PULLS', value: '1' }]) });
    await core.createNamespacedService({ namespace: ns, body: { apiVersion: 'v1', kind: 'Service', metadata: { name: 'flaky' }, spec: { selector: { app: 'flaky' }, ports: [{ name: 'http', port: 11434, targetPort: 'http' }] } } });
    const access = simulatedServiceAccess(kubeConfig);
    const ep = await eventually('a route to the ready pod', () => access.base(ns, 'flaky', port));
    const pod = await core.readNamespacedPod({ name: 'flaky', namespace: ns });
    expect(JSON.parse(pod.metadata!.annotations![ENDPOINTS_ANNOTATION])).toEqual({ 11434: ep.url });
    expect(ep.url).toBe(`http://127.0.0.1:${sim.fakes.forPod(ns, 'flaky')!.server.port}`);

    const client = new Ollama({ host: ep.url, fetch: ep.fetch });
    await expect(client.pull({ model: 'qwen2.5:0.5b' })).rejects.toThrow(/connection reset by peer$/);
    await client.pull({ model: 'qwen2.5:0.5b' });
    expect((await client.list()).models.map((m) => m.name)).toEqual(['qwen2.5:0.5b']);

    await core.deleteNamespacedPod({ name: 'flaky', namespace: ns });
    await eventually('no route once the pod is gone', () => access.base(ns, 'flaky', port).then(() => false, (err: Error) => err.message));
    await expect(access.base(ns, 'flaky', port)).rejects.toThrow(`service ${ns}/flaky has no ready simulated pod serving port "http"`);
  });

  it('keeps a container with a malformed SIM_OLLAMA_* value waiting, with a message naming it', async () => {
    await core.createNamespacedPod({ namespace: ns, body: ollamaPod('bad', [{ name: 'SIM_OLLAMA_PULL_MS', value: 'fast' }]) });
    const waiting = await eventually('the container to be waiting', async () =>
      (await core.readNamespacedPod({ name: 'bad', namespace: ns })).status?.containerStatuses?.[0]?.state?.waiting?.message);
    expect(waiting).toBe('SIM_OLLAMA_PULL_MS="fast": the delay must be a non-negative integer');
  });
});
