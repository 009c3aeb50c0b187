import { describe, expect, it } from 'vitest';
import type { V1Node, V1Pod } from '@kubernetes/client-node';
import { HOMELAB_NODES, nodeManifest } from './nodes.js';
import { addToLoad, fitErrorMessage, loadOn, matchesRequirement, nodeLoads, podRequests, schedulePod, tolerates } from './schedule.js';
import { milliCpu, parseQuantity } from './quantity.js';

const now = new Date('2026-01-01T00:00:00Z');
const nodes: V1Node[] = HOMELAB_NODES.map((n) => nodeManifest(n, '127.0.0.1', now));

function pod(name: string, spec: Partial<NonNullable<V1Pod['spec']>> = {}, requests: Record<string, string> = {}): V1Pod {
  return {
    metadata: { name, namespace: 'ns', uid: `uid-${name}` },
    spec: { containers: [{ name: 'c', image: 'busybox', resources: { requests } }], ...spec },
  };
}

describe('quantities', () => {
  it.each([
    ['500m', 0.5], ['2', 2], ['12Gi', 12 * 2 ** 30], ['1e3', 1000], ['1.5k', 1500], ['128Mi', 128 * 2 ** 20],
  ])('%s', (q, v) => expect(parseQuantity(q)).toBeCloseTo(v));
  it('counts cpu in millicores and rejects nonsense with the value in the message', () => {
    expect(milliCpu('250m')).toBe(250);
    expect(() => parseQuantity('12 GB')).toThrow('"12 GB"');
  });
});

describe('scheduling', () => {
  it('sends a GPU pod to a GPU node and a CPU pod to the least loaded node', () => {
    const gpu = schedulePod(pod('gpu', {}, { 'nvidia.com/gpu': '1' }), nodes, []);
    expect(['chief-horse', 'still-fawn']).toContain((gpu as { node: string }).node);
    expect(schedulePod(pod('cpu', {}, { cpu: '1' }), nodes, [])).toEqual({ node: 'chief-horse' });
  });

  it('honours nodeSelector on GPU feature-discovery labels', () => {
    const p = pod('sel', { nodeSelector: { 'nvidia.com/gpu.product': 'NVIDIA-GeForce-RTX-3070' } });
    expect(schedulePod(p, nodes, [])).toEqual({ node: 'still-fawn' });
  });

  it('honours required node affinity with Gt on GPU memory', () => {
    const p = pod('aff', {
      affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'nvidia.com/gpu.memory', operator: 'Gt', values: ['10000'] }] }] } } },
    });
    expect(schedulePod(p, nodes, [])).toEqual({ node: 'chief-horse' });
  });

  it('explains a pod that fits nowhere in the scheduler\'s words', () => {
    const bound = [pod('a', { nodeName: 'chief-horse' }, { 'nvidia.com/gpu': '1' })];
    const p = pod('big', { nodeSelector: { 'nvidia.com/gpu.present': 'true' }, affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: ['chief-horse'] }] }] } } } }, { 'nvidia.com/gpu': '1' });
    const d = schedulePod(p, nodes, bound);
    expect(d).toEqual({
      unschedulable:
        "0/3 nodes are available: 1 Insufficient nvidia.com/gpu, 2 node(s) didn't match Pod's node affinity/selector. preemption: 0/3 nodes are available: 1 No preemption victims found for incoming pod, 2 Preemption is not helpful for scheduling.",
    });
  });

  it('ignores finished pods and the pod itself when counting usage', () => {
    const done = pod('done', { nodeName: 'still-fawn' }, { 'nvidia.com/gpu': '1' });
    done.status = { phase: 'Succeeded' };
    const p = pod('next', { nodeSelector: { 'kubernetes.io/hostname': 'still-fawn' } }, { 'nvidia.com/gpu': '1' });
    expect(schedulePod(p, nodes, [done, p])).toEqual({ node: 'still-fawn' });
  });

  it('keeps pods off tainted nodes unless tolerated', () => {
    const tainted = nodes.map((n) => ({ ...n, spec: { taints: [{ key: 'gpu', value: 'only', effect: 'NoSchedule' }] } }));
    expect(schedulePod(pod('x'), tainted, [])).toEqual({
      unschedulable: '0/3 nodes are available: 3 node(s) had untolerated taint {gpu: only}. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.',
    });
    expect('node' in schedulePod(pod('y', { tolerations: [{ key: 'gpu', operator: 'Equal', value: 'only', effect: 'NoSchedule' }] }), tainted, [])).toBe(true);
  });

  it('reports several insufficient resources on one node', () => {
    const d = schedulePod(pod('huge', {}, { cpu: '100', memory: '1Ti' }), nodes.slice(2), []);
    expect(d).toEqual({ unschedulable: '0/1 nodes are available: 1 Insufficient cpu, 1 Insufficient memory. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.' });
  });

  it('counts init containers as the max, not the sum', () => {
    const p = pod('init', { initContainers: [{ name: 'i', resources: { requests: { cpu: '4' } } }] }, { cpu: '1' });
    expect(podRequests(p).cpu).toBe(4000);
  });

  it('evaluates selector operators and tolerations like Kubernetes', () => {
    const labels = { a: '1', n: '5' };
    expect(matchesRequirement(labels, { key: 'a', operator: 'NotIn', values: ['2'] })).toBe(true);
    expect(matchesRequirement(labels, { key: 'b', operator: 'DoesNotExist' })).toBe(true);
    expect(matchesRequirement(labels, { key: 'n', operator: 'Lt', values: ['3'] })).toBe(false);
    expect(matchesRequirement(labels, { key: 'a', operator: 'Exists' })).toBe(true);
    expect(tolerates([{ operator: 'Exists' }], { key: 'any', effect: 'NoExecute' })).toBe(true);
    expect(tolerates([{ key: 'k', operator: 'Exists', effect: 'NoSchedule' }], { key: 'k', effect: 'NoExecute' })).toBe(false);
    expect(fitErrorMessage(0, [])).toBe('no nodes available to schedule pods');
  });
});

