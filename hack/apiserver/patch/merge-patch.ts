import { badRequest } from './errors.js';
import { clone, has, isObject, own, put, type JsonObject } from './values.js';

/**
 * JSON merge patch (RFC 7386), as `Content-Type: application/merge-patch+json`. Pure: neither
 * argument is modified. A non-object patch replaces the target, as the RFC says; the caller decides
 * whether a non-object result is acceptable for the resource.
 */
export function applyMergePatch(target: unknown, patch: unknown): unknown {
  if (patch === undefined) throw badRequest('invalid JSON document: the merge patch is empty');
  return mergeValue(target, patch);
}

function mergeValue(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return clone(patch);
  // One copy of the target, merged into in place (not a copy per key, and again per nested level).
  const out: JsonObject = isObject(target) ? clone(target) : {};
  mergeInto(out, patch);
  return out;
}

/** Merges `patch` into `out`, which the caller owns; values taken from `patch` are copied. */
function mergeInto(out: JsonObject, patch: JsonObject): void {
  for (const k of Object.keys(patch)) {
    const v = own(patch, k);
    if (v === null) {
      if (has(out, k)) delete out[k];
    } else if (isObject(v) && has(out, k) && isObject(out[k])) {
      mergeInto(out[k] as JsonObject, v);
    } else {
      put(out, k, mergeValue(undefined, v));
    }
  }
}
