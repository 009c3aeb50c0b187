import { describe, expect, it } from 'vitest';
import { claimsOf, scoreNodes } from './placement.js';
import type { ModelServer, ModelServerSpec } from './types.js';

function node(name: string, o: { gpus?: number; product?: string; memMiB?: number; mem?: string; ready?: boolean; unschedulable?: boolean; labels?: Record<string, string> } = {}) {
  const labels: Record<string, string> = { 'kubernetes.io/hostname': name, ...o.labels };
  const allocatable: Record<string, string> = { cpu: '8', memory: o.mem ?? '32Gi' };
  if (o.gpus) {
    labels['nvidia.com/gpu.product'] = o.product ?? 'NVIDIA-GeForce-RTX-3060';
    labels['nvidia.com/gpu.memory'] = String(o.memMiB ?? 12288);
    labels['nvidia.com/gpu.count'] = String(o.gpus);
    allocatable['nvidia.com/gpu'] = String(o.gpus);
  }
  return {
    metadata: { name, labels },
    spec: { unschedulable: o.unschedulable },
    status: { allocatable, conditions: [{ type: 'Ready', status: o.ready === false ? 'False' : 'True' }] },
  };
}

const HOMELAB = [
  node('chief-horse', { gpus: 1, product: 'NVIDIA-GeForce-RTX-3060', memMiB: 12288 }),
  node('still-fawn', { gpus: 1, product: 'NVIDIA-GeForce-RTX-3070', memMiB: 8192 }),
  node('pumped-piglet', { mem: '64Gi' }),
];

function ms(name: string, spec: Partial<ModelServerSpec>, status?: ModelServer['status'], ns = 'team-a'): ModelServer {
  return { apiVersion: 'agentlab.dev/v1alpha1', kind: 'ModelServer', metadata: { name, namespace: ns, uid: name, generation: 1 }, spec: { models: [{ name: 'llama3.1:8b' }], ...spec }, status };
}

