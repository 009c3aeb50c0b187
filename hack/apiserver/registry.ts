/**
 * The resource catalog: built-in resources and the ones CRDs add. Everything the router,
 * discovery, OpenAPI and table printing need to know about a resource lives in ResourceInfo.
 */
import type { CompiledSchema } from '../../operators/schema/index.js';
import { eventFromCore, eventToCore } from './events.js';
import type { NameRule } from './names.js';
import { getPath, type KObject } from './types.js';

export interface PrinterColumn {
  name: string; type: string; format?: string; description?: string; priority?: number; jsonPath: string;
}

export interface ScaleInfo { specReplicasPath: string; statusReplicasPath: string; labelSelectorPath?: string }

export interface CustomInfo {
  /** The CRD this version comes from (its metadata.name). */
  crdName: string;
  schema?: CompiledSchema;
  openAPISchema?: Record<string, unknown>;
  storage: boolean;
  selectableFields: string[];
  /** The CRD's resourceVersion when this schema took effect: older objects are pruned and defaulted on read (read-defaults.ts). */
  schemaRv?: number;
}

export interface ResourceInfo {
  group: string; version: string; resource: string; kind: string; singular: string;
  namespaced: boolean; shortNames: string[]; categories: string[]; verbs: string[];
  status: boolean;
  scale?: ScaleInfo;
  /** Extra subresources (binding, eviction, log, proxy, finalize). */
  extra: string[];
  nameRule: NameRule;
  /** metadata.generation is maintained (bumped on spec changes). */
  generation: boolean;
  /** Field selector labels beyond metadata.name / metadata.namespace. */
  fieldLabels: Record<string, string>;
  printerColumns?: PrinterColumn[];
  custom?: CustomInfo;
  /** Resources stored under another resource's key, converted on the way in and out. */
  storage?: { key: string; toStorage(o: KObject): KObject; fromStorage(o: KObject): KObject };
}

export const ALL_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

export function apiVersionOf(r: { group: string; version: string }): string {
  return r.group ? `${r.group}/${r.version}` : r.version;
}

export function groupResourceKey(r: { group: string; resource: string }): string {
  return `${r.resource}.${r.group}`;
}

/** The store table a resource's objects live in. */
export function storageKey(r: ResourceInfo): string {
  return r.storage?.key ?? groupResourceKey(r);
}

/** The field selector labels a resource supports, with the object's value for each. */
export function selectableFields(r: ResourceInfo): string[] {
  const base = r.namespaced ? ['metadata.name', 'metadata.namespace'] : ['metadata.name'];
  return [...base, ...Object.keys(r.fieldLabels), ...(r.custom?.selectableFields ?? [])];
}

export function fieldsOf(r: ResourceInfo, obj: KObject): Record<string, string> {
  const out: Record<string, string> = { 'metadata.name': obj.metadata?.name ?? '' };
  if (r.namespaced) out['metadata.namespace'] = obj.metadata?.namespace ?? '';
  for (const [label, path] of Object.entries(r.fieldLabels)) out[label] = fieldString(getPath(obj, path));
  for (const path of r.custom?.selectableFields ?? []) out[path] = fieldString(getPath(obj, path));
  return out;
}

function fieldString(v: unknown): string {
  if (v === undefined || v === null) return '';
  return typeof v === 'string' ? v : String(v);
}

type BuiltinSpec = Partial<ResourceInfo> & Pick<ResourceInfo, 'group' | 'version' | 'resource' | 'kind'>;

function builtin(s: BuiltinSpec): ResourceInfo {
  return {
    singular: s.kind.toLowerCase(), namespaced: true, shortNames: [], categories: [], verbs: ALL_VERBS,
    status: false, extra: [], nameRule: 'subdomain', generation: false, fieldLabels: {}, ...s,
  };
}

