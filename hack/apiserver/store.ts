/**
 * Object storage: one map per group/resource holding each object as its serialized JSON
 * (compact, immutable, serialized once for both reads and watch fan-out), a global monotonic
 * resourceVersion, and an index of owner UIDs for garbage collection.
 */
import type { WatchHub } from './watch.js';
import type { OwnerReference, StoredObject } from './types.js';

export interface Entry {
  ns: string; name: string; uid: string; rv: number; json: string;
  /** resourceVersion of the object's creation: paginated lists leave out objects newer than their snapshot. */
  createdRv: number;
  labels: Record<string, string> | undefined;
  fields: Record<string, string>;
  owners: string[] | undefined;
  /** The object is waiting for finalizers (deletionTimestamp is set). */
  deleting: boolean;
}

export type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface ChangeEvent { type: EventType; gr: string; entry: Entry; prev?: Entry }

export function objectKey(ns: string, name: string): string {
  return ns ? `${ns}/${name}` : name;
}

export class Store {
  private tables = new Map<string, Map<string, Entry>>();
  /** owner uid -> dependents as `gr|key`. */
  private dependents = new Map<string, Set<string>>();
  private uids = new Map<string, { gr: string; key: string }>();
  private rv = 0;

  constructor(private readonly hub: WatchHub) {}

  currentRv(): number { return this.rv; }
  nextRv(): number { return ++this.rv; }

  private table(gr: string): Map<string, Entry> {
    let t = this.tables.get(gr);
    if (!t) { t = new Map(); this.tables.set(gr, t); }
    return t;
  }

  getEntry(gr: string, ns: string, name: string): Entry | undefined {
    return this.tables.get(gr)?.get(objectKey(ns, name));
  }

  get(gr: string, ns: string, name: string): StoredObject | undefined {
    const e = this.getEntry(gr, ns, name);
    return e ? (JSON.parse(e.json) as StoredObject) : undefined;
  }

  /** Entries of a resource (optionally one namespace), sorted by key like etcd returns them. */
  list(gr: string, ns?: string): Entry[] {
    const t = this.tables.get(gr);
    if (!t) return [];
    const out: Entry[] = [];
    for (const e of t.values()) if (!ns || e.ns === ns) out.push(e);
    out.sort((a, b) => compareKeys(objectKey(a.ns, a.name), objectKey(b.ns, b.name)));
    return out;
  }

  count(gr: string, ns?: string): number {
    const t = this.tables.get(gr);
    if (!t) return 0;
    if (!ns) return t.size;
    let n = 0;
    for (const e of t.values()) if (e.ns === ns) n++;
    return n;
  }

  /** Namespaced resources with at least one object in `ns`. */
  resourcesWithObjectsIn(ns: string): string[] {
    const out: string[] = [];
    for (const [gr, t] of this.tables) for (const e of t.values()) if (e.ns === ns) { out.push(gr); break; }
    return out;
  }

  locateUid(uid: string): { gr: string; key: string } | undefined { return this.uids.get(uid); }

  dependentsOf(uid: string): { gr: string; key: string }[] {
    return [...(this.dependents.get(uid) ?? [])].map((s) => {
      const i = s.indexOf('|');
      return { gr: s.slice(0, i), key: s.slice(i + 1) };
    });
  }

  getByKey(gr: string, key: string): Entry | undefined { return this.tables.get(gr)?.get(key); }

  /**
   * Writes an object whose metadata.resourceVersion the caller already set to a fresh
   * nextRv(); emits ADDED or MODIFIED.
   */
  put(gr: string, obj: StoredObject, fields: Record<string, string>): Entry {
    const meta = obj.metadata;
    const ns = meta.namespace ?? '';
    const key = objectKey(ns, meta.name);
    const t = this.table(gr);
    const prev = t.get(key);
    const owners = meta.ownerReferences?.length ? meta.ownerReferences.map((o: OwnerReference) => o.uid) : undefined;
    const entry: Entry = {
      ns, name: meta.name, uid: meta.uid, rv: Number(meta.resourceVersion), json: JSON.stringify(obj),
      createdRv: prev && prev.uid === meta.uid ? prev.createdRv : Number(meta.resourceVersion),
      labels: meta.labels && Object.keys(meta.labels).length ? meta.labels : undefined,
      fields, owners, deleting: !!meta.deletionTimestamp,
    };
    t.set(key, entry);
    if (prev) this.unindex(gr, key, prev);
    this.index(gr, key, entry);
    this.hub.publish({ type: prev ? 'MODIFIED' : 'ADDED', gr, entry, prev });
    return entry;
  }

  /** Removes an object for good; `finalRv` is the resourceVersion of the DELETED event. */
  remove(gr: string, ns: string, name: string, finalObj: StoredObject): Entry | undefined {
    const key = objectKey(ns, name);
    const t = this.tables.get(gr);
    const prev = t?.get(key);
    if (!t || !prev) return undefined;
    t.delete(key);
    this.unindex(gr, key, prev);
    const entry: Entry = { ...prev, rv: Number(finalObj.metadata.resourceVersion), json: JSON.stringify(finalObj) };
    this.hub.publish({ type: 'DELETED', gr, entry, prev });
    return entry;
  }

  private index(gr: string, key: string, e: Entry): void {
    this.uids.set(e.uid, { gr, key });
    for (const o of e.owners ?? []) {
      let s = this.dependents.get(o);
      if (!s) { s = new Set(); this.dependents.set(o, s); }
      s.add(`${gr}|${key}`);
    }
  }

  private unindex(gr: string, key: string, e: Entry): void {
    this.uids.delete(e.uid);
    for (const o of e.owners ?? []) {
      const s = this.dependents.get(o);
      s?.delete(`${gr}|${key}`);
      if (s && s.size === 0) this.dependents.delete(o);
    }
  }
}

function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
