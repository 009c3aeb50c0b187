import { ObjectIndex } from './cache-index.js';
import type { CacheIndex } from './controller.js';
import type { KubeObject } from './kube.js';

/**
 * An informer's cached objects, by namespace ('' when cluster-scoped) and then name. Keying by
 * the object's own metadata.name string costs no key string per object (a `namespace/name` key
 * would be a second copy of both), and listing one namespace does not scan the others.
 */
export class ObjectCache {
  private readonly byNamespace = new Map<string, Map<string, KubeObject>>();
  private count = 0;
  /** Secondary indexes (Controller.indexes), kept up to date by set, delete and clear. */
  private readonly indexes = new Map<CacheIndex, ObjectIndex>();

  get size(): number {
    return this.count;
  }

  get(namespace: string | undefined, name: string): KubeObject | undefined {
    return this.byNamespace.get(namespace ?? '')?.get(name);
  }

  /** By `namespace/name` (or `name` when cluster-scoped), as work queue keys are written. */
  getByKey(key: string): KubeObject | undefined {
    const i = key.indexOf('/');
    return i < 0 ? this.get('', key) : this.get(key.slice(0, i), key.slice(i + 1));
  }

  /** Stores `obj` under its namespace/name; returns the object it replaced. */
  set(obj: KubeObject): KubeObject | undefined {
    const m = obj.metadata ?? {};
    const ns = m.namespace ?? '';
    let names = this.byNamespace.get(ns);
    if (!names) { names = new Map(); this.byNamespace.set(ns, names); }
    const name = m.name ?? '';
    const old = names.get(name);
    // The map keeps the first key string it was given: the new object shares it (same text).
    if (old?.metadata?.name !== undefined && obj.metadata) obj.metadata.name = old.metadata.name;
    names.set(name, obj);
    if (!old) this.count++;
    for (const ix of this.indexes.values()) ix.replaced(obj, old);
    return old;
  }

  delete(namespace: string | undefined, name: string): KubeObject | undefined {
    const ns = namespace ?? '';
    const names = this.byNamespace.get(ns);
    const old = names?.get(name);
    if (!names || !old) return undefined;
    names.delete(name);
    this.count--;
    for (const ix of this.indexes.values()) ix.replaced(undefined, old);
    if (names.size === 0) this.byNamespace.delete(ns);
    return old;
  }

  /** Every object, or those of one namespace. */
  *values(namespace?: string): IterableIterator<KubeObject> {
    if (namespace !== undefined) {
      const names = this.byNamespace.get(namespace);
      if (names) yield* names.values();
      return;
    }
    for (const names of this.byNamespace.values()) yield* names.values();
  }

  /**
   * Every object, or those of one namespace, as a new array: built with plain loops, not the
   * generator above (ModelServer placement lists every server on every reconcile).
   */
  list(namespace?: string): KubeObject[] {
    const out: KubeObject[] = [];
    if (namespace !== undefined) {
      const names = this.byNamespace.get(namespace);
      if (names) for (const obj of names.values()) out.push(obj);
      return out;
    }
    for (const names of this.byNamespace.values()) for (const obj of names.values()) out.push(obj);
    return out;
  }

  clear(): void {
    this.byNamespace.clear();
    this.count = 0;
    for (const ix of this.indexes.values()) ix.clear();
  }

  /** Maintains `index` from now on (filled from what is cached already). */
  addIndex(index: CacheIndex): void {
    if (this.indexes.has(index)) return;
    const ix = new ObjectIndex(index);
    for (const names of this.byNamespace.values()) for (const obj of names.values()) ix.replaced(obj, undefined);
    this.indexes.set(index, ix);
  }

  /** The objects `index` (added with addIndex) files under `value`. */
  byIndex(index: CacheIndex, value: string): KubeObject[] {
    const ix = this.indexes.get(index);
    if (!ix) throw new Error(`no such index on this cache of ${index.resource.plural}: declare it in the controller's indexes`);
    return ix.get(value);
  }
}
