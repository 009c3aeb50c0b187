import { describe, expect, it } from 'vitest';
import { HOMELAB_NODES, leaseManifest, nodeManifest } from './nodes.js';

describe('node and lease manifests', () => {
  it('describes a GPU node with feature-discovery labels and extended resources', () => {
    const n = nodeManifest(HOMELAB_NODES[0], '127.0.0.1', new Date(0));
    expect(n.metadata?.labels).toMatchObject({ 'kubernetes.io/hostname': 'chief-horse', 'nvidia.com/gpu.count': '1', 'nvidia.com/gpu.memory': '12288' });
    expect(n.status?.allocatable).toMatchObject({ cpu: '16', memory: '64Gi', 'nvidia.com/gpu': '1', pods: '110' });
    expect(n.status?.addresses).toContainEqual({ type: 'InternalIP', address: '127.0.0.1' });
  });

  it('leaves GPU labels off a CPU-only node', () => {
    const n = nodeManifest(HOMELAB_NODES[2], '127.0.0.1', new Date(0));
    expect(Object.keys(n.metadata?.labels ?? {}).filter((k) => k.startsWith('nvidia.com/'))).toEqual([]);
    expect(n.status?.capacity?.['nvidia.com/gpu']).toBeUndefined();
  });

  it('writes renewTime as a MicroTime with six fractional digits, as kube-apiserver parses it', () => {
    const lease = leaseManifest('chief-horse', 'uid-1', new Date('2026-01-01T00:00:00.123Z'));
    expect(JSON.parse(JSON.stringify(lease)).spec.renewTime).toBe('2026-01-01T00:00:00.123000Z');
    expect(lease.metadata?.ownerReferences?.[0]).toMatchObject({ kind: 'Node', name: 'chief-horse', uid: 'uid-1' });
  });
});
