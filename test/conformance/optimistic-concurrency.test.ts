import { beforeAll, describe, expect, it } from 'vitest';
import { useCluster } from '../harness/cluster.js';
import { configMap, configMapsPath, expectStatus, ok, statusOf, widget, widgetsPath } from './support.js';

// resourceVersion is an opaque token for optimistic concurrency: an update carrying a stale
// one is refused with 409 Conflict, so two writers cannot silently overwrite each other.
const cluster = useCluster();
let ns: string;

beforeAll(async () => {
  ns = await cluster.newNamespace('occ');
});

describe('optimistic concurrency', () => {
  it('an update with a stale resourceVersion is 409 Conflict', async () => {
    const created = ok(await cluster.request({ method: 'POST', path: configMapsPath(ns), body: configMap('race', { v: '0' }) }));
    const first = { ...created, data: { v: '1' } };
    const second = { ...created, data: { v: '2' } };
    ok(await cluster.request({ method: 'PUT', path: configMapsPath(ns, 'race'), body: first }));
    const res = await cluster.request({ method: 'PUT', path: configMapsPath(ns, 'race'), body: second });
    expectStatus(res, 409);
    const status = statusOf(res);
    expect(status.reason).toBe('Conflict');
    expect(status.details?.name).toBe('race');
    const stored = ok(await cluster.request({ path: configMapsPath(ns, 'race') }));
    expect(stored.data).toEqual({ v: '1' });
  });

  it('resourceVersion changes on every write and never on a read', async () => {
    const a = ok(await cluster.request({ path: configMapsPath(ns, 'race') }));
    const b = ok(await cluster.request({ path: configMapsPath(ns, 'race') }));
    expect(b.metadata.resourceVersion).toBe(a.metadata.resourceVersion);
    const c = ok(await cluster.request({ method: 'PUT', path: configMapsPath(ns, 'race'), body: { ...b, data: { v: '3' } } }));
    expect(c.metadata.resourceVersion).not.toBe(b.metadata.resourceVersion);
  });

  it('a ConfigMap update without resourceVersion is unconditional', async () => {
    const current = ok(await cluster.request({ path: configMapsPath(ns, 'race') }));
    delete current.metadata.resourceVersion;
    const updated = ok(await cluster.request({ method: 'PUT', path: configMapsPath(ns, 'race'), body: { ...current, data: { v: 'forced' } } }));
    expect(updated.data).toEqual({ v: 'forced' });
  });

  it('a custom resource update without resourceVersion is 422 (custom resources never allow unconditional updates)', async () => {
    const created = ok(await cluster.request({ method: 'POST', path: widgetsPath(ns), body: widget('w', { size: 1 }) }));
    delete created.metadata.resourceVersion;
    created.spec.size = 2;
    const res = await cluster.request({ method: 'PUT', path: widgetsPath(ns, 'w'), body: created });
    expectStatus(res, 422);
    expect(statusOf(res).details?.causes?.some((c) => c.field === 'metadata.resourceVersion')).toBe(true);
  });

  it('a delete with a stale resourceVersion precondition is 409 Conflict', async () => {
    const current = ok(await cluster.request({ path: widgetsPath(ns, 'w') }));
    ok(await cluster.request({ method: 'PUT', path: widgetsPath(ns, 'w'), body: { ...current, spec: { size: 5 } } }));
    const res = await cluster.request({
      method: 'DELETE',
      path: widgetsPath(ns, 'w'),
      body: { apiVersion: 'v1', kind: 'DeleteOptions', preconditions: { resourceVersion: current.metadata.resourceVersion } },
    });
    expectStatus(res, 409);
    expect(statusOf(res).reason).toBe('Conflict');
  });

  it('a delete with a wrong uid precondition is 409 Conflict', async () => {
    const res = await cluster.request({
      method: 'DELETE',
      path: widgetsPath(ns, 'w'),
      body: { apiVersion: 'v1', kind: 'DeleteOptions', preconditions: { uid: '00000000-0000-0000-0000-000000000000' } },
    });
    expectStatus(res, 409);
    expect(statusOf(res).reason).toBe('Conflict');
  });
});
