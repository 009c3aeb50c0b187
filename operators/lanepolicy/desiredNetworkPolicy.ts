import { API_VERSION } from '../api/constants.js';
import { MANAGED_BY_LABEL, MANAGED_BY_VALUE } from '../runtime/apply.js';
import type { KubeObject } from '../runtime/kube.js';
import type { NamespaceBinding } from '../model/lanes/binding.js';

/** Where the router runs; lane pods may reach it and nothing else that serves models. */
export interface RouterLocation { namespace: string; podLabels: Record<string, string>; port: number }

export const DEFAULT_ROUTER: RouterLocation = {
  namespace: 'agentlab-system',
  podLabels: { 'app.kubernetes.io/name': 'agentlab-router' },
  port: 8080,
};

export const NETWORK_POLICY_NAME = 'agentlab-lane-egress';
export const LANE_LABEL = 'agentlab.dev/lane';
export const CONFLICT_LABEL = 'agentlab.dev/lane-conflict';
/** Set by kube-apiserver on every namespace since 1.21; the portable way to select one by name. */
const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';

export interface LaneOwner { name: string; uid: string }

interface NetworkPolicyPeer {
  namespaceSelector?: { matchLabels: Record<string, string> };
  podSelector?: { matchLabels: Record<string, string> };
  ipBlock?: { cidr: string };
}
export interface EgressRule { to: NetworkPolicyPeer[]; ports?: { protocol: 'TCP' | 'UDP'; port: number }[] }

export interface DesiredNetworkPolicy extends KubeObject {
  apiVersion: 'networking.k8s.io/v1';
  kind: 'NetworkPolicy';
  metadata: {
    name: string;
    namespace: string;
    labels: Record<string, string>;
    ownerReferences: { apiVersion: string; kind: 'LanePolicy'; name: string; uid: string; controller?: boolean; blockOwnerDeletion: boolean }[];
  };
  spec: { podSelector: Record<string, never>; policyTypes: ['Egress']; egress: EgressRule[] };
}

export function dnsRule(): EgressRule {
  return {
    to: [{ namespaceSelector: { matchLabels: { [NAMESPACE_NAME_LABEL]: 'kube-system' } }, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }],
    ports: [{ protocol: 'UDP', port: 53 }, { protocol: 'TCP', port: 53 }],
  };
}

function routerRule(router: RouterLocation): EgressRule {
  return {
    to: [{ namespaceSelector: { matchLabels: { [NAMESPACE_NAME_LABEL]: router.namespace } }, podSelector: { matchLabels: { ...router.podLabels } } }],
    ports: [{ protocol: 'TCP', port: router.port }],
  };
}

/**
 * The egress policy for every pod of a namespace. NetworkPolicies are allow-lists: once a pod
 * is selected by a policy with policyTypes [Egress], only the listed destinations are reachable.
 * A bound namespace may reach the router and DNS (plus a non-private lane's explicit CIDRs);
 * a conflicted namespace only DNS, so it fails closed until a person resolves the conflict.
 */
export function desiredNetworkPolicy(input: {
  namespace: string;
  binding: NamespaceBinding;
  owners: LaneOwner[];
  router: RouterLocation;
  allowedCIDRs?: string[];
}): DesiredNetworkPolicy {
  const { namespace, binding, router } = input;
  const conflict = 'conflict' in binding;
  const egress: EgressRule[] = [dnsRule()];
  if (!conflict) {
    egress.push(routerRule(router));
    for (const cidr of input.allowedCIDRs ?? []) egress.push({ to: [{ ipBlock: { cidr } }] });
  }
  const owners = [...input.owners].sort((a, b) => a.name.localeCompare(b.name));
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: {
      name: NETWORK_POLICY_NAME,
      namespace,
      labels: conflict
        ? { [MANAGED_BY_LABEL]: MANAGED_BY_VALUE, [CONFLICT_LABEL]: 'true' }
        : { [MANAGED_BY_LABEL]: MANAGED_BY_VALUE, [LANE_LABEL]: binding.lane },
      // A conflicted namespace's policy belongs to every lane involved, and to none as controller,
      // so it survives until the last of them is gone or the conflict is resolved.
      ownerReferences: owners.map((o) => ({
        apiVersion: API_VERSION,
        kind: 'LanePolicy' as const,
        name: o.name,
        uid: o.uid,
        ...(conflict ? {} : { controller: true }),
        blockOwnerDeletion: false,
      })),
    },
    spec: { podSelector: {}, policyTypes: ['Egress'], egress },
  };
}
