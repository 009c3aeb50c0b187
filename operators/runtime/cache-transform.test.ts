import { describe, expect, it } from 'vitest';
import { cacheProjection, projectObject } from './cache-projection.js';
import { LAST_APPLIED_ANNOTATION, OWNED_CHILD_FIELDS, cacheTransform, isCutDown, stripForCache } from './cache-transform.js';
import type { KubeObject } from './kube.js';

describe('stripForCache', () => {
  it('drops managedFields and the last-applied annotation, keeps every other annotation and label', () => {
    const obj: KubeObject = {
      apiVersion: 'agentlab.dev/v1alpha1', kind: 'AgentRun',
      metadata: {
        name: 'triage', namespace: 'msp', labels: { a: '1' },
        annotations: { [LAST_APPLIED_ANNOTATION]: '{"big":"copy"}', 'agentlab.dev/applied-hash': 'abc' },
        managedFields: [{ manager: 'kubectl', operation: 'Update' }],
      },
      spec: { task: 't' }, status: { phase: 'Running' },
    };
    expect(stripForCache(obj)).toEqual({
      apiVersion: 'agentlab.dev/v1alpha1', kind: 'AgentRun',
      metadata: { name: 'triage', namespace: 'msp', labels: { a: '1' }, annotations: { 'agentlab.dev/applied-hash': 'abc' } },
      spec: { task: 't' }, status: { phase: 'Running' },
    });
  });

  it('drops a Node\'s image list and keeps what placement reads (labels, allocatable, conditions)', () => {
    const node: KubeObject = {
      apiVersion: 'v1', kind: 'Node', metadata: { name: 'chief-horse', labels: { 'nvidia.com/gpu.product': 'RTX-3060' } },
      status: { allocatable: { 'nvidia.com/gpu': '1' }, conditions: [{ type: 'Ready', status: 'True' }], images: [{ names: ['ollama/ollama:0.5'], sizeBytes: 1 }] },
    };
    expect(stripForCache(node)).toEqual({
      apiVersion: 'v1', kind: 'Node', metadata: { name: 'chief-horse', labels: { 'nvidia.com/gpu.product': 'RTX-3060' } },
      status: { allocatable: { 'nvidia.com/gpu': '1' }, conditions: [{ type: 'Ready', status: 'True' }] },
    });
  });

  it('leaves no empty annotations behind when kubectl\'s copy was the only one', () => {
    const obj: KubeObject = { apiVersion: 'agentlab.dev/v1alpha1', kind: 'LanePolicy', metadata: { name: 'lane', labels: { a: '1' }, annotations: { [LAST_APPLIED_ANNOTATION]: '{}' }, managedFields: [{ manager: 'kubectl' }] }, spec: {} };
    const stripped = stripForCache(obj);
    expect(stripped).toEqual({ apiVersion: 'agentlab.dev/v1alpha1', kind: 'LanePolicy', metadata: { name: 'lane', labels: { a: '1' } }, spec: {} });
    expect(stripped.metadata).not.toHaveProperty('annotations');
  });

  it('leaves objects without those fields as they are (status.images only goes for Nodes)', () => {
    const pod: KubeObject = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, status: { images: ['kept'] } };
    expect(stripForCache(structuredClone(pod))).toEqual(pod);
  });
});

