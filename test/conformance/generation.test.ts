import { beforeAll, describe, expect, it } from 'vitest';
import { useCluster } from '../harness/cluster.js';
import { ok, widget, widgetsPath } from './support.js';

// metadata.generation counts changes to the desired state. With a status subresource it is
// bumped by spec changes only: not by metadata-only edits, not by status writes.
const cluster = useCluster();
let ns: string;

beforeAll(async () => {
  ns = await cluster.newNamespace('generation');
});

describe('metadata.generation', () => {
  it('starts at 1', async () => {
    const created = ok(await cluster.request({ method: 'POST', path: widgetsPath(ns), body: widget('g', { size: 1 }) }));
    expect(created.metadata.generation).toBe(1);
  });

  it('is bumped by a spec change', async () => {
    const current = ok(await cluster.request({ path: widgetsPath(ns, 'g') }));
    const updated = ok(await cluster.request({ method: 'PUT', path: widgetsPath(ns, 'g'), body: { ...current, spec: { size: 2 } } }));
    expect(updated.metadata.generation).toBe(2);
  });

  it('is not bumped by a label or annotation change', async () => {
    const current = ok(await cluster.request({ path: widgetsPath(ns, 'g') }));
    const body = structuredClone(current);
    body.metadata.labels = { a: 'b' };
    body.metadata.annotations = { note: 'hello' };
    const updated = ok(await cluster.request({ method: 'PUT', path: widgetsPath(ns, 'g'), body }));
    expect(updated.metadata.generation).toBe(2);
  });

  it('is not bumped by a status write', async () => {
    const current = ok(await cluster.request({ path: widgetsPath(ns, 'g') }));
    const updated = ok(
      await cluster.request({ method: 'PUT', path: widgetsPath(ns, 'g', 'status'), body: { ...current, status: { phase: 'Ready', observedGeneration: 2 } } }),
    );
    expect(updated.status.phase).toBe('Ready');
    expect(updated.metadata.generation).toBe(2);
  });

  it('is not bumped by an update that changes nothing', async () => {
    const current = ok(await cluster.request({ path: widgetsPath(ns, 'g') }));
    const updated = ok(await cluster.request({ method: 'PUT', path: widgetsPath(ns, 'g'), body: current }));
    expect(updated.metadata.generation).toBe(2);
    // A no-op update is not a write: the resourceVersion stays the same.
    expect(updated.metadata.resourceVersion).toBe(current.metadata.resourceVersion);
  });

  it('is bumped by a merge patch of the spec', async () => {
    const patched = ok(
      await cluster.request({ method: 'PATCH', path: widgetsPath(ns, 'g'), body: { spec: { size: 7 } }, contentType: 'application/merge-patch+json' }),
    );
    expect(patched.metadata.generation).toBe(3);
  });
});
