import { describe, expect, it } from 'vitest';
import { ApiError } from './errors.js';
import { parseLabelSelector } from './selectors.js';
import { Store } from './store.js';
import type { StoredObject } from './types.js';
import { WatchHub, type Watcher } from './watch.js';

function obj(name: string, rv: number, labels?: Record<string, string>, ns = 'default'): StoredObject {
  return { apiVersion: 'v1', kind: 'ConfigMap',
    metadata: { name, namespace: ns, uid: `uid-${name}`, resourceVersion: String(rv), creationTimestamp: '2026-01-01T00:00:00Z', labels } };
}

function setup(capacity = 100): { store: Store; hub: WatchHub; put(name: string, labels?: Record<string, string>, ns?: string): void } {
  const hub = new WatchHub(capacity);
  const store = new Store(hub);
  return { store, hub, put: (name, labels, ns = 'default') => { store.put('configmaps.', obj(name, store.nextRv(), labels, ns), { 'metadata.name': name }); } };
}

function recorder(filter: Partial<Watcher['filter']> = {}): { w: Watcher; seen: string[]; lines: string[] } {
  const seen: string[] = []; const lines: string[] = [];
  const w: Watcher = { gr: 'configmaps.', filter: { labels: [], fields: [], ...filter },
    deliver: (type, entry, frame) => { seen.push(`${type} ${entry.name}@${entry.rv}`); lines.push(frame.line()); } };
  return { w, seen, lines };
}

