import { GROUP, KINDS, VERSION } from '../api/constants.js';
import type { ResourceRef } from '../runtime/kube.js';

/** A kind the MCP tools can address: where it lives in the API and the names a person may call it by. */
export interface KindRef extends ResourceRef {
  singular: string;
  shortNames: readonly string[];
  /** One of the five AgentLab kinds (has a CRD in crds/). */
  agentlab: boolean;
}

const agentlab: KindRef[] = Object.values(KINDS).map((k) => ({
  group: GROUP, version: VERSION, kind: k.kind, plural: k.plural, singular: k.singular,
  shortNames: k.shortNames, namespaced: k.namespaced, agentlab: true,
}));

const builtin = (group: string, version: string, kind: string, plural: string, namespaced: boolean, shortNames: string[] = []): KindRef =>
  ({ group, version, kind, plural, singular: kind.toLowerCase(), shortNames, namespaced, agentlab: false });

/** Built-in kinds the tools read because AgentLab objects own or run on them. */
const builtins: KindRef[] = [
  builtin('', 'v1', 'Pod', 'pods', true, ['po']),
  builtin('', 'v1', 'Service', 'services', true, ['svc']),
  builtin('', 'v1', 'PersistentVolumeClaim', 'persistentvolumeclaims', true, ['pvc']),
  builtin('', 'v1', 'ConfigMap', 'configmaps', true, ['cm']),
  builtin('', 'v1', 'Secret', 'secrets', true),
  builtin('', 'v1', 'ServiceAccount', 'serviceaccounts', true, ['sa']),
  builtin('', 'v1', 'Event', 'events', true, ['ev']),
  builtin('', 'v1', 'Node', 'nodes', false, ['no']),
  builtin('', 'v1', 'Namespace', 'namespaces', false, ['ns']),
  builtin('apps', 'v1', 'Deployment', 'deployments', true, ['deploy']),
  builtin('batch', 'v1', 'Job', 'jobs', true),
  builtin('networking.k8s.io', 'v1', 'NetworkPolicy', 'networkpolicies', true, ['netpol']),
  builtin('rbac.authorization.k8s.io', 'v1', 'Role', 'roles', true),
  builtin('rbac.authorization.k8s.io', 'v1', 'RoleBinding', 'rolebindings', true),
];

export const ALL_KINDS: readonly KindRef[] = [...agentlab, ...builtins];
export const AGENTLAB_KINDS: readonly KindRef[] = agentlab;

/** Thrown for a kind the tools do not know; the message lists what they do know. */
export class UnknownKindError extends Error {}

/**
 * Resolves what a person or a model calls a kind, as kubectl does: the kind (any case), the plural,
 * the singular, a short name, or `plural.group` (modelservers.agentlab.dev).
 */
export function resolveKind(input: string): KindRef {
  const raw = input.trim();
  const lower = raw.toLowerCase();
  const [name, ...groupParts] = lower.split('.');
  const group = groupParts.join('.');
  const found = ALL_KINDS.find((k) =>
    (groupParts.length === 0 || group === k.group || (group === '' && k.group === ''))
    && (k.kind.toLowerCase() === name || k.plural === name || k.singular === name || k.shortNames.includes(name)));
  if (!found) {
    throw new UnknownKindError(`unknown kind "${raw}": AgentLab kinds are ${agentlab.map((k) => k.kind).join(', ')}; built-in kinds readable here are ${builtins.map((k) => k.kind).join(', ')}`);
  }
  return found;
}

export const apiVersionOfKind = (k: KindRef): string => (k.group ? `${k.group}/${k.version}` : k.version);
