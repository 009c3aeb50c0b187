import { MANAGED_BY_LABEL, MANAGED_BY_VALUE } from '../runtime/apply.js';
import type { KubeObject } from '../runtime/kube.js';
import { dnsRule, NETWORK_POLICY_NAME, type EgressRule } from './desiredNetworkPolicy.js';

/** Marks the fence left behind when a lane is deleted; recognisable with a label selector. */
export const FENCE_LABEL = 'agentlab.dev/lane-fence';
export const FENCE_ORPHANED = 'orphaned';
export const DELETED_LANE_ANNOTATION = 'agentlab.dev/deleted-lane';
export const FENCE_MESSAGE_ANNOTATION = 'agentlab.dev/lane-fence-message';

export interface OrphanedNetworkPolicy extends KubeObject {
  apiVersion: 'networking.k8s.io/v1';
  kind: 'NetworkPolicy';
  metadata: {
    name: string;
    namespace: string;
    labels: Record<string, string>;
    annotations: Record<string, string>;
    ownerReferences: { apiVersion: 'v1'; kind: 'Namespace'; name: string; uid: string; blockOwnerDeletion: false }[];
  };
  spec: { podSelector: Record<string, never>; policyTypes: ['Egress']; egress: EgressRule[] };
}

/**
 * The policy a namespace keeps when the lane that fenced it is deleted: DNS only (the lane is
 * gone, so the router refuses it and there is no model access to allow either). It is owned by
 * the Namespace rather than the deleted LanePolicy, so garbage collection cannot lift it; it goes
 * with the namespace, when a person deletes it, or when another lane binds the namespace and its
 * apply (same name, same field manager) replaces it.
 */
export function orphanedNetworkPolicy(input: { namespace: string; namespaceUid: string; lane: string }): OrphanedNetworkPolicy {
  const { namespace, namespaceUid, lane } = input;
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: {
      name: NETWORK_POLICY_NAME,
      namespace,
      labels: { [MANAGED_BY_LABEL]: MANAGED_BY_VALUE, [FENCE_LABEL]: FENCE_ORPHANED },
      annotations: {
        [DELETED_LANE_ANNOTATION]: lane,
        [FENCE_MESSAGE_ANNOTATION]: `LanePolicy ${lane} was deleted; egress is limited to DNS. To lift the fence, bind namespace ${namespace} to another LanePolicy `
          + `or delete this NetworkPolicy (kubectl -n ${namespace} delete networkpolicy ${NETWORK_POLICY_NAME}).`,
      },
      ownerReferences: [{ apiVersion: 'v1', kind: 'Namespace', name: namespace, uid: namespaceUid, blockOwnerDeletion: false }],
    },
    spec: { podSelector: {}, policyTypes: ['Egress'], egress: [dnsRule()] },
  };
}
