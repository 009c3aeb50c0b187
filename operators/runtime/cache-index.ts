import type { CacheIndex, CacheReader } from './controller.js';
import type { KubeObject } from './kube.js';

/**
 * One secondary index of an informer's cache (client-go's Indexer): the cached objects by each
 * value `index.values` gives them, kept up to date as objects are stored and removed, so a
 * controller asks for the few objects it needs instead of scanning every one.
 */
export class ObjectIndex {
  private readonly byValue = new Map<string, Set<KubeObject>>();

  constructor(private readonly index: CacheIndex) {}

  /** `obj` was stored, replacing `old` (the object previously cached under its name). */
  replaced(obj: KubeObject | undefined, old: KubeObject | undefined): void {
    if (old) for (const v of this.index.values(old)) this.drop(v, old);
    if (obj) {
      for (const v of this.index.values(obj)) {
        let set = this.byValue.get(v);
        if (!set) { set = new Set(); this.byValue.set(v, set); }
        set.add(obj);
      }
    }
  }

  get(value: string): KubeObject[] {
    const set = this.byValue.get(value);
    return set ? [...set] : [];
  }

  clear(): void {
    this.byValue.clear();
  }

  private drop(value: string, obj: KubeObject): void {
    const set = this.byValue.get(value);
    if (!set) return;
    set.delete(obj);
    if (set.size === 0) this.byValue.delete(value);
  }
}

/**
 * The cached objects of `index.resource` that `index` files under `value`: from the runtime's
 * maintained index, or, from a reader without indexes (the test kit, hand-written fakes), by
 * scanning the kind, with the same answer.
 */
export function byIndex<T extends KubeObject = KubeObject>(cache: CacheReader, index: CacheIndex, value: string): T[] {
  if (cache.byIndex) return cache.byIndex<T>(index, value);
  return cache.list<T>(index.resource).filter((o) => index.values(o).includes(value));
}
