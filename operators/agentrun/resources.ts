import { GROUP, KINDS, VERSION } from '../api/constants.js';
import type { ResourceRef } from '../runtime/kube.js';

export { CONFIGMAPS, LANEPOLICIES, NAMESPACES, NETWORK_POLICIES, SECRETS } from '../model/lanes/resources.js';

export const AGENTRUNS: ResourceRef = { group: GROUP, version: VERSION, plural: KINDS.AgentRun.plural, kind: 'AgentRun', namespaced: true };
export const PODS: ResourceRef = { group: '', version: 'v1', plural: 'pods', kind: 'Pod', namespaced: true };
export const SERVICE_ACCOUNTS: ResourceRef = { group: '', version: 'v1', plural: 'serviceaccounts', kind: 'ServiceAccount', namespaced: true };
export const ROLES: ResourceRef = { group: 'rbac.authorization.k8s.io', version: 'v1', plural: 'roles', kind: 'Role', namespaced: true };
export const ROLE_BINDINGS: ResourceRef = { group: 'rbac.authorization.k8s.io', version: 'v1', plural: 'rolebindings', kind: 'RoleBinding', namespaced: true };
/** Read on demand (not watched): a cluster may not serve them yet, and an informer on an unserved resource never syncs. */
export const VALIDATING_ADMISSION_POLICIES: ResourceRef = { group: 'admissionregistration.k8s.io', version: 'v1', plural: 'validatingadmissionpolicies', kind: 'ValidatingAdmissionPolicy', namespaced: false };
export const VALIDATING_ADMISSION_POLICY_BINDINGS: ResourceRef = { group: 'admissionregistration.k8s.io', version: 'v1', plural: 'validatingadmissionpolicybindings', kind: 'ValidatingAdmissionPolicyBinding', namespaced: false };
/** The API server's endpoints (Service default/kubernetes), read on demand for a run with the kubernetes tool. */
export const ENDPOINT_SLICES: ResourceRef = { group: 'discovery.k8s.io', version: 'v1', plural: 'endpointslices', kind: 'EndpointSlice', namespaced: true };
/** Read on demand for a vm run (engine kata): the RuntimeClass it names. */
export const RUNTIME_CLASSES: ResourceRef = { group: 'node.k8s.io', version: 'v1', plural: 'runtimeclasses', kind: 'RuntimeClass', namespaced: false };
