/**
 * What kube-apiserver does to a custom resource while decoding it: unknown fields are pruned
 * (apiextensions' pruning algorithm), nulls in non-nullable fields without a default are dropped, and
 * metadata is coerced to ObjectMeta. The removed fields are reported as the Warning header and
 * fieldValidation=Strict name them ("spec.foo", "spec.items[0].bar", "metadata.foo").
 */
import { additionalSchema, isObject, type StructuralSchema } from './types.js';

const META_FIELDS = new Set(['apiVersion', 'kind', 'metadata']);

class Paths {
  readonly unknown: string[] = [];
  private parts: string[] = [];

  record(field: string): void {
    this.unknown.push(this.parts.length > 0 ? `${this.parts.join('')}.${field}` : field);
  }
  key(k: string): void {
    this.parts.push(this.parts.length > 0 ? `.${k}` : k);
  }
  index(i: number): void {
    this.parts.push(`[${i}]`);
  }
  pop(): void {
    this.parts.pop();
  }
  get atRoot(): boolean {
    return this.parts.length === 0;
  }
}

function prune(x: unknown, s: StructuralSchema | undefined, paths: Paths): void {
  if (s?.['x-kubernetes-preserve-unknown-fields']) {
    skipPrune(x, s, paths);
    return;
  }
  if (Array.isArray(x)) {
    x.forEach((v, i) => {
      paths.index(i);
      prune(v, s?.items, paths);
      paths.pop();
    });
    return;
  }
  if (!isObject(x)) return;
  if (s === undefined) {
    for (const k of Object.keys(x)) {
      paths.record(k);
      delete x[k];
    }
    return;
  }
  for (const k of Object.keys(x)) {
    if (s['x-kubernetes-embedded-resource'] && META_FIELDS.has(k)) continue;
    const prop = s.properties && Object.hasOwn(s.properties, k) ? s.properties[k] : undefined;
    if (prop !== undefined) {
      paths.key(k);
      prune(x[k], prop, paths);
      paths.pop();
    } else if (s.additionalProperties !== undefined) {
      paths.key(k);
      prune(x[k], additionalSchema(s), paths);
      paths.pop();
    } else {
      if (!META_FIELDS.has(k) || !paths.atRoot) paths.record(k);
      delete x[k];
    }
  }
}

function skipPrune(x: unknown, s: StructuralSchema | undefined, paths: Paths): void {
  if (s === undefined) return;
  if (Array.isArray(x)) {
    x.forEach((v, i) => {
      paths.index(i);
      skipPrune(v, s.items, paths);
      paths.pop();
    });
    return;
  }
  if (!isObject(x)) return;
  for (const k of Object.keys(x)) {
    if (s['x-kubernetes-embedded-resource'] && META_FIELDS.has(k)) continue;
    const prop = s.properties && Object.hasOwn(s.properties, k) ? s.properties[k] : undefined;
    if (prop === undefined && s.additionalProperties === undefined) continue;
    paths.key(k);
    prune(x[k], prop ?? additionalSchema(s), paths);
    paths.pop();
  }
}

/** structuraldefaulting.PruneNonNullableNullsWithoutDefaults */
function pruneNulls(x: unknown, s: StructuralSchema | undefined): void {
  if (s === undefined) return;
  if (Array.isArray(x)) {
    for (const v of x) pruneNulls(v, s.items);
    return;
  }
  if (!isObject(x)) return;
  for (const k of Object.keys(x)) {
    const sub = s.properties && Object.hasOwn(s.properties, k) ? s.properties[k] : additionalSchema(s);
    if (sub === undefined) continue;
    if (x[k] === null && !sub.nullable && sub.default === undefined) delete x[k];
    else pruneNulls(x[k], sub);
  }
}

type MetaShape = { [field: string]: MetaShape | 'scalar' | 'map' | { items: MetaShape } };
const OWNER_REF: MetaShape = { apiVersion: 'scalar', kind: 'scalar', name: 'scalar', uid: 'scalar', controller: 'scalar', blockOwnerDeletion: 'scalar' };
const MANAGED_FIELDS: MetaShape = { manager: 'scalar', operation: 'scalar', apiVersion: 'scalar', time: 'scalar', fieldsType: 'scalar', fieldsV1: 'map', subresource: 'scalar' };
/** metav1.ObjectMeta's JSON fields (1.32). */
const OBJECT_META: MetaShape = {
  name: 'scalar', generateName: 'scalar', namespace: 'scalar', selfLink: 'scalar', uid: 'scalar', resourceVersion: 'scalar',
  generation: 'scalar', creationTimestamp: 'scalar', deletionTimestamp: 'scalar', deletionGracePeriodSeconds: 'scalar',
  labels: 'map', annotations: 'map', ownerReferences: { items: OWNER_REF }, finalizers: 'scalar', managedFields: { items: MANAGED_FIELDS },
};

function coerceShape(x: unknown, shape: MetaShape, prefix: string, unknown: string[]): void {
  if (!isObject(x)) return;
  for (const k of Object.keys(x)) {
    const sub = Object.hasOwn(shape, k) ? shape[k] : undefined;
    if (sub === undefined) {
      unknown.push(`${prefix}.${k}`);
      delete x[k];
    } else if (typeof sub === 'object' && 'items' in sub && Array.isArray(x[k])) {
      (x[k] as unknown[]).forEach((item, i) => coerceShape(item, sub.items as MetaShape, `${prefix}.${k}[${i}]`, unknown));
    }
  }
}

/** schemaobjectmeta.Coerce: metadata at the root and in every embedded resource is an ObjectMeta. */
function coerceMeta(x: unknown, s: StructuralSchema | undefined, path: string, isResource: boolean, unknown: string[]): void {
  if (Array.isArray(x)) {
    x.forEach((v, i) => coerceMeta(v, s?.items, `${path}[${i}]`, s?.items?.['x-kubernetes-embedded-resource'] === true, unknown));
    return;
  }
  if (!isObject(x)) return;
  if (isResource && isObject(x.metadata)) coerceShape(x.metadata, OBJECT_META, path === '' ? 'metadata' : `${path}.metadata`, unknown);
  if (s === undefined) return;
  for (const k of Object.keys(x)) {
    if (isResource && META_FIELDS.has(k)) continue;
    const sub = s.properties && Object.hasOwn(s.properties, k) ? s.properties[k] : additionalSchema(s);
    if (sub !== undefined) coerceMeta(x[k], sub, path === '' ? k : `${path}.${k}`, sub['x-kubernetes-embedded-resource'] === true, unknown);
  }
}

/** Prunes a value (not a whole resource) against the schema that governs it, in place. */
export function pruneValueInPlace(value: unknown, schema: StructuralSchema): void {
  prune(value, schema, new Paths());
}

/**
 * Prunes `obj` in place (callers pass a copy) and returns the dotted paths of the removed fields, sorted.
 */
export function pruneInPlace(obj: Record<string, unknown>, schema: StructuralSchema): string[] {
  const paths = new Paths();
  prune(obj, { ...schema, 'x-kubernetes-embedded-resource': true }, paths);
  pruneNulls(obj, schema);
  const metaUnknown: string[] = [];
  coerceMeta(obj, schema, '', true, metaUnknown);
  return [...paths.unknown, ...metaUnknown].sort();
}
