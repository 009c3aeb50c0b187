// Deciding whether a write is needed: the server adds fields and drops sub-second precision,
// so "desired is contained in live" is the comparison that converges instead of looping.

const ISO = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)$/;

function canonical(v: unknown): unknown {
  if (v instanceof Date) return `${v.toISOString().slice(0, 19)}Z`;
  if (typeof v === 'string') {
    const m = ISO.exec(v);
    return m ? `${new Date(v).toISOString().slice(0, 19)}Z` : v;
  }
  return v;
}

/** Go's omitempty: the server does not return zero values, so they match an absent field. */
function isZero(v: unknown): boolean {
  if (v === 0 || v === false || v === '') return true;
  if (Array.isArray(v)) return v.length === 0;
  return typeof v === 'object' && v !== null && !(v instanceof Date) && Object.values(v).every((x) => x === undefined || x === null || isZero(x));
}

/**
 * True when every field set in `desired` has the same value in `live` (arrays compared item by
 * item); zero values in `desired` also match a field the server left out.
 */
export function containedIn(desired: unknown, live: unknown): boolean {
  const d = canonical(desired);
  const l = canonical(live);
  if (d === undefined || d === null) return true;
  if ((l === undefined || l === null) && isZero(d)) return true;
  if (Array.isArray(d)) {
    if (!Array.isArray(l) || l.length !== d.length) return false;
    return d.every((x, i) => containedIn(x, l[i]));
  }
  if (typeof d === 'object') {
    if (typeof l !== 'object' || l === null || Array.isArray(l)) return false;
    return Object.entries(d as Record<string, unknown>).every(([k, v]) => containedIn(v, (l as Record<string, unknown>)[k]));
  }
  return d === l;
}

/**
 * Plain JSON as it goes on the wire: Dates become strings (metav1.Time accepts fractions;
 * V1MicroTime keeps its six digits, which kube-apiserver requires), undefined fields vanish.
 */
export function toWire<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}