describe('OWNED_CHILD_FIELDS', () => {
  it('is what the compact cache of children keeps, so an owner reads the same whether its children are cached compact or cut down with another role\'s fields', () => {
    const child: KubeObject = {
      apiVersion: 'agentlab.dev/v1alpha1', kind: 'AgentRun',
      metadata: {
        name: 'flow-a-1', namespace: 'msp', uid: 'u', resourceVersion: '9', generation: 2, creationTimestamp: '2026-01-01T00:00:00Z', deletionTimestamp: '2026-01-02T00:00:00Z',
        labels: { 'app.kubernetes.io/managed-by': 'agentlab' }, annotations: { 'agentlab.dev/applied-hash': 'abc' }, finalizers: ['f'],
        ownerReferences: [{ apiVersion: 'agentlab.dev/v1alpha1', kind: 'Flow', name: 'flow', uid: 'o', controller: true }],
        managedFields: [{ manager: 'agentlab-flow' }], generateName: 'x-',
      },
      spec: { task: 'the task' }, status: { phase: 'Succeeded', usage: { totalTokens: 7 } },
    };
    const compact = cacheTransform({ compact: true })(structuredClone(child));
    expect(compact).toEqual({
      apiVersion: 'agentlab.dev/v1alpha1', kind: 'AgentRun',
      metadata: {
        name: 'flow-a-1', namespace: 'msp', uid: 'u', resourceVersion: '9', generation: 2, deletionTimestamp: '2026-01-02T00:00:00Z',
        labels: { 'app.kubernetes.io/managed-by': 'agentlab' }, annotations: { 'agentlab.dev/applied-hash': 'abc' }, finalizers: ['f'],
        ownerReferences: [{ apiVersion: 'agentlab.dev/v1alpha1', kind: 'Flow', name: 'flow', uid: 'o', controller: true }],
      },
      status: { phase: 'Succeeded', usage: { totalTokens: 7 } },
    });
    expect(projectObject(stripForCache(structuredClone(child)), OWNED_CHILD_FIELDS)).toEqual(compact);
  });
});

describe('cacheTransform with a finished shape (Controller.finishedCache)', () => {
  const run = (name: string, phase: string): KubeObject => ({
    apiVersion: 'agentlab.dev/v1alpha1', kind: 'AgentRun',
    metadata: { name, namespace: 'msp', uid: `${name}-uid`, resourceVersion: '4', generation: 1, labels: { a: '1' }, managedFields: [{ manager: 'kubectl' }] },
    spec: { task: 'Triage the report.'.repeat(10), idempotencyKey: 'k' }, status: { phase, startTime: '2026-01-01T00:00:00Z' },
  });
  // As informerShape builds it: the finished fields of every user with identity (cacheProjection).
  const fields = cacheProjection([{ metadata: { labels: true }, spec: { idempotencyKey: true }, status: { phase: true } }])!;
  const transform = cacheTransform({ compact: false, finished: { is: (o) => (o.status as { phase?: string }).phase === 'Succeeded', fields } });

  it('cuts down finished objects to identity and the finished fields, and marks them cut down', () => {
    const cached = transform(run('done', 'Succeeded'));
    expect(cached).toEqual({
      apiVersion: 'agentlab.dev/v1alpha1', kind: 'AgentRun',
      metadata: { name: 'done', namespace: 'msp', uid: 'done-uid', resourceVersion: '4', generation: 1, labels: { a: '1' } },
      spec: { idempotencyKey: 'k' }, status: { phase: 'Succeeded' },
    });
    expect(isCutDown(cached)).toBe(true);
  });

  it('keeps what owned roles read only of a finished object with a controller ownerReference (unownedFields)', () => {
    const unowned = cacheProjection([{ status: { phase: true } }])!;
    const t = cacheTransform({ compact: false, finished: { is: (o) => (o.status as { phase?: string }).phase === 'Succeeded', fields: cacheProjection([{ status: true }])!, unownedFields: unowned } });
    expect(t(run('done', 'Succeeded')).status).toEqual({ phase: 'Succeeded' });
    const child = run('child', 'Succeeded');
    child.metadata!.ownerReferences = [{ apiVersion: 'agentlab.dev/v1alpha1', kind: 'Flow', name: 'daily', uid: 'u', controller: true }];
    expect(t(child).status).toEqual({ phase: 'Succeeded', startTime: '2026-01-01T00:00:00Z' });
  });

  it('keeps an unfinished object whole (stripped only) and does not mark it', () => {
    const cached = transform(run('busy', 'Running'));
    expect(cached).toEqual(stripForCache(run('busy', 'Running')));
    expect(isCutDown(cached)).toBe(false);
    // A shape without a finished declaration never marks anything.
    expect(isCutDown(cacheTransform({ compact: false })(run('done', 'Succeeded')))).toBe(false);
  });
});
