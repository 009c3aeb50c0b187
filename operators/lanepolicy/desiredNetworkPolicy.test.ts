import { describe, it, expect } from 'vitest';
import { desiredNetworkPolicy, DEFAULT_ROUTER } from './desiredNetworkPolicy.js';

const dns = {
  to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } }, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }],
  ports: [{ protocol: 'UDP', port: 53 }, { protocol: 'TCP', port: 53 }],
};
const router = {
  to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'agentlab-system' } }, podSelector: { matchLabels: { 'app.kubernetes.io/name': 'agentlab-router' } } }],
  ports: [{ protocol: 'TCP', port: 8080 }],
};

describe('desiredNetworkPolicy', () => {
  it('lets a private lane reach only DNS and the router', () => {
    const np = desiredNetworkPolicy({ namespace: 'finance', binding: { lane: 'private' }, owners: [{ name: 'private', uid: 'u1' }], router: DEFAULT_ROUTER });
    expect(np.spec).toEqual({ podSelector: {}, policyTypes: ['Egress'], egress: [dns, router] });
    expect(np.metadata.labels['agentlab.dev/lane']).toBe('private');
    expect(np.metadata.ownerReferences).toEqual([
      { apiVersion: 'agentlab.dev/v1alpha1', kind: 'LanePolicy', name: 'private', uid: 'u1', controller: true, blockOwnerDeletion: false },
    ]);
  });

  it('adds a cloud lane\'s explicit CIDRs as ipBlocks and nothing broader', () => {
    const np = desiredNetworkPolicy({ namespace: 'msp', binding: { lane: 'enterprise' }, owners: [{ name: 'enterprise', uid: 'u2' }], router: DEFAULT_ROUTER, allowedCIDRs: ['140.82.112.0/20'] });
    expect(np.spec.egress).toEqual([dns, router, { to: [{ ipBlock: { cidr: '140.82.112.0/20' } }] }]);
  });

  it('blocks a conflicted namespace from the router, owned by every lane involved', () => {
    const np = desiredNetworkPolicy({ namespace: 'health', binding: { conflict: ['b', 'a'] }, owners: [{ name: 'b', uid: 'ub' }, { name: 'a', uid: 'ua' }], router: DEFAULT_ROUTER, allowedCIDRs: ['0.0.0.0/0'] });
    expect(np.spec.egress).toEqual([dns]);
    expect(np.metadata.labels).toEqual({ 'app.kubernetes.io/managed-by': 'agentlab', 'agentlab.dev/lane-conflict': 'true' });
    expect(np.metadata.ownerReferences.map((o) => [o.name, o.controller])).toEqual([['a', undefined], ['b', undefined]]);
  });

  it('follows a relocated router', () => {
    const np = desiredNetworkPolicy({ namespace: 'x', binding: { lane: 'l' }, owners: [], router: { namespace: 'ai', podLabels: { app: 'r' }, port: 9000 } });
    expect(np.spec.egress[1]).toEqual({ to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ai' } }, podSelector: { matchLabels: { app: 'r' } } }], ports: [{ protocol: 'TCP', port: 9000 }] });
  });
});
