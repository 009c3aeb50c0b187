import { isObject, own, type JsonObject } from './values.js';

/**
 * What the patch code needs to know about a resource's schema: which objects are structs (named
 * fields) and which are maps (data keys such as labels), how each list merges (atomic, set, or map
 * keyed by some fields: x-kubernetes-list-type / list-map-keys), which maps are atomic
 * (x-kubernetes-map-type), and the strategic-merge-patch metadata of built-in lists
 * (patchStrategy / patchMergeKey).
 */
export type TypeInfo = TypeNode;

export type TypeNode = StructType | MapType | ListType | ScalarType | UntypedType;

export interface StructType {
  kind: 'struct';
  fields: Record<string, TypeNode>;
  /** Type of undeclared fields (x-kubernetes-preserve-unknown-fields, or the undescribed rest of a built-in). */
  other?: TypeNode;
  /** x-kubernetes-map-type: atomic (e.g. LabelSelector): owned and replaced as one value. */
  atomic?: boolean;
  /**
   * A built-in's non-pointer struct (spec, status, a pod template): kube-apiserver's objects always
   * have it, so an Update never "adds" it and managedFields show no "." for it.
   */
  alwaysPresent?: boolean;
}

export interface MapType {
  kind: 'map';
  values: TypeNode;
  atomic?: boolean;
}

export interface ListType {
  kind: 'list';
  listType: 'atomic' | 'set' | 'map';
  /** x-kubernetes-list-map-keys, for listType map. */
  keys?: string[];
  /** Defaults of key fields (a container port's protocol is TCP when omitted). */
  keyDefaults?: Record<string, unknown>;
  items: TypeNode;
  /** Strategic merge patch: `merge` merges by patchMergeKey (or as a set of scalars); otherwise the list is replaced. */
  patchStrategy?: 'merge';
  patchMergeKey?: string;
  /** A built-in list without omitempty (PodSpec.containers): present, as null, in every Go object. */
  alwaysPresent?: boolean;
}

export interface ScalarType {
  kind: 'scalar';
}

/**
 * A value without a schema. `deduced` is structured-merge-diff's schema-less type (objects are
 * maps whose every key is owned, lists atomic): used for x-kubernetes-preserve-unknown-fields.
 * `loose` is a built-in field the compact built-in table does not describe: objects are structs,
 * lists atomic, as they are for most of the Kubernetes API.
 */
export interface UntypedType {
  kind: 'deduced' | 'loose';
}

export const SCALAR: ScalarType = { kind: 'scalar' };
export const DEDUCED: UntypedType = { kind: 'deduced' };
export const LOOSE: UntypedType = { kind: 'loose' };

/** The type of field `name` of an object of type `t`. */
export function fieldType(t: TypeNode, name: string): TypeNode {
  switch (t.kind) {
    case 'struct':
      return own(t.fields, name) as TypeNode | undefined ?? t.other ?? DEDUCED;
    case 'map':
      return t.values;
    case 'loose':
      return LOOSE;
    default:
      return DEDUCED;
  }
}

/**
 * Whether `name` is a named field of a struct. structured-merge-diff owns a map's keys themselves
 * but only the leaves below a struct's named fields, and removes a named field with its last leaf.
 */
export function isNamedField(t: TypeNode, name: string): boolean {
  if (t.kind === 'loose') return true;
  if (t.kind !== 'struct') return false;
  return own(t.fields, name) !== undefined || t.other?.kind === 'loose';
}

export function itemType(t: TypeNode): TypeNode {
  if (t.kind === 'list') return t.items;
  return t.kind === 'loose' ? LOOSE : DEDUCED;
}