describe('WatchHub', () => {
  it('replays events after the requested resourceVersion, then streams live ones', () => {
    const { hub, put } = setup();
    put('a'); put('b'); put('a');
    const r = recorder();
    hub.subscribe(r.w, 1);
    put('c');
    expect(r.seen).toEqual(['ADDED b@2', 'MODIFIED a@3', 'ADDED c@4']);
    expect(JSON.parse(r.lines[0]!)).toMatchObject({ type: 'ADDED', object: { metadata: { name: 'b' } } });
  });

  it('answers 410 Expired for a resourceVersion older than the history', () => {
    const { hub, put } = setup(2);
    put('a'); put('b'); put('c'); put('d');
    try {
      hub.subscribe(recorder().w, 1);
      expect.unreachable('subscribe should fail');
    } catch (err) {
      expect((err as ApiError).status).toMatchObject({ code: 410, reason: 'Expired' });
      expect((err as ApiError).message).toMatch(/^too old resource version: 1 \(\d+\)$/);
    }
    const r = recorder();
    hub.subscribe(r.w, 2);
    expect(r.seen).toEqual(['ADDED c@3', 'ADDED d@4']);
  });

  it('filters by namespace and turns label selector transitions into ADDED/DELETED', () => {
    const { hub, put, store } = setup();
    const r = recorder({ ns: 'default', labels: parseLabelSelector('app=web') });
    hub.subscribe(r.w, 0);
    put('x', { app: 'web' }, 'other');
    put('a', { app: 'db' });
    put('a', { app: 'web' });
    put('a', { app: 'web', v: '2' });
    put('a', { app: 'db' });
    put('a', { app: 'web' });
    store.remove('configmaps.', 'default', 'a', obj('a', store.nextRv(), { app: 'web' }));
    expect(r.seen).toEqual(['ADDED a@3', 'MODIFIED a@4', 'DELETED a@5', 'ADDED a@6', 'DELETED a@7']);
  });

  it('serializes an event once for all watchers', () => {
    const { hub, put } = setup();
    const a = recorder(); const b = recorder();
    hub.subscribe(a.w, 0); hub.subscribe(b.w, 0);
    put('a');
    expect(a.lines[0]).toBe(b.lines[0]);
  });

  it('frames an event once as an HTTP chunk shared by all watchers', () => {
    const { hub, put } = setup();
    const chunks: Buffer[] = [];
    const w = (ns?: string): Watcher => ({ gr: 'configmaps.', filter: { ns, labels: [], fields: [] }, deliver: (_t, _e, f) => { chunks.push(f.chunk()); } });
    hub.subscribe(w(), 0); hub.subscribe(w('default'), 0); hub.subscribe(w('other'), 0);
    put('é');
    expect(chunks).toHaveLength(2);
    expect(chunks[0]).toBe(chunks[1]);
    const text = chunks[0]!.toString('utf8');
    const [size, rest] = [text.slice(0, text.indexOf('\r\n')), text.slice(text.indexOf('\r\n') + 2)];
    expect(rest.endsWith('\n\r\n')).toBe(true);
    // The chunk size counts bytes, not characters.
    expect(parseInt(size, 16)).toBe(Buffer.byteLength(rest.slice(0, -2)));
    expect(JSON.parse(rest.slice(0, -2))).toMatchObject({ type: 'ADDED', object: { metadata: { name: 'é' } } });
  });

  it('evaluates a selector once per event for all the watchers that share it, each seeing its own transitions', () => {
    // Each watch parses its own selector, as each request does; reads of a requirement's key count the work.
    let reads = 0;
    const counted = (selector: string): Watcher['filter']['labels'] => parseLabelSelector(selector).map((r) => {
      const { key, ...rest } = r;
      return { ...rest, get key() { reads++; return key; } };
    });
    const run = (webWatchers: number): { reads: number; web: string[][]; db: string[]; all: string[] } => {
      const { hub, put, store } = setup();
      const web = Array.from({ length: webWatchers }, () => recorder({ ns: 'default', labels: counted('app=web') }));
      const db = recorder({ ns: 'default', labels: counted('app=db') });
      const all = recorder({ ns: 'default' });
      for (const r of [...web, db, all]) hub.subscribe(r.w, 0);
      reads = 0;
      put('a', { app: 'db' });
      put('a', { app: 'web' });
      store.remove('configmaps.', 'default', 'a', obj('a', store.nextRv(), { app: 'web' }));
      return { reads, web: web.map((r) => r.seen), db: db.seen, all: all.seen };
    };
    const one = run(1);
    const three = run(3);
    expect(one.reads).toBeGreaterThan(0);
    expect(three.reads).toBe(one.reads);
    for (const seen of three.web) expect(seen).toEqual(['ADDED a@2', 'DELETED a@3']);
    expect(three.db).toEqual(['ADDED a@1', 'DELETED a@2']);
    expect(three.all).toEqual(['ADDED a@1', 'MODIFIED a@2', 'DELETED a@3']);
  });

  it('does not share a selector result between different namespaces or field selectors', () => {
    const { hub, put } = setup();
    const mine = recorder({ ns: 'default', labels: parseLabelSelector('app=web') });
    const other = recorder({ ns: 'other', labels: parseLabelSelector('app=web') });
    const named = recorder({ ns: 'default', labels: parseLabelSelector('app=web'), fields: [{ field: 'metadata.name', operator: 'Equals', value: 'b' }] });
    for (const r of [mine, other, named]) hub.subscribe(r.w, 0);
    put('a', { app: 'web' });
    put('b', { app: 'web' }, 'other');
    put('b', { app: 'web' });
    expect(mine.seen).toEqual(['ADDED a@1', 'ADDED b@3']);
    expect(other.seen).toEqual(['ADDED b@2']);
    expect(named.seen).toEqual(['ADDED b@3']);
  });

  it('stops delivering after unsubscribe', () => {
    const { hub, put } = setup();
    const r = recorder();
    const stop = hub.subscribe(r.w, 0);
    put('a'); stop(); put('b');
    expect(r.seen).toEqual(['ADDED a@1']);
    expect(hub.watcherCount()).toBe(0);
  });
});

describe('Store', () => {
  it('lists in key order and tracks owners for garbage collection', () => {
    const { store } = setup();
    for (const n of ['c', 'a', 'b']) store.put('configmaps.', obj(n, store.nextRv()), {});
    const child = obj('child', store.nextRv());
    child.metadata.ownerReferences = [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'a', uid: 'uid-a' }];
    store.put('configmaps.', child, {});
    expect(store.list('configmaps.').map((e) => e.name)).toEqual(['a', 'b', 'c', 'child']);
    expect(store.dependentsOf('uid-a')).toEqual([{ gr: 'configmaps.', key: 'default/child' }]);
    store.remove('configmaps.', 'default', 'child', obj('child', store.nextRv()));
    expect(store.dependentsOf('uid-a')).toEqual([]);
    expect(store.locateUid('uid-child')).toBeUndefined();
    expect(store.currentRv()).toBe(5);
  });
});
