import { canonicalJson, FieldSet } from './fieldpath.js';
import type { TypeInfo } from './type-info.js';
import { toFieldSet } from './typed.js';
import { clone, isObject, type JsonObject } from './values.js';

/** The annotation `kubectl apply` (client-side) keeps its last configuration in. */
export const LAST_APPLIED_ANNOTATION = 'kubectl.kubernetes.io/last-applied-configuration';

/**
 * kube-apiserver treats the field manager "kubectl" specially so that `kubectl apply --server-side`
 * can take over an object managed by client-side apply (lastappliedmanager.go, lastappliedupdater.go).
 */
export const KUBECTL_MANAGER = 'kubectl';

function lastApplied(obj: unknown): string | undefined {
  if (!isObject(obj) || !isObject(obj.metadata) || !isObject(obj.metadata.annotations)) return undefined;
  const v = obj.metadata.annotations[LAST_APPLIED_ANNOTATION];
  return typeof v === 'string' ? v : undefined;
}

/**
 * The fields of the live object's last client-side applied configuration: conflicts on these are
 * allowed for "kubectl", which then takes them over. Empty when there is no readable annotation.
 */
export function fieldsFromLastApplied(live: unknown, types: TypeInfo): FieldSet {
  const text = lastApplied(live);
  if (text === undefined) return new FieldSet();
  try {
    return toFieldSet(JSON.parse(text), types);
  } catch {
    return new FieldSet();
  }
}

/** Go's json.Marshal of an unstructured object: sorted keys, HTML characters escaped. */
function goJson(v: unknown): string {
  return canonicalJson(v)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/**
 * After a server-side apply by "kubectl", an object that carries the client-side annotation gets it
 * rewritten to the applied configuration, so that a later client-side apply computes the right patch.
 * Replaces object.metadata.
 */
export function syncLastApplied(object: JsonObject, applied: JsonObject): void {
  if (lastApplied(object) === undefined) return;
  const config = clone(applied);
  if (isObject(config.metadata) && isObject(config.metadata.annotations)) {
    delete config.metadata.annotations[LAST_APPLIED_ANNOTATION];
    if (Object.keys(config.metadata.annotations).length === 0) delete config.metadata.annotations;
  }
  // Copies, not writes: the annotations may be shared with the live object.
  const meta = object.metadata as JsonObject;
  object.metadata = { ...meta, annotations: { ...(meta.annotations as JsonObject), [LAST_APPLIED_ANNOTATION]: goJson(config) } };
}