const EVENT_FIELDS = {
  'involvedObject.kind': 'involvedObject.kind', 'involvedObject.namespace': 'involvedObject.namespace',
  'involvedObject.name': 'involvedObject.name', 'involvedObject.uid': 'involvedObject.uid',
  'involvedObject.apiVersion': 'involvedObject.apiVersion', 'involvedObject.resourceVersion': 'involvedObject.resourceVersion',
  'involvedObject.fieldPath': 'involvedObject.fieldPath', reason: 'reason', reportingComponent: 'reportingComponent',
  source: 'source.component', type: 'type',
};

export function builtinResources(): ResourceInfo[] {
  return [
    builtin({ group: '', version: 'v1', resource: 'namespaces', kind: 'Namespace', namespaced: false, shortNames: ['ns'],
      status: true, nameRule: 'label', fieldLabels: { 'status.phase': 'status.phase' }, extra: ['finalize'] }),
    builtin({ group: '', version: 'v1', resource: 'pods', kind: 'Pod', shortNames: ['po'], categories: ['all'], status: true,
      extra: ['binding', 'eviction', 'log'], fieldLabels: {
        'spec.nodeName': 'spec.nodeName', 'spec.restartPolicy': 'spec.restartPolicy', 'spec.schedulerName': 'spec.schedulerName',
        'spec.serviceAccountName': 'spec.serviceAccountName', 'spec.hostNetwork': 'spec.hostNetwork',
        'status.phase': 'status.phase', 'status.podIP': 'status.podIP', 'status.nominatedNodeName': 'status.nominatedNodeName' } }),
    builtin({ group: '', version: 'v1', resource: 'services', kind: 'Service', shortNames: ['svc'], categories: ['all'],
      status: true, extra: ['proxy'], nameRule: 'dns1035', fieldLabels: { 'spec.clusterIP': 'spec.clusterIP', 'spec.type': 'spec.type' } }),
    builtin({ group: '', version: 'v1', resource: 'endpoints', kind: 'Endpoints', singular: 'endpoints', shortNames: ['ep'] }),
    builtin({ group: '', version: 'v1', resource: 'configmaps', kind: 'ConfigMap', shortNames: ['cm'] }),
    builtin({ group: '', version: 'v1', resource: 'secrets', kind: 'Secret', fieldLabels: { type: 'type' } }),
    builtin({ group: '', version: 'v1', resource: 'serviceaccounts', kind: 'ServiceAccount', shortNames: ['sa'], extra: ['token'] }),
    builtin({ group: '', version: 'v1', resource: 'events', kind: 'Event', shortNames: ['ev'], nameRule: 'path', fieldLabels: EVENT_FIELDS }),
    builtin({ group: '', version: 'v1', resource: 'persistentvolumeclaims', kind: 'PersistentVolumeClaim', shortNames: ['pvc'], status: true }),
    builtin({ group: '', version: 'v1', resource: 'persistentvolumes', kind: 'PersistentVolume', shortNames: ['pv'], namespaced: false, status: true }),
    builtin({ group: '', version: 'v1', resource: 'nodes', kind: 'Node', shortNames: ['no'], namespaced: false, status: true,
      fieldLabels: { 'spec.unschedulable': 'spec.unschedulable' } }),
    builtin({ group: '', version: 'v1', resource: 'resourcequotas', kind: 'ResourceQuota', shortNames: ['quota'], status: true }),
    builtin({ group: '', version: 'v1', resource: 'limitranges', kind: 'LimitRange', shortNames: ['limits'] }),
    builtin({ group: 'apps', version: 'v1', resource: 'deployments', kind: 'Deployment', shortNames: ['deploy'], categories: ['all'],
      status: true, generation: true, scale: { specReplicasPath: 'spec.replicas', statusReplicasPath: 'status.replicas', labelSelectorPath: 'spec.selector' } }),
    builtin({ group: 'apps', version: 'v1', resource: 'replicasets', kind: 'ReplicaSet', shortNames: ['rs'], categories: ['all'],
      status: true, generation: true, scale: { specReplicasPath: 'spec.replicas', statusReplicasPath: 'status.replicas', labelSelectorPath: 'spec.selector' } }),
    builtin({ group: 'apps', version: 'v1', resource: 'statefulsets', kind: 'StatefulSet', shortNames: ['sts'], categories: ['all'],
      status: true, generation: true, scale: { specReplicasPath: 'spec.replicas', statusReplicasPath: 'status.replicas', labelSelectorPath: 'spec.selector' } }),
    builtin({ group: 'apps', version: 'v1', resource: 'daemonsets', kind: 'DaemonSet', shortNames: ['ds'], categories: ['all'], status: true, generation: true }),
    builtin({ group: 'batch', version: 'v1', resource: 'jobs', kind: 'Job', categories: ['all'], status: true, generation: true,
      fieldLabels: { 'status.successful': 'status.succeeded' } }),
    builtin({ group: 'batch', version: 'v1', resource: 'cronjobs', kind: 'CronJob', shortNames: ['cj'], categories: ['all'], status: true, generation: true }),
    builtin({ group: 'coordination.k8s.io', version: 'v1', resource: 'leases', kind: 'Lease' }),
    builtin({ group: 'discovery.k8s.io', version: 'v1', resource: 'endpointslices', kind: 'EndpointSlice' }),
    builtin({ group: 'networking.k8s.io', version: 'v1', resource: 'networkpolicies', kind: 'NetworkPolicy', shortNames: ['netpol'], generation: true }),
    builtin({ group: 'networking.k8s.io', version: 'v1', resource: 'ingresses', kind: 'Ingress', shortNames: ['ing'], status: true, generation: true }),
    builtin({ group: 'policy', version: 'v1', resource: 'poddisruptionbudgets', kind: 'PodDisruptionBudget', shortNames: ['pdb'], status: true, generation: true }),
    builtin({ group: 'storage.k8s.io', version: 'v1', resource: 'storageclasses', kind: 'StorageClass', shortNames: ['sc'], namespaced: false }),
    builtin({ group: 'node.k8s.io', version: 'v1', resource: 'runtimeclasses', kind: 'RuntimeClass', namespaced: false }),
    builtin({ group: 'scheduling.k8s.io', version: 'v1', resource: 'priorityclasses', kind: 'PriorityClass', shortNames: ['pc'], namespaced: false }),
    builtin({ group: 'rbac.authorization.k8s.io', version: 'v1', resource: 'roles', kind: 'Role', nameRule: 'path' }),
    builtin({ group: 'rbac.authorization.k8s.io', version: 'v1', resource: 'rolebindings', kind: 'RoleBinding', nameRule: 'path' }),
    builtin({ group: 'rbac.authorization.k8s.io', version: 'v1', resource: 'clusterroles', kind: 'ClusterRole', namespaced: false, nameRule: 'path' }),
    builtin({ group: 'rbac.authorization.k8s.io', version: 'v1', resource: 'clusterrolebindings', kind: 'ClusterRoleBinding', namespaced: false, nameRule: 'path' }),
    builtin({ group: 'apiextensions.k8s.io', version: 'v1', resource: 'customresourcedefinitions', kind: 'CustomResourceDefinition',
      namespaced: false, shortNames: ['crd', 'crds'], categories: ['api-extensions'], status: true, generation: true }),
    builtin({ group: 'admissionregistration.k8s.io', version: 'v1', resource: 'validatingadmissionpolicies', kind: 'ValidatingAdmissionPolicy',
      namespaced: false, categories: ['api-extensions'], status: true, generation: true }),
    builtin({ group: 'admissionregistration.k8s.io', version: 'v1', resource: 'validatingadmissionpolicybindings', kind: 'ValidatingAdmissionPolicyBinding',
      namespaced: false, categories: ['api-extensions'], generation: true }),
    builtin({ group: 'authentication.k8s.io', version: 'v1', resource: 'selfsubjectreviews', kind: 'SelfSubjectReview', namespaced: false, verbs: ['create'] }),
    builtin({ group: 'authorization.k8s.io', version: 'v1', resource: 'selfsubjectaccessreviews', kind: 'SelfSubjectAccessReview', namespaced: false, verbs: ['create'] }),
    builtin({ group: 'authorization.k8s.io', version: 'v1', resource: 'subjectaccessreviews', kind: 'SubjectAccessReview', namespaced: false, verbs: ['create'] }),
    builtin({ group: 'authorization.k8s.io', version: 'v1', resource: 'localsubjectaccessreviews', kind: 'LocalSubjectAccessReview', verbs: ['create'] }),
    builtin({ group: 'events.k8s.io', version: 'v1', resource: 'events', kind: 'Event', shortNames: ['ev'], nameRule: 'path', fieldLabels: EVENT_FIELDS,
      storage: { key: 'events.', toStorage: eventToCore, fromStorage: (o) => eventFromCore(o, 'events.k8s.io/v1') } }),
  ];
}

