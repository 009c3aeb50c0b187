/** Structural equality and copying of decoded JSON values. */

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!deepEqual(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const ak = Object.keys(a);
  const bo = b as Record<string, unknown>;
  if (ak.length !== Object.keys(bo).length) return false;
  const ao = a as Record<string, unknown>;
  for (const k of ak) if (!Object.hasOwn(bo, k) || !deepEqual(ao[k], bo[k])) return false;
  return true;
}

/** Assigns an own property, also for the key "__proto__" that JSON.parse can produce. */
export function setOwn(o: Record<string, unknown>, k: string, v: unknown): void {
  if (k === '__proto__') Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
  else o[k] = v;
}

export function deepCopy<T>(v: T): T {
  if (typeof v !== 'object' || v === null) return v;
  if (Array.isArray(v)) return v.map(deepCopy) as T;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) setOwn(out, k, deepCopy(x));
  return out as T;
}

/** 2^63: Go's JSON decoding (unstructured) turns an integer literal at or beyond this into a float64. */
const INT64_LIMIT = 2 ** 63;
/** 2^53: the largest float64 kube-openapi still takes for an integer (go-openapi swag.IsFloat64AJSONInteger). */
const FLOAT_INT_LIMIT = 2 ** 53;

/**
 * JSON type name as kube-openapi infers it from a value decoded the way kube-apiserver decodes a custom
 * resource: integers within int64 are int64, anything else (a fraction, or an integer beyond int64 such
 * as 100000000000000000000) is float64.
 */
export function jsonTypeOf(v: unknown): 'null' | 'boolean' | 'string' | 'integer' | 'number' | 'array' | 'object' {
  if (v === null || v === undefined) return 'null';
  if (Array.isArray(v)) return 'array';
  switch (typeof v) {
    case 'boolean':
      return 'boolean';
    case 'string':
      return 'string';
    case 'number':
      return Number.isInteger(v) && Math.abs(v) < INT64_LIMIT ? 'integer' : 'number';
    case 'bigint':
      return 'integer';
    default:
      return 'object';
  }
}

/** A float64 kube-openapi accepts where the schema says `type: integer` (go-openapi swag.IsFloat64AJSONInteger). */
export function isFloat64AJsonInteger(v: number): boolean {
  return Number.isInteger(v) && Math.abs(v) <= FLOAT_INT_LIMIT;
}
