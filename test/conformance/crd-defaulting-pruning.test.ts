import { beforeAll, describe, expect, it } from 'vitest';
import { useCluster } from '../harness/cluster.js';
import { ok, widget, widgetsPath, WIDGET_API_VERSION } from './support.js';

// Structural schemas default missing fields on every write and prune fields the schema does
// not declare, except under x-kubernetes-preserve-unknown-fields.
const cluster = useCluster();
let ns: string;

beforeAll(async () => {
  ns = await cluster.newNamespace('crddefault');
});

describe('defaulting', () => {
  it('a missing field with a default is filled in on create', async () => {
    const created = ok(await cluster.request({ method: 'POST', path: widgetsPath(ns), body: widget('d', { size: 1 }) }));
    expect(created.spec.color).toBe('blue');
  });

  it('an explicit value is kept', async () => {
    const created = ok(await cluster.request({ method: 'POST', path: widgetsPath(ns), body: widget('explicit', { size: 1, color: 'red' }) }));
    expect(created.spec.color).toBe('red');
  });

  it('a field removed by an update is defaulted again', async () => {
    const current = ok(await cluster.request({ path: widgetsPath(ns, 'explicit') }));
    const updated = ok(await cluster.request({ method: 'PUT', path: widgetsPath(ns, 'explicit'), body: { ...current, spec: { size: 2 } } }));
    expect(updated.spec.color).toBe('blue');
  });
});

describe('pruning', () => {
  it('unknown fields are dropped, at any depth', async () => {
    const body = {
      apiVersion: WIDGET_API_VERSION,
      kind: 'Widget',
      metadata: { name: 'p' },
      spec: { size: 1, unknownTop: 1, limits: { min: 1, max: 2, unknownNested: true }, ports: [{ name: 'a', port: 1, unknownInItem: 'x' }] },
      topLevelUnknown: { x: 1 },
    };
    const created = ok(await cluster.request({ method: 'POST', path: `${widgetsPath(ns)}?fieldValidation=Ignore`, body }));
    expect(created).not.toHaveProperty('topLevelUnknown');
    expect(created.spec).not.toHaveProperty('unknownTop');
    expect(created.spec.limits).toEqual({ min: 1, max: 2 });
    expect(created.spec.ports).toEqual([{ name: 'a', port: 1 }]);
    const stored = ok(await cluster.request({ path: widgetsPath(ns, 'p') }));
    expect(stored.spec).not.toHaveProperty('unknownTop');
  });

  it('x-kubernetes-preserve-unknown-fields keeps everything below it', async () => {
    const free = { anything: { goes: [1, 'two', { three: 3 }] }, flag: true };
    const created = ok(await cluster.request({ method: 'POST', path: widgetsPath(ns), body: widget('free', { size: 1, free }) }));
    expect(created.spec.free).toEqual(free);
  });

  it('metadata is not pruned, but unknown metadata fields are dropped', async () => {
    const body = widget('meta', { size: 1 }, { labels: { a: 'b' }, annotations: { c: 'd' }, madeUp: 'x' });
    const created = ok(await cluster.request({ method: 'POST', path: `${widgetsPath(ns)}?fieldValidation=Ignore`, body }));
    expect(created.metadata.labels).toEqual({ a: 'b' });
    expect(created.metadata.annotations).toEqual({ c: 'd' });
    expect(created.metadata).not.toHaveProperty('madeUp');
  });
});
