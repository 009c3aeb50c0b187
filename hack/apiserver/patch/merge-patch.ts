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
  const out: JsonObject = {};
  if (isObject(target)) for (const k of Object.keys(target)) put(out, k, clone(target[k]));
  for (const k of Object.keys(patch)) {
    const v = own(patch, k);
    if (v === null) {
      if (has(out, k)) delete out[k];
    } else {
      put(out, k, mergeValue(has(out, k) ? out[k] : undefined, v));
    }
  }
  return out;
}
