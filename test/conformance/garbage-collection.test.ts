import { beforeAll, describe, expect, it } from 'vitest';
import { useCluster } from '../harness/cluster.js';
import { configMap, configMapsPath, ok, widget, widgetsPath, WIDGET_API_VERSION } from './support.js';

// The garbage collector deletes dependents whose owners are all gone (background cascade,
// the default) and leaves dependents that still have an owner. It runs in
// kube-controller-manager, so these tests need a backend with controllers (not envtest).
// The collector watches a custom resource only once its periodic discovery sync (every 30 s)
// has seen the CRD, so its waits allow for one sync on top of the collection itself.
const GC_WAIT_MS = 60_000;
const cluster = useCluster();
let ns: string;

beforeAll(async () => {
  ns = await cluster.newNamespace('gc');
});

function ownerRef(owner: any): Record<string, unknown> {
  return { apiVersion: owner.apiVersion, kind: owner.kind, name: owner.metadata.name, uid: owner.metadata.uid };
}

describe.runIf(cluster.controllers)('ownerReference garbage collection (needs kube-controller-manager)', () => {
  it('deleting the owner deletes its dependents in the background', async () => {
    const owner = ok(await cluster.request({ method: 'POST', path: widgetsPath(ns), body: widget('owner') }));
    expect(owner.apiVersion).toBe(WIDGET_API_VERSION);
    ok(await cluster.request({ method: 'POST', path: configMapsPath(ns), body: configMap('child-a', {}, { ownerReferences: [ownerRef(owner)] }) }));
    ok(await cluster.request({ method: 'POST', path: widgetsPath(ns), body: widget('child-b', { size: 1 }, { ownerReferences: [ownerRef(owner)] }) }));

    const del = await cluster.request({ method: 'DELETE', path: widgetsPath(ns, 'owner'), body: { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Background' } });
    expect(del.status).toBe(200);
    expect((await cluster.request({ path: widgetsPath(ns, 'owner') })).status).toBe(404);
    await cluster.waitFor(async () => (await cluster.request({ path: configMapsPath(ns, 'child-a') })).status === 404, {
      what: 'ConfigMap child-a to be garbage collected',
      timeoutMs: GC_WAIT_MS,
    });
    await cluster.waitFor(async () => (await cluster.request({ path: widgetsPath(ns, 'child-b') })).status === 404, {
      what: 'Widget child-b to be garbage collected',
      timeoutMs: GC_WAIT_MS,
    });
  }, 2 * GC_WAIT_MS + 10_000);

  it('a dependent with another live owner survives', async () => {
    const first = ok(await cluster.request({ method: 'POST', path: configMapsPath(ns), body: configMap('owner-1') }));
    const second = ok(await cluster.request({ method: 'POST', path: configMapsPath(ns), body: configMap('owner-2') }));
    for (const o of [first, second]) {
      o.apiVersion = 'v1';
      o.kind = 'ConfigMap';
    }
    ok(await cluster.request({ method: 'POST', path: configMapsPath(ns), body: configMap('shared', {}, { ownerReferences: [ownerRef(first), ownerRef(second)] }) }));
    ok(await cluster.request({ method: 'DELETE', path: configMapsPath(ns, 'owner-1') }));
    // Give the collector time to act on the deletion; the dependent must still be there.
    const sentinel = ok(await cluster.request({ method: 'POST', path: configMapsPath(ns), body: configMap('sentinel', {}, { ownerReferences: [ownerRef(first)] }) }));
    expect(sentinel.metadata.name).toBe('sentinel');
    await cluster.waitFor(async () => (await cluster.request({ path: configMapsPath(ns, 'sentinel') })).status === 404, {
      what: 'a dependent of an already deleted owner to be collected',
      timeoutMs: GC_WAIT_MS,
    });
    const shared = ok(await cluster.request({ path: configMapsPath(ns, 'shared') }));
    expect(shared.metadata.deletionTimestamp).toBeUndefined();
  }, GC_WAIT_MS + 10_000);
});
