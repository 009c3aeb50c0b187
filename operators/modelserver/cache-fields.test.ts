import { describe, expect, it } from 'vitest';
import { cacheTransform } from '../runtime/cache-transform.js';
import { informerShape } from '../runtime/informer-roles.js';
import type { KubeObject } from '../runtime/kube.js';
import { NODE_FIELDS } from './cache-fields.js';
import { modelServerController } from './controller.js';
import { scoreNodes } from './placement.js';
import { NODES, type ModelServer } from './types.js';

/** A Node as a kubelet reports it (k3s, one GPU). */
function kubeletNode(name: string, o: { gpus?: number; memMiB?: number; ready?: boolean; unschedulable?: boolean; allocMem?: string } = {}): KubeObject {
  return {
    apiVersion: 'v1', kind: 'Node',
    metadata: {
      name, uid: `${name}-uid`, resourceVersion: '42', creationTimestamp: '2026-01-01T00:00:00Z',
      labels: { 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux', ...(o.gpus ? { 'nvidia.com/gpu.product': 'NVIDIA-GeForce-RTX-3060', 'nvidia.com/gpu.memory': String(o.memMiB ?? 12288) } : {}) },
      annotations: { 'k3s.io/node-args': '["server"]', 'volumes.kubernetes.io/controller-managed-attach-detach': 'true' },
      managedFields: [{ manager: 'k3s', operation: 'Update', fieldsV1: { 'f:status': {} } }],
    },
    spec: { podCIDR: '10.42.0.0/24', providerID: `k3s://${name}`, unschedulable: o.unschedulable, taints: [{ key: 'gpu', value: 'true', effect: 'PreferNoSchedule' }] },
    status: {
      capacity: { cpu: '16', memory: '64Gi', pods: '110', ...(o.gpus ? { 'nvidia.com/gpu': String(o.gpus) } : {}) },
      allocatable: { cpu: '16', memory: o.allocMem ?? '63Gi', pods: '110', ...(o.gpus ? { 'nvidia.com/gpu': String(o.gpus) } : {}) },
      conditions: ['MemoryPressure', 'DiskPressure', 'PIDPressure', 'Ready'].map((type) => ({
        type, status: type === 'Ready' ? (o.ready === false ? 'False' : 'True') : 'False', reason: `Kubelet${type}`, message: `kubelet reports ${type}`,
        lastHeartbeatTime: '2026-01-02T00:00:00Z', lastTransitionTime: '2026-01-01T00:00:00Z',
      })),
      addresses: [{ type: 'InternalIP', address: '10.0.0.5' }, { type: 'Hostname', address: name }],
      daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
      nodeInfo: { kernelVersion: '6.8.0-45-generic', osImage: 'Ubuntu 24.04.1 LTS', kubeletVersion: 'v1.32.1+k3s1', architecture: 'amd64' },
      images: [{ names: ['docker.io/ollama/ollama:0.5.7'], sizeBytes: 1_500_000_000 }],
    },
  };
}

/** The Node as the operator caches it when this controller is its only user (the narrowest cut). */
const cached = (n: KubeObject) => cacheTransform(informerShape(NODES, new Set(['unrestricted']), {}, [NODE_FIELDS]))(structuredClone(n));

const ms = (name: string, spec: Partial<ModelServer['spec']>, status?: ModelServer['status']): ModelServer => ({
  apiVersion: 'agentlab.dev/v1alpha1', kind: 'ModelServer', metadata: { name, namespace: 'ai', uid: name, generation: 1 },
  spec: { models: [{ name: 'llama3.1:8b' }], ...spec } as ModelServer['spec'], status,
});

describe('the ModelServer controller\'s Node projection (NODE_FIELDS)', () => {
  const nodes = [kubeletNode('chief-horse', { gpus: 1 }), kubeletNode('still-fawn', { gpus: 1, memMiB: 8192 }), kubeletNode('pumped-piglet'), kubeletNode('down', { gpus: 1, ready: false }), kubeletNode('cordoned', { gpus: 1, unschedulable: true })];

  it('places every server on a cached Node exactly as on the whole Node', () => {
    const servers = [
      ms('gpu-12', { gpu: { count: 1, minMemory: '12Gi' } } as Partial<ModelServer['spec']>),
      ms('gpu-any', { gpu: { count: 1 } } as Partial<ModelServer['spec']>),
      ms('cpu', {}),
      ms('pinned', { placement: { nodeSelector: { 'kubernetes.io/hostname': 'still-fawn' } } } as Partial<ModelServer['spec']>),
    ];
    const holder = ms('holder', { gpu: { count: 1 } } as Partial<ModelServer['spec']>, { node: 'chief-horse' } as ModelServer['status']);
    for (const server of servers) {
      expect(scoreNodes({ server, nodes: nodes.map(cached), servers: [holder] })).toEqual(scoreNodes({ server, nodes, servers: [holder] }));
    }
  });

  it('sees the same Node changes through the watch predicate', () => {
    const watch = modelServerController().watches!.find((w) => w.resource === NODES)!;
    const base = kubeletNode('chief-horse', { gpus: 1 });
    const changes = [
      kubeletNode('chief-horse', { gpus: 2 }), kubeletNode('chief-horse', { gpus: 1, ready: false }),
      kubeletNode('chief-horse', { gpus: 1, unschedulable: true }), kubeletNode('chief-horse', { gpus: 1, memMiB: 24576 }),
      kubeletNode('chief-horse', { gpus: 1, allocMem: '62Gi' }),
      { ...base, status: { ...(base.status as object), images: [] } },
    ];
    for (const next of changes) expect(watch.predicate!(cached(base), cached(next))).toBe(watch.predicate!(base, next));
  });

  it('caches nothing else of a Node', () => {
    expect(cached(nodes[0])).toEqual({
      apiVersion: 'v1', kind: 'Node',
      metadata: { name: 'chief-horse', uid: 'chief-horse-uid', resourceVersion: '42', labels: nodes[0].metadata!.labels },
      spec: {},
      status: { allocatable: (nodes[0].status as { allocatable: object }).allocatable, conditions: [{ type: 'MemoryPressure', status: 'False' }, { type: 'DiskPressure', status: 'False' }, { type: 'PIDPressure', status: 'False' }, { type: 'Ready', status: 'True' }] },
    });
  });
});
