/**
 * One shared copy of each repeated string in the informer caches. JSON.parse gives every value
 * longer than 10 characters its own copy (shorter ones and all keys V8 already shares), so 10,000
 * cached Pods hold 10,000 copies of their namespace, of `agentlab.dev/v1alpha1` in the owner
 * reference, of label values and condition reasons. Interning them on the way into the cache keeps
 * one. The table is bounded: when full it starts over (objects cached before keep their copy, the
 * next ones share a new one), so unique strings (UIDs, names) never make it grow without end.
 */
export class StringInterner {
  private table = new Map<string, string>();

  constructor(private readonly maxEntries = 50_000, private readonly maxLength = 128) {}

  intern(s: string): string {
    // V8 shares strings of up to 10 characters parsed from JSON already; long text is rarely repeated.
    if (s.length <= 10 || s.length > this.maxLength) return s;
    const hit = this.table.get(s);
    if (hit !== undefined) return hit;
    if (this.table.size >= this.maxEntries) this.table.clear();
    this.table.set(s, s);
    return s;
  }

  get size(): number {
    return this.table.size;
  }
}

/** Keys whose values are unique per object: interning them only fills the table. */
const UNIQUE_VALUE_KEYS = new Set(['uid', 'resourceVersion', 'creationTimestamp']);

/**
 * Replaces, in place, every string value in `value` (objects, arrays) by its interned copy. An
 * owner reference's uid is interned too: every child of one owner repeats it.
 */
export function internStrings<T>(value: T, interner: StringInterner, skipUnique = true): T {
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const v: unknown = value[i];
      if (typeof v === 'string') value[i] = interner.intern(v);
      else if (v && typeof v === 'object') internStrings(v, interner, skipUnique);
    }
  } else if (value && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    for (const k of Object.keys(o)) {
      const v = o[k];
      if (typeof v === 'string') { if (!skipUnique || !UNIQUE_VALUE_KEYS.has(k)) o[k] = interner.intern(v); }
      else if (v && typeof v === 'object') internStrings(v, interner, skipUnique && k !== 'ownerReferences');
    }
  }
  return value;
}

/** The interner every informer of the process shares (namespaces and label values repeat across kinds). */
export const cacheStrings = new StringInterner();

type Flat = Record<string, unknown> | unknown[];

/**
 * One shared, frozen copy of each repeated small value in the informer caches: labels,
 * ownerReferences and finalizers. Every child of one owner repeats the owner's labels and its
 * owner reference (an AgentRun's Pod, Secret, ConfigMap, ServiceAccount, Role, RoleBinding and
 * NetworkPolicy), objects applied together repeat their labels, and every object of a kind holds
 * the same finalizer list; JSON.parse gives each its own copy (an owner reference is ~130 bytes of
 * heap, a three-label object ~70). Values are found by a hash of their text (no key string is
 * kept) and compared entry by entry. Shared values are frozen: code that changed one in place
 * would change every object holding it, and throws instead. Bounded like StringInterner: when
 * full the table starts over (values shared before stay shared, new ones share a new copy).
 */
export class ValueSharer {
  private table = new Map<number, Flat[]>();
  private entries = 0;

  constructor(private readonly maxEntries = 50_000) {}

  /**
   * `value` (an object or array whose values are strings, numbers, booleans, null or values
   * this sharer returned) or the equal value shared before. Anything else is returned as it is.
   */
  share<T>(value: T): T {
    if (!value || typeof value !== 'object') return value;
    const flat = value as unknown as Flat;
    const h = hashFlat(flat);
    if (h === undefined) return value;
    const bucket = this.table.get(h);
    if (bucket) {
      for (const v of bucket) if (sameFlat(v, flat)) return v as unknown as T;
    }
    if (this.entries >= this.maxEntries) { this.table.clear(); this.entries = 0; }
    Object.freeze(flat);
    const b = this.table.get(h);
    if (b) b.push(flat); else this.table.set(h, [flat]);
    this.entries++;
    return value;
  }

  get size(): number {
    return this.entries;
  }
}

/** FNV-1a over the keys and values; undefined when a value is neither a scalar nor shared (frozen). */
function hashFlat(v: Flat): number | undefined {
  let h = Array.isArray(v) ? 0x811c9dc5 : 0x01000193;
  const mix = (s: string) => {
    for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
    h = Math.imul(h ^ 0xff, 0x01000193);
  };
  const add = (x: unknown): boolean => {
    switch (typeof x) {
      case 'string': mix(x); return true;
      case 'number': case 'boolean': mix(String(x)); return true;
      case 'object':
        // A shared value: its identity is its content; mix in its size (cheap), compare decides.
        if (x === null) { mix('null'); return true; }
        if (!Object.isFrozen(x)) return false;
        mix(String(Array.isArray(x) ? x.length : Object.keys(x).length));
        return true;
      default: return false;
    }
  };
  if (Array.isArray(v)) {
    for (const x of v) if (!add(x)) return undefined;
  } else {
    for (const k of Object.keys(v)) { mix(k); if (!add(v[k])) return undefined; }
  }
  return h;
}

/** Same keys in the same order and the same values (shared values by identity). */
function sameFlat(a: Flat, b: Flat): boolean {
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
    return true;
  }
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  for (let i = 0; i < ka.length; i++) if (ka[i] !== kb[i] || a[ka[i]] !== b[ka[i]]) return false;
  return true;
}

/** The sharer every informer of the process uses (owner labels repeat across child kinds). */
export const cacheValues = new ValueSharer();

/**
 * `obj`'s labels, ownerReferences and finalizers replaced, in place, by shared frozen copies
 * (ValueSharer). Call after internStrings: equal strings are then the same heap string.
 */
export function shareMetadata<T extends { metadata?: { labels?: unknown; ownerReferences?: unknown; finalizers?: unknown } }>(obj: T, sharer: ValueSharer = cacheValues): T {
  const m = obj.metadata;
  if (!m || Object.isFrozen(m)) return obj;
  if (m.labels) m.labels = sharer.share(m.labels);
  if (Array.isArray(m.ownerReferences)) m.ownerReferences = sharer.share(m.ownerReferences.map((r: unknown) => sharer.share(r)));
  if (Array.isArray(m.finalizers)) m.finalizers = sharer.share(m.finalizers);
  return obj;
}