/** Groups in discovery order, with their preferred version first. */
export interface GroupVersions { group: string; versions: string[] }

export class Registry {
  private byGVR = new Map<string, ResourceInfo>();
  /** Bumped on every change, so discovery and OpenAPI caches know when to rebuild. */
  generation = 0;

  constructor(resources: ResourceInfo[] = builtinResources()) {
    for (const r of resources) this.byGVR.set(key(r.group, r.version, r.resource), r);
  }

  get(group: string, version: string, resource: string): ResourceInfo | undefined {
    return this.byGVR.get(key(group, version, resource));
  }

  all(): ResourceInfo[] { return [...this.byGVR.values()]; }

  /** Every served version of a group/resource (CRDs may serve several over one storage). */
  versionsOf(group: string, resource: string): ResourceInfo[] {
    return this.all().filter((r) => r.group === group && r.resource === resource);
  }

  /** The resource whose stored form lives under `key` (the storage version, not a converted view). */
  forStorage(key: string): ResourceInfo | undefined {
    return this.all().find((r) => !r.storage && groupResourceKey(r) === key && (!r.custom || r.custom.storage));
  }



  groups(): GroupVersions[] {
    const out = new Map<string, string[]>();
    for (const r of this.byGVR.values()) {
      const vs = out.get(r.group) ?? [];
      if (!vs.includes(r.version)) vs.push(r.version);
      out.set(r.group, vs);
    }
    return [...out.entries()].map(([group, versions]) => ({ group, versions: sortVersions(versions) }));
  }

