import { GROUP, KINDS, VERSION } from '../../api/constants.js';
import type { ResourceRef } from '../../runtime/kube.js';

export const LANEPOLICIES: ResourceRef = { group: GROUP, version: VERSION, plural: KINDS.LanePolicy.plural, kind: 'LanePolicy', namespaced: false };
export const MODELSERVERS: ResourceRef = { group: GROUP, version: VERSION, plural: KINDS.ModelServer.plural, kind: 'ModelServer', namespaced: true };
export const NAMESPACES: ResourceRef = { group: '', version: 'v1', plural: 'namespaces', kind: 'Namespace', namespaced: false };
export const NETWORK_POLICIES: ResourceRef = { group: 'networking.k8s.io', version: 'v1', plural: 'networkpolicies', kind: 'NetworkPolicy', namespaced: true };
export const SECRETS: ResourceRef = { group: '', version: 'v1', plural: 'secrets', kind: 'Secret', namespaced: true };
export const CONFIGMAPS: ResourceRef = { group: '', version: 'v1', plural: 'configmaps', kind: 'ConfigMap', namespaced: true };
