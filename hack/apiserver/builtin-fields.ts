/**
 * The top-level fields of built-in kinds and of ObjectMeta, so unknown fields in built-in objects
 * are pruned and reported per fieldValidation as kube-apiserver's typed decoder does. Nested
 * fields of built-in specs are not checked (see docs/embedded-apiserver.md).
 */
import type { KObject } from './types.js';
import { isRecord } from './types.js';

const COMMON = ['apiVersion', 'kind', 'metadata'];
const SPEC_STATUS = ['spec', 'status'];

const TOP_LEVEL: Record<string, string[]> = {
  'configmaps.': ['data', 'binaryData', 'immutable'],
  'secrets.': ['data', 'stringData', 'type', 'immutable'],
  'serviceaccounts.': ['secrets', 'imagePullSecrets', 'automountServiceAccountToken'],
  'endpoints.': ['subsets'],
  'events.': ['involvedObject', 'reason', 'message', 'source', 'firstTimestamp', 'lastTimestamp', 'count', 'type', 'eventTime',
    'series', 'action', 'related', 'reportingComponent', 'reportingInstance'],
  'limitranges.': ['spec'],
  'leases.coordination.k8s.io': ['spec'],
  'networkpolicies.networking.k8s.io': ['spec', 'status'],
  'storageclasses.storage.k8s.io': ['provisioner', 'parameters', 'reclaimPolicy', 'mountOptions', 'allowVolumeExpansion',
    'volumeBindingMode', 'allowedTopologies'],
  'priorityclasses.scheduling.k8s.io': ['value', 'globalDefault', 'description', 'preemptionPolicy'],
  'roles.rbac.authorization.k8s.io': ['rules'],
  'clusterroles.rbac.authorization.k8s.io': ['rules', 'aggregationRule'],
  'rolebindings.rbac.authorization.k8s.io': ['subjects', 'roleRef'],
  'clusterrolebindings.rbac.authorization.k8s.io': ['subjects', 'roleRef'],
};

const OBJECT_META = new Set(['name', 'generateName', 'namespace', 'selfLink', 'uid', 'resourceVersion', 'generation',
  'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'labels', 'annotations', 'ownerReferences',
  'finalizers', 'managedFields']);

/** Drops unknown top-level and metadata fields of a built-in object; returns their paths, sorted. */
export function pruneBuiltin(storage: string, obj: KObject): string[] {
  const allowed = new Set([...COMMON, ...(TOP_LEVEL[storage] ?? SPEC_STATUS)]);
  const unknown: string[] = [];
  for (const k of Object.keys(obj)) if (!allowed.has(k)) { unknown.push(k); delete obj[k]; }
  if (isRecord(obj.metadata)) {
    const meta = obj.metadata as Record<string, unknown>;
    for (const k of Object.keys(meta)) if (!OBJECT_META.has(k)) { unknown.push(`metadata.${k}`); delete meta[k]; }
  }
  return unknown.sort();
}
