import { describe, expect, it } from 'vitest';
import { cacheTransform } from '../runtime/cache-transform.js';
import { informerShape } from '../runtime/informer-roles.js';
import type { KubeObject } from '../runtime/kube.js';
import { nodeFacts, SIM_HARDWARE_ANNOTATION } from './analysis.js';
import { HARDWARETASK_FIELDS, NAMESPACE_FIELDS, NODE_FIELDS } from './cache-fields.js';
import { hardwareTaskController } from './controller.js';
import { HARDWARETASKS, NAMESPACES, NODES } from './resources.js';
import { primaryCacheFields } from '../runtime/primary-cache.js';
import { statusSamples, usageSamples } from '../runtime/status-metrics.js';
import { hostAccessRefusal } from './step-pod.js';

const node: KubeObject = {
  apiVersion: 'v1', kind: 'Node',
  metadata: {
    name: 'chief-horse', uid: 'n-uid', resourceVersion: '7', creationTimestamp: '2026-01-01T00:00:00Z',
    labels: { 'kubernetes.io/hostname': 'chief-horse', 'nvidia.com/gpu.product': 'NVIDIA-GeForce-RTX-3060' },
    annotations: { [SIM_HARDWARE_ANNOTATION]: '{"disks":[{"name":"sda","size":"1.8T"}]}', 'k3s.io/node-args': '["server"]' },
    managedFields: [{ manager: 'k3s' }],
  },
  spec: { podCIDR: '10.42.0.0/24', taints: [] },
  status: {
    capacity: { cpu: '16', memory: '64Gi', 'nvidia.com/gpu': '1' }, allocatable: { cpu: '15', memory: '63Gi', 'nvidia.com/gpu': '1' },
    conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status' }],
    nodeInfo: { kernelVersion: '6.8.0-45-generic' }, images: [{ names: ['x'], sizeBytes: 1 }],
  },
};
const namespace = (level?: string): KubeObject => ({
  apiVersion: 'v1', kind: 'Namespace',
  metadata: { name: 'maintenance', uid: 'ns-uid', resourceVersion: '3', labels: { 'kubernetes.io/metadata.name': 'maintenance', ...(level ? { 'pod-security.kubernetes.io/enforce': level } : {}) }, annotations: { note: 'x' } },
  spec: { finalizers: ['kubernetes'] }, status: { phase: 'Active' },
});

// As the operator caches them when this controller is their only user (the narrowest cut).
const cachedNode = (n: KubeObject) => cacheTransform(informerShape(NODES, new Set(['unrestricted']), {}, [NODE_FIELDS]))(structuredClone(n));
const cachedNamespace = (n: KubeObject) => cacheTransform(informerShape(NAMESPACES, new Set(['scoped']), {}, [NAMESPACE_FIELDS]))(structuredClone(n));

describe('the HardwareTask controller\'s projections', () => {
  it('gives an analysis step the same node facts from the cached Node (NODE_FIELDS)', () => {
    expect(nodeFacts('chief-horse', cachedNode(node))).toBe(nodeFacts('chief-horse', node));
    expect(cachedNode(node).status).toEqual({ capacity: (node.status as { capacity: object }).capacity, allocatable: (node.status as { allocatable: object }).allocatable });
  });

  it('refuses or allows a hostAccess step the same on the cached Namespace (NAMESPACE_FIELDS)', () => {
    for (const level of [undefined, 'privileged', 'baseline', 'restricted']) {
      expect(hostAccessRefusal(cachedNamespace(namespace(level)), 'maintenance')).toBe(hostAccessRefusal(namespace(level), 'maintenance'));
    }
    expect(cachedNamespace(namespace())).toEqual({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'maintenance', uid: 'ns-uid', resourceVersion: '3', labels: { 'kubernetes.io/metadata.name': 'maintenance' } } });
  });

  it('caches a HardwareTask without its spec: the Namespace watch and the status metrics read the same (HARDWARETASK_FIELDS)', () => {
    const ctl = hardwareTaskController();
    expect(ctl.cacheFields).toBe(HARDWARETASK_FIELDS);
    const task: KubeObject = {
      apiVersion: 'agentlab.dev/v1alpha1', kind: 'HardwareTask',
      metadata: { name: 'disk', namespace: 'maintenance', uid: 't-uid', resourceVersion: '5', generation: 2, labels: { a: 'b' }, annotations: { 'agentlab.dev/retry-step': 'x' }, finalizers: ['f'], managedFields: [{ manager: 'kubectl' }] },
      spec: { node: 'chief-horse', summary: 's', steps: [{ name: 'fit', type: 'human', human: { instructions: 'Fit the disk in bay 3.'.repeat(50) } }] },
      status: { phase: 'Running', currentStep: 'fit', steps: [{ name: 'fit', phase: 'WaitingForHuman', message: 'waiting' }], observedGeneration: 2, conditions: [{ type: 'Ready', status: 'False', reason: 'WaitingForHuman', message: 'm', lastTransitionTime: '2026-03-01T09:00:00Z' }] },
    };
    const cached = cacheTransform(informerShape(HARDWARETASKS, new Set(['scoped']), {}, [primaryCacheFields(ctl)]))(structuredClone(task));
    expect(cached).toEqual({
      apiVersion: 'agentlab.dev/v1alpha1', kind: 'HardwareTask',
      metadata: { name: 'disk', namespace: 'maintenance', uid: 't-uid', resourceVersion: '5', generation: 2, labels: { a: 'b' }, annotations: { 'agentlab.dev/retry-step': 'x' }, finalizers: ['f'] },
      status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'False', lastTransitionTime: '2026-03-01T09:00:00Z' }] },
    });
    expect(statusSamples(cached)).toEqual(statusSamples(task));
    expect(usageSamples(cached)).toEqual(usageSamples(task));
    const watch = ctl.watches!.find((w) => w.resource === NAMESPACES)!;
    const cache = { get: () => undefined, list: <T extends KubeObject>(r: { plural: string }) => (r.plural === 'hardwaretasks' ? [cached] : []) as T[] };
    expect(watch.map(namespace('privileged'), cache)).toEqual(['maintenance/disk']);
  });
});
