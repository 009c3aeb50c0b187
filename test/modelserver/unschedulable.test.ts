import { describe, expect, it } from 'vitest';
import { useCluster } from '../harness/cluster.js';
import { isNotFound } from '../../operators/runtime/kube.js';
import { DEPLOYMENTS, MODELSERVERS, type ModelServer } from '../../operators/modelserver/types.js';
import { client, condition, events, modelServerYaml, operatorFor, waitForReady } from './support.js';

const cluster = useCluster();

describe('a GPU request that no node can satisfy', () => {
  it('reports Scheduled=False and Stalled with a suggestion a person can act on', async () => {
    const ns = await cluster.newNamespace('ms-nofit');
    await operatorFor(cluster, ns);
    const c = client(cluster);
    await cluster.applyYaml(modelServerYaml('big', { models: [{ name: 'llama3.1:8b' }], gpu: { count: 1, minMemory: '16Gi' } }), { namespace: ns });

    const ms = await waitForReady(cluster, c, ns, 'big', (r) => r?.status === 'False');
    const expected = 'needs 1 GPU with >= 16 GiB; chief-horse has a free NVIDIA GeForce RTX 3060 with 12 GiB; still-fawn has a free NVIDIA GeForce RTX 3070 with 8 GiB';
    expect(condition(ms, 'Scheduled')).toMatchObject({ status: 'False', reason: 'Unschedulable', message: expected });
    expect(condition(ms, 'Stalled')).toMatchObject({ status: 'True', reason: 'Unschedulable' });
    expect(condition(ms, 'Reconciling')).toBeUndefined();
    expect(ms.status?.observedGeneration).toBe(ms.metadata?.generation);
    expect(ms.status?.placement?.suggestion).toBe(expected);
    expect(ms.status?.placement?.candidates?.find((x) => x.node === 'still-fawn')?.reason).toBe('GPU has 8 GiB, needs 16 GiB');
    // Nothing serves: no endpoint is advertised (the Service exists, but has no pod behind it).
    expect(ms.status?.endpoint).toBeUndefined();
    expect(ms.status?.node).toBeUndefined();

    const table = await cluster.kubectl(['get', 'ms', 'big', '-n', ns, '--no-headers']);
    expect(table.stdout).toMatch(/^big\s+ollama\s+(<none>\s+)?0\/1\s+False\s+needs 1 GPU with >= 16 GiB; chief-horse has a free/);

    await expect(c.get(DEPLOYMENTS, ns, 'big')).rejects.toSatisfy(isNotFound);
    const evs = await cluster.waitFor(async () => {
      const e = await events(c, ns, 'big');
      return e.find((x) => x.reason === 'Unschedulable') ? e : undefined;
    });
    expect(evs.find((x) => x.reason === 'Unschedulable')).toMatchObject({ type: 'Warning', message: expected });
  });

  it('places a waiting server as soon as stopping another one frees the GPU', async () => {
    const ns = await cluster.newNamespace('ms-free');
    await operatorFor(cluster, ns);
    const c = client(cluster);
    const gpu = { count: 1, minMemory: '12Gi' };
    await cluster.applyYaml(modelServerYaml('holder', { models: [{ name: 'llama3.1:8b' }], gpu }), { namespace: ns });
    await cluster.waitFor(async () => (await c.get<ModelServer>(MODELSERVERS, ns, 'holder')).status?.node === 'chief-horse');
    await cluster.applyYaml(modelServerYaml('waiting', { models: [{ name: 'llama3.1:8b' }], gpu }), { namespace: ns });
    const waiting = await waitForReady(cluster, c, ns, 'waiting', (r) => r?.reason === 'Unschedulable');
    expect(waiting.status?.endpoint).toBeUndefined();
    expect(condition(waiting, 'Scheduled')?.message).toBe(`needs 1 GPU with >= 12 GiB; stop ModelServer ${ns}/holder on chief-horse to free one; still-fawn has a free NVIDIA GeForce RTX 3070 with 8 GiB`);

    await c.mergePatch(MODELSERVERS, ns, 'holder', { spec: { replicas: 0 } });
    const placed = await cluster.waitFor(async () => {
      const ms = await c.get<ModelServer>(MODELSERVERS, ns, 'waiting');
      return condition(ms, 'Scheduled')?.status === 'True' ? ms : undefined;
    }, { what: 'the waiting server to be placed' });
    expect(placed.status?.node).toBe('chief-horse');
    expect(condition(placed, 'Stalled')).toBeUndefined();
    // Once its pod serves, the endpoint appears; the stopped holder advertises none.
    const serving = await waitForReady(cluster, c, ns, 'waiting', (r) => r?.status === 'True');
    expect(serving.status?.endpoint).toBe(`http://waiting.${ns}.svc:11434`);
    const stopped = await waitForReady(cluster, c, ns, 'holder', (r) => r?.reason === 'Stopped');
    expect(stopped.status?.endpoint).toBeUndefined();
  });
});
