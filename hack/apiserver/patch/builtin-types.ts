import {
  LOOSE,
  objectType,
  OBJECT_META,
  SCALAR,
  type ListType,
  type MapType,
  type StructType,
  type TypeInfo,
  type TypeNode,
} from './type-info.js';

/*
 * A compact description of the built-in kinds the embedded server serves: only the fields whose
 * merge behaviour differs from the default (objects are structs, lists atomic). List types and
 * keys are those of the Kubernetes 1.32 OpenAPI (x-kubernetes-list-type / -list-map-keys, or the
 * patch strategy where no list type is declared); patchStrategy / patchMergeKey are the struct tags
 * strategic merge patch reads.
 */

const struct = (fields: Record<string, TypeNode>, atomic = false): StructType =>
  atomic ? { kind: 'struct', fields, other: LOOSE, atomic } : { kind: 'struct', fields, other: LOOSE };
/** A non-pointer Go struct (spec, status, pod templates): always present in kube-apiserver's objects. */
const value = (fields: Record<string, TypeNode> = {}): StructType => ({ kind: 'struct', fields, other: LOOSE, alwaysPresent: true });
const map = (atomic = false): MapType => (atomic ? { kind: 'map', values: SCALAR, atomic } : { kind: 'map', values: SCALAR });
// mergeKey null: a list-map for apply that strategic merge patch replaces (no patchStrategy tag).
const keyed = (keys: string[], items: TypeNode = struct({}), mergeKey: string | null = keys[0], keyDefaults?: Record<string, unknown>): ListType => ({
  kind: 'list',
  listType: 'map',
  keys,
  items,
  ...(keyDefaults && { keyDefaults }),
  ...(mergeKey && { patchStrategy: 'merge' as const, patchMergeKey: mergeKey }),
});
const conditions = keyed(['type']);

/** metav1.LabelSelector is +structType=atomic. */
const labelSelector = struct({}, true);
const resources = value({ limits: map(), requests: map(), claims: keyed(['name'], struct({}), null) });
/** A pod template's metadata is a non-pointer ObjectMeta. */
const templateMeta: StructType = { ...OBJECT_META, alwaysPresent: true };

const container = struct({
  ports: keyed(['containerPort', 'protocol'], struct({}), 'containerPort', { protocol: 'TCP' }),
  env: keyed(['name']),
  volumeMounts: keyed(['mountPath']),
  volumeDevices: keyed(['devicePath']),
  resources,
});

const podSpec = value({
  containers: { ...keyed(['name'], container), alwaysPresent: true },
  initContainers: keyed(['name'], container),
  ephemeralContainers: keyed(['name'], container),
  volumes: keyed(['name']),
  imagePullSecrets: keyed(['name']),
  hostAliases: keyed(['ip']),
  topologySpreadConstraints: keyed(['topologyKey', 'whenUnsatisfiable'], struct({}), 'topologyKey'),
  schedulingGates: keyed(['name']),
  resourceClaims: keyed(['name']),
  readinessGates: { kind: 'list', listType: 'atomic', items: LOOSE },
  nodeSelector: map(true),
  overhead: map(),
});

const podStatus = value({ conditions, podIPs: keyed(['ip']), hostIPs: keyed(['ip']) });
const podTemplate = value({ metadata: templateMeta, spec: podSpec });
const workloadSpec = value({ selector: labelSelector, template: podTemplate });
// Deployment.spec.strategy, StatefulSet/DaemonSet .spec.updateStrategy are non-pointer structs.
const rolloutSpec = value({ selector: labelSelector, template: podTemplate, strategy: value(), updateStrategy: value() });
const conditionsStatus = value({ conditions });

const TYPES: Record<string, TypeInfo> = {
  '/Pod': objectType({ spec: podSpec, status: podStatus }),
  '/PodTemplate': objectType({ template: podTemplate }),
  '/Service': objectType({
    spec: value({
      ports: keyed(['port', 'protocol'], struct({}), 'port', { protocol: 'TCP' }),
      selector: map(true),
    }),
    status: conditionsStatus,
  }),
  '/ConfigMap': objectType({ data: map(), binaryData: map() }),
  '/Secret': objectType({ data: map(), stringData: map() }),
  '/ServiceAccount': objectType({ secrets: keyed(['name']) }),
  '/Namespace': objectType({ status: conditionsStatus }),
  '/PersistentVolumeClaim': objectType({
    spec: value({ selector: labelSelector, resources }),
    status: value({ conditions, capacity: map(), allocatedResources: map() }),
  }),
  '/Node': objectType({
    spec: value({ podCIDRs: { kind: 'list', listType: 'set', items: SCALAR, patchStrategy: 'merge' } }),
    status: value({ conditions, addresses: keyed(['type']), capacity: map(), allocatable: map() }),
  }),
  'apps/Deployment': objectType({ spec: rolloutSpec, status: conditionsStatus }),
  'apps/ReplicaSet': objectType({ spec: workloadSpec, status: conditionsStatus }),
  'apps/StatefulSet': objectType({ spec: rolloutSpec, status: conditionsStatus }),
  'apps/DaemonSet': objectType({ spec: rolloutSpec, status: conditionsStatus }),
  // Job conditions merge by type in a strategic merge patch but are +listType=atomic for apply.
  'batch/Job': objectType({
    spec: workloadSpec,
    status: value({ conditions: { kind: 'list', listType: 'atomic', items: LOOSE, patchStrategy: 'merge', patchMergeKey: 'type' } }),
  }),
  'batch/CronJob': objectType({ spec: value({ jobTemplate: value({ metadata: templateMeta, spec: workloadSpec }) }) }),
  'networking.k8s.io/NetworkPolicy': objectType({ spec: value({ podSelector: labelSelector }) }),
  'apiextensions.k8s.io/CustomResourceDefinition': objectType({
    // spec.versions is +listType=atomic: applying a CRD replaces its version list.
    status: conditionsStatus,
  }),
};

// Every other built-in kind with a spec or status has them as non-pointer structs (Lease, ...).
const GENERIC = objectType({ spec: value(), status: value() });

/**
 * TypeInfo of a built-in kind (`apiVersion` as in the object, e.g. "apps/v1"). Kinds without an
 * entry (Lease, Event, RBAC objects, ...) merge by the defaults: ObjectMeta's lists keyed as the API
 * server keys them, other objects as structs, other lists atomic (RBAC rules and subjects, taints,
 * tolerations, ingress rules are atomic lists in Kubernetes too).
 */
export function builtinTypeInfo(apiVersion: string, kind: string): TypeInfo {
  const group = apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.lastIndexOf('/')) : '';
  return TYPES[`${group}/${kind}`] ?? GENERIC;
}