describe('scoring', () => {
  it('spreads pods without requests, counting them as 100m / 200 MB like kube-scheduler', () => {
    const bound = [pod('a', { nodeName: 'chief-horse' }), pod('b', { nodeName: 'chief-horse' })];
    const d = schedulePod(pod('c'), nodes, bound);
    expect(d).not.toEqual({ node: 'chief-horse' });
  });
});

describe('a scheduling pass with the nodes\' loads kept once', () => {
  it('decides as summing every node\'s pods per pending pod does, binding after binding', () => {
    const bound = [
      pod('a', { nodeName: 'chief-horse' }, { cpu: '2', memory: '4Gi' }),
      pod('b', { nodeName: 'still-fawn' }, { cpu: '1' }),
      { ...pod('done', { nodeName: 'pumped-piglet' }, { cpu: '3' }), status: { phase: 'Succeeded' } },
    ];
    const pending = Array.from({ length: 12 }, (_, i) => pod(`p${i}`, {}, { cpu: `${(i % 3) + 1}`, memory: `${i + 1}Gi` }));
    const all = [...bound, ...pending];
    const loads = nodeLoads(all);
    expect(loads.get('pumped-piglet')).toBeUndefined(); // a finished pod holds nothing
    for (const p of pending) {
      const summed = schedulePod(p, nodes, all);
      const kept = schedulePod(p, nodes, all, loads);
      expect(kept).toEqual(summed);
      if ('node' in kept) {
        p.spec!.nodeName = kept.node;
        addToLoad(loadOn(loads, kept.node), p);
      }
    }
    expect(new Set(pending.map((p) => p.spec?.nodeName)).size).toBeGreaterThan(1);
  });
});
