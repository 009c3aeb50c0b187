import { beforeAll, describe, expect, it } from 'vitest';
import { useCluster } from '../harness/cluster.js';
import { configMap, configMapsPath, ok, widget, widgetsPath } from './support.js';

// Watches stream ADDED / MODIFIED / DELETED events in the order they happened, can resume from a
// resourceVersion (replaying what happened since), honour selectors and timeoutSeconds, and send
// BOOKMARK events carrying only a resourceVersion when asked to.
const cluster = useCluster();
let ns: string;

beforeAll(async () => {
  ns = await cluster.newNamespace('watch');
});

describe('watch', () => {
  it('streams ADDED, MODIFIED and DELETED in order with a new resourceVersion each', async () => {
    const rv = ok(await cluster.request({ path: widgetsPath(ns) })).metadata.resourceVersion;
    const w = await cluster.watch(`${widgetsPath(ns)}?resourceVersion=${rv}`);
    expect(w.status).toBe(200);
    ok(await cluster.request({ method: 'POST', path: widgetsPath(ns), body: widget('a', { size: 1 }) }));
    ok(await cluster.request({ method: 'PATCH', path: widgetsPath(ns, 'a'), body: { spec: { size: 2 } }, contentType: 'application/merge-patch+json' }));
    ok(await cluster.request({ method: 'DELETE', path: widgetsPath(ns, 'a') }));
    const events = [await w.next(), await w.next(), await w.next()];
    w.close();
    expect(events.map((e) => e.type)).toEqual(['ADDED', 'MODIFIED', 'DELETED']);
    expect(events.map((e) => e.object.metadata.name)).toEqual(['a', 'a', 'a']);
    expect(events[1].object.spec.size).toBe(2);
    expect(events[0].object.kind).toBe('Widget');
    // resourceVersions are opaque: clients may only compare them for equality.
    const rvs = events.map((e) => e.object.metadata.resourceVersion);
    expect(rvs.every((rv) => typeof rv === 'string' && rv !== '')).toBe(true);
    expect(new Set(rvs).size).toBe(3);
  });

  it('resuming from a resourceVersion replays the events after it', async () => {
    const first = ok(await cluster.request({ method: 'POST', path: configMapsPath(ns), body: configMap('r1') }));
    ok(await cluster.request({ method: 'POST', path: configMapsPath(ns), body: configMap('r2') }));
    ok(await cluster.request({ method: 'PUT', path: configMapsPath(ns, 'r1'), body: { ...first, data: { changed: 'yes' } } }));
    const w = await cluster.watch(`${configMapsPath(ns)}?resourceVersion=${first.metadata.resourceVersion}`);
    const a = await w.next();
    const b = await w.next();
    w.close();
    expect([a.type, a.object.metadata.name]).toEqual(['ADDED', 'r2']);
    expect([b.type, b.object.metadata.name, b.object.data]).toEqual(['MODIFIED', 'r1', { changed: 'yes' }]);
  });

  it('without a resourceVersion starts with ADDED for every existing object', async () => {
    const w = await cluster.watch(configMapsPath(ns));
    const seen = new Set<string>();
    // A real cluster also publishes kube-root-ca.crt into every namespace: look for ours only.
    while (!(seen.has('r1') && seen.has('r2'))) {
      const e = await w.next();
      expect(e.type).toBe('ADDED');
      seen.add(e.object.metadata.name);
    }
    w.close();
  });

  it('a label selector filters events, and an object leaving the selection is seen as DELETED', async () => {
    const rv = ok(await cluster.request({ path: configMapsPath(ns) })).metadata.resourceVersion;
    const w = await cluster.watch(`${configMapsPath(ns)}?resourceVersion=${rv}&labelSelector=team%3Dblue`);
    ok(await cluster.request({ method: 'POST', path: configMapsPath(ns), body: configMap('other-team', {}, { labels: { team: 'red' } }) }));
    ok(await cluster.request({ method: 'POST', path: configMapsPath(ns), body: configMap('sel', {}, { labels: { team: 'blue' } }) }));
    ok(await cluster.request({ method: 'PATCH', path: configMapsPath(ns, 'sel'), body: { metadata: { labels: { team: 'green' } } }, contentType: 'application/merge-patch+json' }));
    const added = await w.next();
    const left = await w.next();
    w.close();
    expect([added.type, added.object.metadata.name]).toEqual(['ADDED', 'sel']);
    expect([left.type, left.object.metadata.name]).toEqual(['DELETED', 'sel']);
  });

  it('a field selector on metadata.name watches one object', async () => {
    const rv = ok(await cluster.request({ path: configMapsPath(ns) })).metadata.resourceVersion;
    const w = await cluster.watch(`${configMapsPath(ns)}?resourceVersion=${rv}&fieldSelector=metadata.name%3Dr2`);
    ok(await cluster.request({ method: 'PATCH', path: configMapsPath(ns, 'r1'), body: { data: { x: '1' } }, contentType: 'application/merge-patch+json' }));
    ok(await cluster.request({ method: 'PATCH', path: configMapsPath(ns, 'r2'), body: { data: { x: '2' } }, contentType: 'application/merge-patch+json' }));
    const e = await w.next();
    w.close();
    expect([e.type, e.object.metadata.name]).toEqual(['MODIFIED', 'r2']);
  });

  it('a watch of a single object by name (watch on the collection with metadata.name) sees its deletion', async () => {
    const created = ok(await cluster.request({ method: 'POST', path: widgetsPath(ns), body: widget('doomed') }));
    const w = await cluster.watch(`${widgetsPath(ns)}?resourceVersion=${created.metadata.resourceVersion}&fieldSelector=metadata.name%3Ddoomed`);
    ok(await cluster.request({ method: 'DELETE', path: widgetsPath(ns, 'doomed') }));
    const e = await w.next();
    w.close();
    expect(e.type).toBe('DELETED');
    expect(e.object.metadata.uid).toBe(created.metadata.uid);
  });

  it('timeoutSeconds ends the stream, and a BOOKMARK (best effort) carries only kind, apiVersion and a resourceVersion', async () => {
    const rv = ok(await cluster.request({ path: widgetsPath(ns) })).metadata.resourceVersion;
    const elsewhere = await cluster.newNamespace('watch-other');
    const started = Date.now();
    const w = await cluster.watch(`${widgetsPath(ns)}?resourceVersion=${rv}&allowWatchBookmarks=true&timeoutSeconds=5`);
    // A change this watch does not select moves the resource's resourceVersion past what the watch
    // has seen: the watch cache may then send a bookmark, at the latest 2 s before the deadline.
    // Kubernetes promises no bookmark at all, so none is required here.
    ok(await cluster.request({ method: 'POST', path: widgetsPath(elsewhere), body: widget('unseen', { size: 1 }) }));
    const events = [];
    let stop: Error;
    for (;;) {
      try {
        // Far beyond timeoutSeconds: a stream still open by then was not ended by it.
        events.push(await w.next(30_000));
      } catch (e) {
        stop = e as Error;
        break;
      }
    }
    // The server ended the stream (the next event was not merely slow to come), and not early.
    expect(stop.message).toMatch(/ ended$/);
    await w.ended;
    expect(Date.now() - started).toBeGreaterThanOrEqual(4_000);
    for (const e of events) {
      expect(e.type).toBe('BOOKMARK');
      expect(e.object.kind).toBe('Widget');
      expect(e.object.apiVersion).toBe('conformance.agentlab.dev/v1');
      expect(Object.keys(e.object).sort()).toEqual(['apiVersion', 'kind', 'metadata']);
      expect(typeof e.object.metadata.resourceVersion).toBe('string');
      expect(e.object.metadata.resourceVersion).not.toBe('');
    }
  });

  it('without allowWatchBookmarks no BOOKMARK is sent', async () => {
    const rv = ok(await cluster.request({ path: configMapsPath(ns) })).metadata.resourceVersion;
    const w = await cluster.watch(`${configMapsPath(ns)}?resourceVersion=${rv}&timeoutSeconds=3`);
    ok(await cluster.request({ method: 'POST', path: configMapsPath(ns), body: configMap('during') }));
    const types: string[] = [];
    for (;;) {
      try {
        types.push((await w.next(6_000)).type);
      } catch {
        break;
      }
    }
    expect(types).toEqual(['ADDED']);
  });
});
