import { GROUP, KINDS, VERSION } from '../api/constants.js';
import type { ResourceRef } from '../runtime/kube.js';

export const HARDWARETASKS: ResourceRef = { group: GROUP, version: VERSION, plural: KINDS.HardwareTask.plural, kind: KINDS.HardwareTask.kind, namespaced: true };
export const PODS: ResourceRef = { group: '', version: 'v1', plural: 'pods', kind: 'Pod', namespaced: true };
export const NAMESPACES: ResourceRef = { group: '', version: 'v1', plural: 'namespaces', kind: 'Namespace', namespaced: false };
export const VALIDATING_ADMISSION_POLICIES: ResourceRef = { group: 'admissionregistration.k8s.io', version: 'v1', plural: 'validatingadmissionpolicies', kind: 'ValidatingAdmissionPolicy', namespaced: false };
export const VALIDATING_ADMISSION_POLICY_BINDINGS: ResourceRef = { group: 'admissionregistration.k8s.io', version: 'v1', plural: 'validatingadmissionpolicybindings', kind: 'ValidatingAdmissionPolicyBinding', namespaced: false };
export const NODES: ResourceRef = { group: '', version: 'v1', plural: 'nodes', kind: 'Node', namespaced: false };
export const SECRETS: ResourceRef = { group: '', version: 'v1', plural: 'secrets', kind: 'Secret', namespaced: true };
