import { beforeAll, describe, expect, it } from 'vitest';
import { useCluster } from '../harness/cluster.js';
import { ok, widget, widgetsPath } from './support.js';

// With a status subresource, the main resource and /status own disjoint parts of the object:
// writes to the main resource ignore status, writes to /status ignore everything but status.
const cluster = useCluster();
let ns: string;

beforeAll(async () => {
  ns = await cluster.newNamespace('status');
});

describe('status subresource', () => {
  it('status sent on create is dropped', async () => {
    const body = { ...widget('s', { size: 1 }), status: { phase: 'Invented' } };
    const created = ok(await cluster.request({ method: 'POST', path: widgetsPath(ns), body }));
    expect(created.status?.phase).toBeUndefined();
  });

  it('an update of the main resource ignores status changes', async () => {
    const current = ok(await cluster.request({ path: widgetsPath(ns, 's') }));
    const updated = ok(
      await cluster.request({ method: 'PUT', path: widgetsPath(ns, 's'), body: { ...current, spec: { size: 2 }, status: { phase: 'Sneaky' } } }),
    );
    expect(updated.spec.size).toBe(2);
    expect(updated.status?.phase).toBeUndefined();
  });

  it('an update of /status changes status and ignores spec changes', async () => {
    const current = ok(await cluster.request({ path: widgetsPath(ns, 's') }));
    const updated = ok(
      await cluster.request({
        method: 'PUT',
        path: widgetsPath(ns, 's', 'status'),
        body: { ...current, spec: { size: 99 }, status: { phase: 'Ready', replicas: 1 } },
      }),
    );
    expect(updated.status).toMatchObject({ phase: 'Ready', replicas: 1 });
    expect(updated.spec.size).toBe(2);
    const stored = ok(await cluster.request({ path: widgetsPath(ns, 's') }));
    expect(stored.spec.size).toBe(2);
    expect(stored.status.phase).toBe('Ready');
  });

  it('GET /status returns the whole object', async () => {
    const got = ok(await cluster.request({ path: widgetsPath(ns, 's', 'status') }));
    expect(got.kind).toBe('Widget');
    expect(got.spec.size).toBe(2);
    expect(got.status.phase).toBe('Ready');
  });

  it('a merge patch of /status changes only status', async () => {
    const patched = ok(
      await cluster.request({
        method: 'PATCH',
        path: widgetsPath(ns, 's', 'status'),
        body: { spec: { size: 50 }, status: { phase: 'Degraded' } },
        contentType: 'application/merge-patch+json',
      }),
    );
    expect(patched.status.phase).toBe('Degraded');
    expect(patched.spec.size).toBe(2);
  });

  it('status is validated against the schema', async () => {
    const res = await cluster.request({
      method: 'PATCH',
      path: widgetsPath(ns, 's', 'status'),
      body: { status: { conditions: [{ type: 'Ready', status: 'Maybe' }] } },
      contentType: 'application/merge-patch+json',
    });
    expect(res.status).toBe(422);
    expect(res.json().details.causes.some((c: { field: string }) => c.field === 'status.conditions[0].status')).toBe(true);
  });

  it('a status update keeps the main resource unchanged even with a stale spec in the body', async () => {
    const stale = ok(await cluster.request({ path: widgetsPath(ns, 's') }));
    ok(await cluster.request({ method: 'PATCH', path: widgetsPath(ns, 's'), body: { spec: { size: 3 } }, contentType: 'application/merge-patch+json' }));
    const fresh = ok(await cluster.request({ path: widgetsPath(ns, 's') }));
    // Status writers must send the current resourceVersion too: the stale copy conflicts.
    const conflict = await cluster.request({ method: 'PUT', path: widgetsPath(ns, 's', 'status'), body: { ...stale, status: { phase: 'X' } } });
    expect(conflict.status).toBe(409);
    const written = ok(await cluster.request({ method: 'PUT', path: widgetsPath(ns, 's', 'status'), body: { ...fresh, spec: stale.spec, status: { phase: 'Y' } } }));
    expect(written.spec.size).toBe(3);
    expect(written.status.phase).toBe('Y');
  });
});
