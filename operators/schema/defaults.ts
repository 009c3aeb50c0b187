/**
 * structuraldefaulting.Default: a property's default is applied when the property is absent, or null
 * while not nullable; items and additionalProperties values that are non-nullable nulls get theirs too.
 * Defaults are deep-copied, and applied top-down so that defaults inside a defaulted object apply as well.
 */
import { deepCopy, setOwn } from './json.js';
import { additionalSchema, isObject, type StructuralSchema } from './types.js';

function isNonNullableNull(v: unknown, s: StructuralSchema | undefined): s is StructuralSchema {
  return v === null && s !== undefined && !s.nullable && s.default !== undefined;
}

export function defaultInPlace(x: unknown, s: StructuralSchema | undefined): void {
  if (s === undefined) return;
  if (Array.isArray(x)) {
    for (let i = 0; i < x.length; i++) {
      const v = x[i];
      if (isNonNullableNull(v, s.items)) x[i] = deepCopy(s.items.default);
      defaultInPlace(v, s.items);
    }
    return;
  }
  if (!isObject(x)) return;
  const props = s.properties ?? {};
  for (const [k, prop] of Object.entries(props)) {
    if (prop.default === undefined) continue;
    if (!Object.hasOwn(x, k) || isNonNullableNull(x[k], prop)) setOwn(x, k, deepCopy(prop.default));
  }
  const ap = additionalSchema(s);
  for (const k of Object.keys(x)) {
    if (Object.hasOwn(props, k)) {
      defaultInPlace(x[k], props[k]);
    } else if (ap !== undefined) {
      const v = x[k];
      if (isNonNullableNull(v, ap)) setOwn(x, k, deepCopy(ap.default));
      defaultInPlace(v, ap);
    }
  }
}
