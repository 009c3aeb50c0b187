import { describe, expect, it } from 'vitest';
import { useCluster } from '../harness/cluster.js';
import { MODELSERVERS } from '../../operators/modelserver/types.js';
import { client, condition, deployment, modelServerYaml, operatorFor, waitForReady } from './support.js';

const cluster = useCluster();

type Pod = { metadata: { name: string; uid: string; deletionTimestamp?: string } };

describe('spec changes', () => {
  it('roll the Deployment, and replicas 0 stops the server without an error', async () => {
    const ns = await cluster.newNamespace('ms-change');
    await operatorFor(cluster, ns);
    const c = client(cluster);
    await cluster.applyYaml(modelServerYaml('svc', { models: [{ name: 'qwen2.5:0.5b' }] }), { namespace: ns });
    await waitForReady(cluster, c, ns, 'svc', (r) => r?.status === 'True');
    const before = await deployment(c, ns, 'svc');
    const podsBefore = (await c.request<{ items: Pod[] }>(`/api/v1/namespaces/${ns}/pods`, { query: { labelSelector: 'agentlab.dev/modelserver=svc' } })).items;
    expect(podsBefore).toHaveLength(1);

    await c.mergePatch(MODELSERVERS, ns, 'svc', { spec: { ollama: { keepAlive: '30m' }, models: [{ name: 'qwen2.5:0.5b' }, { name: 'llama3.2:3b' }] } });
    const after = await waitForReady(cluster, c, ns, 'svc', (r, ms) => r?.status === 'True' && ms.status?.observedGeneration === ms.metadata?.generation && ms.status?.modelsReady === '2/2', 60_000);
    expect(after.metadata?.generation).toBe(2);
    const dep = await deployment(c, ns, 'svc');
    expect(dep.metadata?.generation).toBeGreaterThan(before.metadata!.generation!);
    expect(dep.spec.template.spec.containers[0].env).toContainEqual({ name: 'OLLAMA_KEEP_ALIVE', value: '30m' });
    const podsAfter = await cluster.waitFor(async () => {
      const items = (await c.request<{ items: Pod[] }>(`/api/v1/namespaces/${ns}/pods`, { query: { labelSelector: 'agentlab.dev/modelserver=svc' } })).items.filter((p) => !p.metadata.deletionTimestamp);
      return items.length === 1 && items[0].metadata.uid !== podsBefore[0].metadata.uid ? items : undefined;
    }, { what: 'the rolled pod' });
    expect(podsAfter[0].metadata.name).not.toBe(podsBefore[0].metadata.name);

    await c.mergePatch(MODELSERVERS, ns, 'svc', { spec: { replicas: 0 } });
    const stopped = await waitForReady(cluster, c, ns, 'svc', (r) => r?.reason === 'Stopped');
    expect(condition(stopped, 'Ready')).toMatchObject({ status: 'True', message: 'stopped (replicas: 0); the model cache is kept' });
    expect(condition(stopped, 'Stalled')).toBeUndefined();
    expect((await deployment(c, ns, 'svc')).spec.replicas).toBe(0);
    const row = (await cluster.kubectl(['get', 'ms', 'svc', '-n', ns, '--no-headers'])).stdout;
    expect(row).toMatch(/\sTrue\s+stopped \(replicas: 0\)/);
  });
});
