import { beforeAll, describe, expect, it } from 'vitest';
import { useCluster } from '../harness/cluster.js';
import { expectStatus, ok, statusOf, widget, widgetsPath } from './support.js';

// A DELETE of an object with finalizers only marks it (deletionTimestamp); the object goes
// away when the last finalizer is removed. No new finalizer may be added once it is marked.
const cluster = useCluster();
const HOLD = 'conformance.agentlab.dev/hold';
let ns: string;

beforeAll(async () => {
  ns = await cluster.newNamespace('finalizers');
});

describe('finalizers and deletionTimestamp', () => {
  it('DELETE sets deletionTimestamp and keeps the object while a finalizer remains', async () => {
    ok(await cluster.request({ method: 'POST', path: widgetsPath(ns), body: widget('f', { size: 1 }, { finalizers: [HOLD] }) }));
    const del = await cluster.request({ method: 'DELETE', path: widgetsPath(ns, 'f') });
    expect([200, 202]).toContain(del.status);
    const marked = ok(await cluster.request({ path: widgetsPath(ns, 'f') }));
    expect(marked.metadata.deletionTimestamp).toBeTruthy();
    expect(marked.metadata.deletionGracePeriodSeconds).toBe(0);
    expect(marked.metadata.finalizers).toEqual([HOLD]);
  });

  it('a second DELETE leaves the deletionTimestamp unchanged', async () => {
    const before = ok(await cluster.request({ path: widgetsPath(ns, 'f') }));
    await cluster.request({ method: 'DELETE', path: widgetsPath(ns, 'f') });
    const after = ok(await cluster.request({ path: widgetsPath(ns, 'f') }));
    expect(after.metadata.deletionTimestamp).toBe(before.metadata.deletionTimestamp);
  });

  it('adding a new finalizer to an object being deleted is refused (422)', async () => {
    const res = await cluster.request({
      method: 'PATCH',
      path: widgetsPath(ns, 'f'),
      body: { metadata: { finalizers: [HOLD, 'conformance.agentlab.dev/another'] } },
      contentType: 'application/merge-patch+json',
    });
    expectStatus(res, 422);
    expect(statusOf(res).reason).toBe('Invalid');
  });

  it('the spec can still be updated while the object is being deleted', async () => {
    const patched = ok(
      await cluster.request({ method: 'PATCH', path: widgetsPath(ns, 'f'), body: { spec: { size: 4 } }, contentType: 'application/merge-patch+json' }),
    );
    expect(patched.spec.size).toBe(4);
  });

  it('removing the last finalizer deletes the object', async () => {
    const watchFrom = ok(await cluster.request({ path: widgetsPath(ns, 'f') })).metadata.resourceVersion;
    const watch = await cluster.watch(`${widgetsPath(ns)}?fieldSelector=metadata.name%3Df&resourceVersion=${watchFrom}`);
    ok(await cluster.request({ method: 'PATCH', path: widgetsPath(ns, 'f'), body: { metadata: { finalizers: null } }, contentType: 'application/merge-patch+json' }));
    const deleted = await watch.until((e) => e.type === 'DELETED');
    expect(deleted.object.metadata.name).toBe('f');
    watch.close();
    expectStatus(await cluster.request({ path: widgetsPath(ns, 'f') }), 404);
  });

  it('an object without finalizers is deleted at once', async () => {
    ok(await cluster.request({ method: 'POST', path: widgetsPath(ns), body: widget('quick') }));
    ok(await cluster.request({ method: 'DELETE', path: widgetsPath(ns, 'quick') }));
    expectStatus(await cluster.request({ path: widgetsPath(ns, 'quick') }), 404);
  });
});
