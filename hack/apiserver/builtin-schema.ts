/**
 * The typed decoding kube-apiserver does for built-in kinds, from the structure of every built-in
 * type: @kubernetes/client-node's generated models list each type's JSON fields and their types
 * (`attributeTypeMap`), which is the same field set the Go structs have; builtin-models.ts keeps a
 * copy of that table so that a server start does not load client-node. Decoding a body walks it:
 * unknown fields are dropped and reported with the path sigs.k8s.io/json gives them
 * (`spec.containers[0].foo`), and resource.Quantity fields must parse, else decoding fails.
 */
import { modelTable } from './builtin-models.js';
import { quantityJsonError } from './quantity.js';
import { isRecord } from './types.js';

type Fields = Map<string, string>;

/** Model names that are not `<Version><Kind>` (two kinds named Event). */
const MODEL_NAMES: Record<string, string> = {
  'v1/Event': 'CoreV1Event',
  'events.k8s.io/v1/Event': 'EventsV1Event',
};

/** resource.Quantity fields, as `Model.field` (single values, or the values of a ResourceList map). */
export const QUANTITY_FIELDS = new Set([
  'V1ResourceRequirements.limits', 'V1ResourceRequirements.requests',
  'V1VolumeResourceRequirements.limits', 'V1VolumeResourceRequirements.requests',
  'V1EmptyDirVolumeSource.sizeLimit', 'V1ResourceFieldSelector.divisor', 'V1PodSpec.overhead', 'V1Overhead.podFixed',
  'V1ContainerStatus.allocatedResources', 'V1PersistentVolumeClaimStatus.capacity', 'V1PersistentVolumeClaimStatus.allocatedResources',
  'V1PersistentVolumeSpec.capacity', 'V1NodeStatus.capacity', 'V1NodeStatus.allocatable',
  'V1ResourceQuotaSpec.hard', 'V1ResourceQuotaStatus.hard', 'V1ResourceQuotaStatus.used',
  'V1LimitRangeItem.max', 'V1LimitRangeItem.min', 'V1LimitRangeItem._default', 'V1LimitRangeItem.defaultRequest',
  'V1LimitRangeItem.maxLimitRequestRatio',
]);

const fieldCache = new Map<string, Fields | undefined>();
const quantityAttrs = new Map<string, Set<string>>();

function fieldsOf(model: string): Fields | undefined {
  if (fieldCache.has(model)) return fieldCache.get(model);
  const attrs = Object.hasOwn(modelTable().models, model) ? modelTable().models[model] : undefined;
  const fields = attrs ? new Map(attrs.map(([baseName, type]) => [baseName, type])) : undefined;
  if (attrs) {
    // QUANTITY_FIELDS names the TypeScript attribute; map it to the JSON name.
    const q = new Set(attrs.filter(([baseName, , name]) => QUANTITY_FIELDS.has(`${model}.${name ?? baseName}`)).map(([baseName]) => baseName));
    quantityAttrs.set(model, q);
  }
  fieldCache.set(model, fields);
  return fields;
}

/** The model describing `kind` in `apiVersion`, e.g. V1Pod, V1Deployment; undefined if client-node has none. */
export function builtinModel(apiVersion: string, kind: string): string | undefined {
  const version = apiVersion.slice(apiVersion.lastIndexOf('/') + 1);
  const name = MODEL_NAMES[`${apiVersion}/${kind}`] ?? `${version[0]!.toUpperCase()}${version.slice(1)}${kind}`;
  return fieldsOf(name) ? name : undefined;
}

export interface Decoded {
  /** Paths of the fields the type does not have, in document order (they are removed from the object). */
  unknownFields: string[];
  /** The first value that cannot be decoded (today: a malformed quantity); strict errors then do not count. */
  decodeError?: string;
}

const MAX_STRICT_ERRORS = 100;
const ARRAY = /^Array<(.+)>$/;
const MAP = /^\{ \[key: string\]: (.+); \}$/;
const join = (path: string, key: string): string => (path ? `${path}.${key}` : key);

/**
 * Decodes a built-in object in place the way kube-apiserver's strict JSON decoder does: drops the
 * fields `model` does not have and reports them; stops at the first malformed quantity.
 */
export function decodeBuiltin(model: string, obj: Record<string, unknown>): Decoded {
  const out: Decoded = { unknownFields: [] };
  walk(model, obj, '', out);
  return out;
}

function walk(type: string, value: unknown, path: string, out: Decoded): void {
  if (out.decodeError !== undefined || value === null || value === undefined) return;
  const list = ARRAY.exec(type);
  if (list) {
    if (Array.isArray(value)) value.forEach((v, i) => walk(list[1]!, v, `${path}[${i}]`, out));
    return;
  }
  const map = MAP.exec(type);
  if (map) {
    if (isRecord(value)) for (const [k, v] of Object.entries(value)) walk(map[1]!, v, join(path, k), out);
    return;
  }
  const fields = fieldsOf(type);
  if (!fields || !isRecord(value)) return;
  const quantities = quantityAttrs.get(type);
  for (const key of Object.keys(value)) {
    const fieldType = fields.get(key);
    const p = join(path, key);
    if (fieldType === undefined) {
      if (out.unknownFields.length < MAX_STRICT_ERRORS && !out.unknownFields.includes(p)) out.unknownFields.push(p);
      delete value[key];
    } else if (quantities?.has(key)) {
      const v = value[key];
      // A ResourceList that is not an object is a type error, which is not modelled here.
      const values = fieldType.startsWith('{') ? (isRecord(v) ? Object.values(v) : []) : [v];
      for (const q of values) {
        const err = quantityJsonError(q);
        if (err) { out.decodeError = err; return; }
      }
    } else walk(fieldType, value[key], p, out);
    if (out.decodeError !== undefined) return;
  }
}
