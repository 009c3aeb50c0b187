import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { useCluster } from '../harness/cluster.js';
import { startOperator } from '../../operators/manager.js';
import { startRouter } from '../../operators/router/server.js';
import { condition, getLane } from './support.js';

const cluster = useCluster();
const logger = pino({ level: process.env.AGENTLAB_TEST_LOG_LEVEL ?? 'silent' });
const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

describe('a private lane on a ModelServer', () => {
  // Needs pods that serve: the node simulator runs a fake Ollama for them. On a real cluster the
  // pod would pull the real Ollama image and a 5 GB model, which is not a test.
  it.runIf(cluster.nodeSimulator)('reaches the ModelServer through its Service (cluster.serviceAccess: the service proxy, or the simulator\'s network where kube-apiserver refuses loopback Endpoints) and fails closed when it stops', async () => {
    const id = randomBytes(3).toString('hex');
    const selector = `lanes.test.agentlab.dev/fixture=${id}`;
    const msNs = await cluster.newNamespace('lanes-ms');
    const laneNs = await cluster.newNamespace('lanes-ms-private');
    const operator = await startOperator({
      kubeConfig: cluster.kc, logger, namespaces: [msNs, laneNs], labelSelector: selector,
      // Both controllers as `agentlab run` loads them, with the dependencies it passes.
      controllers: ['modelserver', 'lanepolicy'], serviceAccess: cluster.serviceAccess, router: { namespace: msNs, podLabels: { app: 'router' }, port: 8080 },
    });
    cleanups.push(() => operator.stop());
    await cluster.applyYaml(JSON.stringify({
      apiVersion: 'agentlab.dev/v1alpha1', kind: 'ModelServer', metadata: { name: 'ollama-3060' },
      spec: { runtime: 'ollama', models: [{ name: 'llama3.1:8b' }], resources: { requests: { cpu: '1', memory: '1Gi' } } },
    }), { namespace: msNs });
    await cluster.kubectl(['wait', '-n', msNs, '--for=condition=Ready', 'modelserver/ollama-3060', '--timeout=60s'], { timeoutMs: 70_000 });

    const lane = `private-ms-${id}`;
    await cluster.applyYaml(JSON.stringify({
      apiVersion: 'agentlab.dev/v1alpha1', kind: 'LanePolicy', metadata: { name: lane, labels: { 'lanes.test.agentlab.dev/fixture': id } },
      spec: { namespaceSelector: { matchLabels: { 'lanes.test.agentlab.dev/lane': lane } }, allowCloud: false, providers: [{ name: 'local-llama', modelServerRef: { name: 'ollama-3060', namespace: msNs }, models: { chat: 'llama3.1:8b' } }], fallback: { timeout: '5s' } },
    }));
    // Deleted while the operator runs, which releases its finalizer after fencing the namespace.
    cleanups.push(async () => {
      await cluster.request({ method: 'DELETE', path: `/apis/agentlab.dev/v1alpha1/lanepolicies/${lane}` });
      await cluster.waitFor(async () => (await cluster.request({ path: `/apis/agentlab.dev/v1alpha1/lanepolicies/${lane}` })).status === 404, { what: 'lane finalized' });
    });
    await cluster.request({ method: 'PATCH', path: `/api/v1/namespaces/${laneNs}`, contentType: 'application/merge-patch+json', body: { metadata: { labels: { 'lanes.test.agentlab.dev/lane': lane } } } });

    const ready = await cluster.waitFor(async () => {
      const l = await getLane(cluster, lane);
      return condition(l, 'Ready')?.status === 'True' ? l : undefined;
    }, { what: 'lane Ready' });
    expect(ready.status!.providers).toEqual([{ name: 'local-llama', locality: 'local', ready: true, endpoint: `http://ollama-3060.${msNs}.svc:11434` }]);

    const router = await startRouter({ kubeConfig: cluster.kc, logger, laneSelector: selector, namespace: msNs, flushIntervalMs: 200, serviceAccess: cluster.serviceAccess });
    cleanups.push(() => router.stop());
    const token = randomBytes(32).toString('base64url');
    await cluster.core.createNamespacedSecret({ namespace: laneNs, body: { apiVersion: 'v1', kind: 'Secret', type: 'agentlab.dev/router-token', metadata: { name: 'run-token', labels: { 'agentlab.dev/router-token': 'true', 'agentlab.dev/run': 'run' } }, data: { token: Buffer.from(token).toString('base64') } } });
    const ask = () => fetch(`${router.url}/api/chat`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: JSON.stringify({ model: 'chat', messages: [{ role: 'user', content: 'hello' }], stream: false }) });
    const ok = await cluster.waitFor(async () => {
      const r = await ask();
      return r.status === 200 ? r : undefined;
    }, { what: 'an answer from the ModelServer through the router' });
    expect(((await ok.json()) as { message: { content: string } }).message.content.length).toBeGreaterThan(0);

    // Stopping the server: the lane reports it, and the private lane answers 503 (there is nothing else to try).
    await cluster.request({ method: 'PATCH', path: `/apis/agentlab.dev/v1alpha1/namespaces/${msNs}/modelservers/ollama-3060`, contentType: 'application/merge-patch+json', body: { spec: { replicas: 0 } } });
    await cluster.waitFor(async () => condition(await getLane(cluster, lane), 'ProvidersReady')?.status === 'False', { what: 'ProvidersReady False' });
    const refused = await cluster.waitFor(async () => {
      const r = await ask();
      return r.status === 503 ? r : undefined;
    }, { what: '503 from the private lane' });
    expect(((await refused.json()) as { category: string }).category).toBe('upstream');
  });
});
