import { describe, expect, it } from 'vitest';
import { useCluster } from '../harness/cluster.js';
import { isNotFound } from '../../operators/runtime/kube.js';
import { DEPLOYMENTS, MODELSERVERS, PVCS, SERVICES } from '../../operators/modelserver/types.js';
import { client, modelServerYaml, operatorFor, waitForReady } from './support.js';

const cluster = useCluster();

describe('deleting a ModelServer', () => {
  let ns: string;
  let c: ReturnType<typeof client>;
  const children = [[PVCS, 'gone-cache'], [SERVICES, 'gone'], [DEPLOYMENTS, 'gone']] as const;

  it('gives every child a controller owner reference and no finalizer, and deletes the ModelServer', async () => {
    ns = await cluster.newNamespace('ms-delete');
    await operatorFor(cluster, ns);
    c = client(cluster);
    await cluster.applyYaml(modelServerYaml('gone', { models: [{ name: 'qwen2.5:0.5b' }] }), { namespace: ns });
    const ms = await waitForReady(cluster, c, ns, 'gone', (r) => r?.status === 'True');
    for (const [res, name] of children) {
      const child = await c.get(res, ns, name);
      expect(child.metadata?.ownerReferences).toEqual([{ apiVersion: 'agentlab.dev/v1alpha1', kind: 'ModelServer', name: 'gone', uid: ms.metadata!.uid, controller: true, blockOwnerDeletion: true }]);
    }
    expect(ms.metadata?.finalizers ?? []).toEqual([]); // garbage collection is enough: no finalizer to get stuck on

    await cluster.kubectl(['delete', 'modelserver', 'gone', '-n', ns, '--wait=true', '--timeout=30s']);
    await expect(c.get(MODELSERVERS, ns, 'gone')).rejects.toSatisfy(isNotFound);
  });

  // envtest runs no garbage collector; the owner references checked above are what it would act on.
  it.runIf(cluster.controllers)('lets the garbage collector remove every child (needs kube-controller-manager)', async () => {
    expect(ns, 'the previous test created the ModelServer').toBeDefined();
    for (const [res, name] of children) {
      await cluster.waitFor(async () => {
        try { await c.get(res, ns, name); return false; } catch (err) { return isNotFound(err); }
      }, { what: `${res.kind} ${name} to be garbage collected`, timeoutMs: 30_000 });
    }
  });
});