  /** Replaces every version served for a CRD (an empty list stops serving it). */
  setCustom(crdName: string, resources: ResourceInfo[]): void {
    for (const [k, r] of this.byGVR) if (r.custom?.crdName === crdName) this.byGVR.delete(k);
    for (const r of resources) this.byGVR.set(key(r.group, r.version, r.resource), r);
    this.generation++;
  }

}

function key(group: string, version: string, resource: string): string {
  return `${group}/${version}/${resource}`;
}

/** Kubernetes version priority: GA > beta > alpha, higher numbers first (apimachinery/pkg/version). */
export function sortVersions(versions: string[]): string[] {
  const rank = (v: string): [number, number, number, string] => {
    const m = /^v(\d+)(?:(alpha|beta)(\d+))?$/.exec(v);
    if (!m) return [3, 0, 0, v];
    const stage = m[2] === undefined ? 0 : m[2] === 'beta' ? 1 : 2;
    return [stage, -Number(m[1]), -Number(m[3] ?? 0), v];
  };
  return [...versions].sort((a, b) => {
    const ra = rank(a); const rb = rank(b);
    for (let i = 0; i < 3; i++) if (ra[i] !== rb[i]) return (ra[i] as number) - (rb[i] as number);
    return ra[3] < rb[3] ? -1 : ra[3] > rb[3] ? 1 : 0;
  });
}