describe('scoreNodes', () => {
  it('places a 12 GiB GPU server on the only node that fits and says why', () => {
    const d = scoreNodes({ server: ms('big', { gpu: { count: 1, minMemory: '12Gi' } }), nodes: HOMELAB, servers: [] });
    expect(d.node).toBe('chief-horse');
    expect(d.reason).toMatch(/^chief-horse scores \d+: 1 of 1 NVIDIA GeForce RTX 3060 free \(12 GiB\)/);
    expect(d.candidates!.map((c) => [c.node, c.fits])).toEqual([['chief-horse', true], ['pumped-piglet', false], ['still-fawn', false]]);
    expect(d.candidates!.find((c) => c.node === 'still-fawn')!.reason).toBe('GPU has 8 GiB, needs 12 GiB');
  });

  it('suggests what to stop and what is free when nothing fits', () => {
    const holder = ms('big', { gpu: { count: 1 } }, { node: 'chief-horse' });
    const d = scoreNodes({ server: ms('new', { gpu: { count: 1, minMemory: '12Gi' } }, undefined, 'team-b'), nodes: HOMELAB, servers: [holder] });
    expect(d.node).toBeUndefined();
    expect(d.suggestion).toBe('needs 1 GPU with >= 12 GiB; stop ModelServer team-a/big on chief-horse to free one; still-fawn has a free NVIDIA GeForce RTX 3070 with 8 GiB');
  });

  it('explains a cluster without GPUs', () => {
    const d = scoreNodes({ server: ms('x', { gpu: { count: 1 } }), nodes: [node('pumped-piglet')], servers: [] });
    expect(d.suggestion).toMatch(/no node advertises nvidia.com\/gpu/);
  });

  it('matches the GPU product however it is spelled', () => {
    const d = scoreNodes({ server: ms('x', { gpu: { count: 1, product: 'NVIDIA GeForce RTX 3070' } }), nodes: HOMELAB, servers: [] });
    expect(d.node).toBe('still-fawn');
  });

  it('sends CPU servers to CPU nodes, keeping GPU nodes free', () => {
    const d = scoreNodes({ server: ms('cpu', {}), nodes: HOMELAB, servers: [] });
    expect(d.node).toBe('pumped-piglet');
  });

  it('ignores stopped servers and the server itself when counting claims', () => {
    const stopped = ms('old', { gpu: { count: 1 }, replicas: 0 }, { node: 'chief-horse' });
    const self = ms('me', { gpu: { count: 1, minMemory: '12Gi' } }, { node: 'chief-horse' });
    expect(scoreNodes({ server: self, nodes: HOMELAB, servers: [stopped, self] }).node).toBe('chief-horse');
  });

  it('stays on its current node while it fits, even when another scores higher', () => {
    const server = ms('s', { gpu: { count: 1 }, placement: { preferredNodes: ['chief-horse'] } }, { node: 'still-fawn', placement: { node: 'still-fawn' } });
    const d = scoreNodes({ server, nodes: HOMELAB, servers: [] });
    expect(d.node).toBe('still-fawn');
    expect(d.reason).toMatch(/stays on still-fawn.*chief-horse scores higher/);
  });

  it('uses preferredNodes and weights', () => {
    const server = ms('s', { placement: { preferredNodes: ['chief-horse'], weights: { gpuMemory: 0, freeMemory: 0, preferred: 100 } } });
    const d = scoreNodes({ server, nodes: HOMELAB, servers: [] });
    expect(d.node).toBe('chief-horse');
    expect(d.score).toBe(100);
  });

  it('keeps the default of a weight given as undefined (a spec built in code, not by the API server)', () => {
    const partial = ms('s', { placement: { weights: { gpuMemory: undefined, freeMemory: 20, preferred: 30 } } });
    const d = scoreNodes({ server: partial, nodes: HOMELAB, servers: [] });
    expect(Number.isFinite(d.score)).toBe(true);
    expect(d).toEqual(scoreNodes({ server: ms('s', {}), nodes: HOMELAB, servers: [] }));
  });

  it('skips NotReady, cordoned and unlabelled nodes with a reason each', () => {
    const nodes = [node('a', { ready: false }), node('b', { unschedulable: true }), node('c')];
    const d = scoreNodes({ server: ms('s', { placement: { nodeSelector: { zone: 'attic' } } }), nodes, servers: [] });
    expect(d.node).toBeUndefined();
    expect(d.candidates!.map((c) => c.reason)).toEqual(['node is not Ready', 'node is cordoned', 'lacks label zone=attic']);
    expect(d.suggestion).toContain('c: lacks label zone=attic');
  });

  it('accounts memory requested by other servers on the node', () => {
    const other = ms('o', { resources: { requests: { memory: '30Gi' } } }, { node: 'n' });
    const d = scoreNodes({ server: ms('s', { resources: { requests: { memory: '4Gi' } } }), nodes: [node('n')], servers: [other] });
    expect(d.node).toBeUndefined();
    expect(d.candidates![0].reason).toBe('2 GiB memory unrequested, needs 4 GiB');
  });

  it('scores stay within 0..100 and are deterministic', () => {
    const a = scoreNodes({ server: ms('s', { gpu: { count: 1 } }), nodes: HOMELAB, servers: [] });
    const b = scoreNodes({ server: ms('s', { gpu: { count: 1 } }), nodes: [...HOMELAB].reverse(), servers: [] });
    expect(a).toEqual(b);
    for (const c of a.candidates!) expect(c.score).toBeGreaterThanOrEqual(0), expect(c.score).toBeLessThanOrEqual(100);
  });
});

describe('claimsOf', () => {
  it('counts GPU and memory claims of placed servers and leaves out servers that claim nothing', () => {
    const placed = (name: string, spec: Partial<ModelServerSpec>) => ms(name, spec, { node: 'chief-horse' });
    const claims = claimsOf([
      placed('gpu', { gpu: { count: 1 } }),
      placed('mem', { replicas: 2, resources: { requests: { memory: '1Gi' } } }),
      placed('nothing', {}),
      ms('unplaced', { gpu: { count: 1 } }),
      placed('self', { gpu: { count: 1 } }),
    ], 'team-a/self');
    expect(claims).toEqual([
      { key: 'team-a/gpu', node: 'chief-horse', gpus: 1, memoryBytes: 0 },
      { key: 'team-a/mem', node: 'chief-horse', gpus: 0, memoryBytes: 2 * 2 ** 30 },
    ]);
  });
});
