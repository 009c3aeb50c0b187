import { describe, it, expect } from 'vitest';
import { desiredNetworkPolicy, DEFAULT_ROUTER } from './desiredNetworkPolicy.js';
import { orphanedNetworkPolicy } from './orphanedNetworkPolicy.js';

describe('orphanedNetworkPolicy', () => {
  const np = orphanedNetworkPolicy({ namespace: 'finance', namespaceUid: 'ns-uid', lane: 'private' });

  it('allows DNS only: no router, no CIDRs', () => {
    expect(np.spec).toEqual({
      podSelector: {},
      policyTypes: ['Egress'],
      egress: [{
        to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } }, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }],
        ports: [{ protocol: 'UDP', port: 53 }, { protocol: 'TCP', port: 53 }],
      }],
    });
  });

  it('is owned by the Namespace alone, so the deleted lane\'s garbage collection cannot remove it', () => {
    expect(np.metadata.ownerReferences).toEqual([{ apiVersion: 'v1', kind: 'Namespace', name: 'finance', uid: 'ns-uid', blockOwnerDeletion: false }]);
  });

  it('replaces the lane policy in place (same name) and says which lane went and how to lift it', () => {
    const lane = desiredNetworkPolicy({ namespace: 'finance', binding: { lane: 'private' }, owners: [{ name: 'private', uid: 'u1' }], router: DEFAULT_ROUTER });
    expect(np.metadata.name).toBe(lane.metadata.name);
    expect(np.metadata.namespace).toBe('finance');
    expect(np.metadata.labels).toEqual({ 'app.kubernetes.io/managed-by': 'agentlab', 'agentlab.dev/lane-fence': 'orphaned' });
    expect(np.metadata.annotations['agentlab.dev/deleted-lane']).toBe('private');
    expect(np.metadata.annotations['agentlab.dev/lane-fence-message']).toMatch(/LanePolicy private was deleted.*bind namespace finance to another LanePolicy.*kubectl -n finance delete networkpolicy agentlab-lane-egress/);
  });
});
