import { GROUP, KINDS, VERSION } from '../api/constants.js';
import type { ResourceRef } from '../runtime/kube.js';

export const FLOWS: ResourceRef = { group: GROUP, version: VERSION, plural: KINDS.Flow.plural, kind: KINDS.Flow.kind, namespaced: true };
export const PODS: ResourceRef = { group: '', version: 'v1', plural: 'pods', kind: 'Pod', namespaced: true };
export const SECRETS: ResourceRef = { group: '', version: 'v1', plural: 'secrets', kind: 'Secret', namespaced: true };
export const CONFIGMAPS: ResourceRef = { group: '', version: 'v1', plural: 'configmaps', kind: 'ConfigMap', namespaced: true };
export const AGENTRUNS: ResourceRef = { group: GROUP, version: VERSION, plural: KINDS.AgentRun.plural, kind: KINDS.AgentRun.kind, namespaced: true };
/** Read on demand (not watched): a cluster may not serve them, and an informer on an unserved resource never syncs. */
export const VALIDATING_ADMISSION_POLICIES: ResourceRef = { group: 'admissionregistration.k8s.io', version: 'v1', plural: 'validatingadmissionpolicies', kind: 'ValidatingAdmissionPolicy', namespaced: false };
export const VALIDATING_ADMISSION_POLICY_BINDINGS: ResourceRef = { group: 'admissionregistration.k8s.io', version: 'v1', plural: 'validatingadmissionpolicybindings', kind: 'ValidatingAdmissionPolicyBinding', namespaced: false };
