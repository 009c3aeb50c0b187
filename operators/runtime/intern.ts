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
