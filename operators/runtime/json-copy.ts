/**
 * Deep copies of decoded JSON (Kubernetes objects, patches, field sets): the embedded API server
 * copies objects several times per write and the runtime hands every reconcile a private copy of
 * the cached object. `structuredClone` serializes through V8's value serializer: for a 1.8 KB
 * Deployment it cost 16.7 µs where this copy costs 2.5 µs (`node`, 50,000 copies each).
 *
 * The result equals `structuredClone`'s for JSON values (own enumerable keys, a key named
 * "__proto__" kept as data, undefined values kept). Anything else is left to `structuredClone`:
 * objects that are not plain (Date, Map, typed arrays) and subtrees nested deeper than
 * `RECURSION_LIMIT`, so no input exhausts the stack here that structuredClone would have copied.
 * Unlike structuredClone, a value reached twice is copied twice (JSON has no shared references).
 */

const RECURSION_LIMIT = 256;

export function copyJson<T>(value: T): T {
  return copy(value, 0) as T;
}

function copy(v: unknown, depth: number): unknown {
  if (typeof v !== 'object' || v === null) return v;
  if (depth >= RECURSION_LIMIT) return structuredClone(v);
  if (Array.isArray(v)) {
    const n = v.length;
    const out = new Array<unknown>(n);
    for (let i = 0; i < n; i++) out[i] = copy(v[i], depth + 1);
    return out;
  }
  const proto = Object.getPrototypeOf(v) as unknown;
  if (proto !== Object.prototype && proto !== null) return structuredClone(v);
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v)) {
    const x = copy((v as Record<string, unknown>)[k], depth + 1);
    if (k === '__proto__') Object.defineProperty(out, k, { value: x, enumerable: true, writable: true, configurable: true });
    else out[k] = x;
  }
  return out;
}