/** Whether a value of type `t` is owned and replaced as a whole (a leaf). */
export function isAtomic(t: TypeNode, value: unknown): boolean {
  if (Array.isArray(value)) return t.kind !== 'list' || t.listType === 'atomic';
  if (isObject(value)) {
    if (t.kind === 'struct' || t.kind === 'map') return t.atomic === true;
    return t.kind === 'scalar' || t.kind === 'list';
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// Shared shapes: ObjectMeta as every API object has it.

const stringMap: MapType = { kind: 'map', values: SCALAR };

export const OBJECT_META: StructType = {
  kind: 'struct',
  fields: {
    name: SCALAR,
    generateName: SCALAR,
    namespace: SCALAR,
    uid: SCALAR,
    resourceVersion: SCALAR,
    generation: SCALAR,
    creationTimestamp: SCALAR,
    deletionTimestamp: SCALAR,
    deletionGracePeriodSeconds: SCALAR,
    selfLink: SCALAR,
    labels: stringMap,
    annotations: stringMap,
    finalizers: { kind: 'list', listType: 'set', items: SCALAR, patchStrategy: 'merge' },
    ownerReferences: {
      kind: 'list',
      listType: 'map',
      keys: ['uid'],
      items: { kind: 'struct', fields: {}, other: LOOSE },
      patchStrategy: 'merge',
      patchMergeKey: 'uid',
    },
    managedFields: { kind: 'list', listType: 'atomic', items: LOOSE },
  },
  other: LOOSE,
};

/** The root of an API object: apiVersion, kind, metadata, plus the given fields. */
export function objectType(fields: Record<string, TypeNode>, other: TypeNode = LOOSE): StructType {
  return { kind: 'struct', fields: { apiVersion: SCALAR, kind: SCALAR, metadata: OBJECT_META, ...fields }, other };
}

// ---------------------------------------------------------------------------------------------
// CustomResourceDefinitions: from the version's openAPIV3Schema.

/**
 * TypeInfo for a custom resource from its CRD version's `openAPIV3Schema`, honouring
 * x-kubernetes-list-type (atomic | set | map, default atomic), x-kubernetes-list-map-keys,
 * x-kubernetes-map-type (granular | atomic), x-kubernetes-preserve-unknown-fields,
 * x-kubernetes-int-or-string and x-kubernetes-embedded-resource. metadata is always ObjectMeta.
 */
export function typeInfoFromOpenAPI(schema: object): TypeInfo {
  const root = fromSchema(schema as JsonObject);
  const fields = root.kind === 'struct' ? root.fields : {};
  const other = root.kind === 'struct' ? root.other : DEDUCED;
  return objectType(Object.fromEntries(Object.entries(fields).filter(([k]) => k !== 'metadata' && k !== 'apiVersion' && k !== 'kind')), other);
}

function fromSchema(s: JsonObject): TypeNode {
  if (!isObject(s)) return DEDUCED;
  if (s['x-kubernetes-int-or-string'] === true) return SCALAR;
  const preserve = s['x-kubernetes-preserve-unknown-fields'] === true;
  const type = s.type;
  if (type === 'array') return listFromSchema(s);
  const props = isObject(s.properties) ? s.properties : undefined;
  if (type === 'object' || props) {
    const atomic = s['x-kubernetes-map-type'] === 'atomic';
    const ap = s.additionalProperties;
    if (!props && (isObject(ap) || ap === true)) {
      return { kind: 'map', values: isObject(ap) ? fromSchema(ap) : DEDUCED, ...(atomic && { atomic }) };
    }
    const fields: Record<string, TypeNode> = {};
    for (const [k, v] of Object.entries(props ?? {})) fields[k] = fromSchema(v as JsonObject);
    if (s['x-kubernetes-embedded-resource'] === true) {
      Object.assign(fields, { apiVersion: SCALAR, kind: SCALAR, metadata: OBJECT_META });
    }
    const node: StructType = { kind: 'struct', fields };
    if (preserve) node.other = DEDUCED;
    else if (!props && !isObject(ap)) node.other = DEDUCED;
    if (atomic) node.atomic = true;
    return node;
  }
  if (type === undefined) return DEDUCED;
  return SCALAR;
}

function listFromSchema(s: JsonObject): ListType {
  const items = isObject(s.items) ? s.items : {};
  const declared = s['x-kubernetes-list-type'];
  const keys = Array.isArray(s['x-kubernetes-list-map-keys'])
    ? (s['x-kubernetes-list-map-keys'] as unknown[]).filter((k): k is string => typeof k === 'string')
    : undefined;
  const strategy = String(s['x-kubernetes-patch-strategy'] ?? '').split(',');
  const mergeKey = typeof s['x-kubernetes-patch-merge-key'] === 'string' ? s['x-kubernetes-patch-merge-key'] : undefined;
  let listType: ListType['listType'] = 'atomic';
  if (declared === 'set' || declared === 'map' || declared === 'atomic') listType = declared;
  // kube-openapi's schemaconv reads the patch strategy when no list type is declared.
  else if (strategy.includes('merge')) listType = mergeKey ? 'map' : 'set';
  const node: ListType = { kind: 'list', listType, items: fromSchema(items) };
  if (listType === 'map') {
    node.keys = keys ?? (mergeKey ? [mergeKey] : []);
    const defaults: Record<string, unknown> = {};
    const props = isObject(items.properties) ? items.properties : {};
    for (const k of node.keys) {
      const p = own(props, k);
      if (isObject(p) && p.default !== undefined) defaults[k] = p.default;
    }
    if (Object.keys(defaults).length) node.keyDefaults = defaults;
  }
  if (strategy.includes('merge')) {
    node.patchStrategy = 'merge';
    if (mergeKey) node.patchMergeKey = mergeKey;
  }
  return node;
}
