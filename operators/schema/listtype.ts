/**
 * x-kubernetes-list-type invariants (apiextensions' listtype.ValidateListSetsAndMaps): a `set` holds no
 * duplicate items and a `map` no two items with the same key fields. Only the second occurrence is reported.
 */
import { childPath, duplicate, indexPath, invalid, keyPath, type FieldError } from './errors.js';
import { additionalSchema, isObject, type StructuralSchema } from './types.js';

/** Go's json.Marshal: object keys sorted. */
function canonicalJSON(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJSON).join(',')}]`;
  if (isObject(v)) {
    return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonicalJSON(v[k])}`).join(',')}}`;
  }
  return JSON.stringify(v ?? null);
}

const UNSPECIFIED = Symbol('unspecified key');

function identity(v: unknown): string {
  if (v === UNSPECIFIED) return 'unspecified';
  if (Array.isArray(v) || isObject(v)) return `c:${canonicalJSON(v)}`;
  if (typeof v === 'number') return `${Number.isInteger(v) ? 'i' : 'f'}:${v}`;
  return `${typeof v}:${String(v)}`;
}

function nonUniqueIndices(items: unknown[]): number[] {
  if (items.length <= 1) return [];
  const seen = new Map<string, number>();
  const out: number[] = [];
  items.forEach((x, i) => {
    const id = identity(x);
    const times = seen.get(id) ?? 0;
    seen.set(id, times + 1);
    if (times === 1) out.push(i);
  });
  return out;
}

function validateListMap(path: string, s: StructuralSchema, obj: unknown[]): FieldError[] {
  for (let i = 0; i < obj.length; i++) {
    const x = obj[i];
    if (x !== null && !isObject(x)) return [invalid(indexPath(path, i), x, 'must be an object for an array of list-type map')];
  }
  if (obj.length <= 1) return [];
  const keyFields = s['x-kubernetes-list-map-keys'] ?? [];
  if (keyFields.length === 1) {
    const kf = keyFields[0];
    const keys = obj.map((x) => (isObject(x) && Object.hasOwn(x, kf) ? x[kf] : UNSPECIFIED));
    return nonUniqueIndices(keys).map((i) => duplicate(indexPath(path, i), keys[i] === UNSPECIFIED ? {} : { [kf]: keys[i] }));
  }
  const keys = obj.map((x) => {
    const key: Record<string, unknown> = {};
    if (isObject(x)) for (const kf of keyFields) if (Object.hasOwn(x, kf)) key[kf] = x[kf];
    return key;
  });
  return nonUniqueIndices(keys).map((i) => duplicate(indexPath(path, i), keys[i]));
}

function validateArray(path: string, s: StructuralSchema, obj: unknown[]): FieldError[] {
  const errs: FieldError[] = [];
  const listType = s['x-kubernetes-list-type'];
  if (listType === 'set') {
    for (const i of nonUniqueIndices(obj)) errs.push(duplicate(indexPath(path, i), obj[i]));
  } else if (listType === 'map') {
    errs.push(...validateListMap(path, s, obj));
  }
  if (s.items) obj.forEach((x, i) => errs.push(...validateValue(indexPath(path, i), s.items!, x)));
  return errs;
}

function validateValue(path: string, s: StructuralSchema, obj: unknown): FieldError[] {
  if (Array.isArray(obj)) return validateArray(path, s, obj);
  if (isObject(obj)) return validateListSetsAndMaps(path, s, obj);
  return [];
}

export function validateListSetsAndMaps(path: string, s: StructuralSchema | undefined, obj: Record<string, unknown>): FieldError[] {
  if (s === undefined) return [];
  const errs: FieldError[] = [];
  const ap = additionalSchema(s);
  if (ap) for (const [k, v] of Object.entries(obj)) errs.push(...validateValue(keyPath(path, k), ap, v));
  if (s.properties) {
    for (const [k, v] of Object.entries(obj)) {
      if (Object.hasOwn(s.properties, k)) errs.push(...validateValue(childPath(path, k), s.properties[k], v));
    }
  }
  return errs;
}
