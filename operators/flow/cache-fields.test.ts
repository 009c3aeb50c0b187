import { describe, expect, it } from 'vitest';
import { OWNED_CHILD_FIELDS, cacheTransform, isCutDown } from '../runtime/cache-transform.js';
import { informerShape } from '../runtime/informer-roles.js';
import type { KubeObject } from '../runtime/kube.js';
import { primaryCacheFields, primaryFinishedReads } from '../runtime/primary-cache.js';
import { statusSamples } from '../runtime/status-metrics.js';
import { FINISHED_FLOW_FIELDS } from './cache-fields.js';
import { flowController } from './controller.js';
import { FLOWS } from './resources.js';
import { SCHEDULED_TIME_ANNOTATION, scheduledRuns } from './schedule.js';
import { subflowAttemptResult } from './subflow-node.js';

const flow = (name: string, extra: { owner?: string; scheduledAt?: string; status?: Record<string, unknown> }): KubeObject => ({
  apiVersion: 'agentlab.dev/v1alpha1', kind: 'Flow',
  metadata: {
    name, namespace: 'msp', uid: `${name}-uid`, resourceVersion: '3', generation: 1, creationTimestamp: '2026-01-01T00:00:00Z',
    ...(extra.scheduledAt ? { annotations: { [SCHEDULED_TIME_ANNOTATION]: extra.scheduledAt } } : {}),
    ...(extra.owner ? { ownerReferences: [{ apiVersion: 'agentlab.dev/v1alpha1', kind: 'Flow', name: extra.owner, uid: `${extra.owner}-uid`, controller: true }] } : {}),
    managedFields: [{ manager: 'kubectl' }],
  },
  spec: { nodes: [{ id: 'triage', type: 'agent', agent: { task: 'Triage the report.'.repeat(30) } }], params: [{ name: 'repo', value: 'acme/portal' }] },
  ...(extra.status ? { status: extra.status } : {}),
});

const flows = [
  flow('nightly', { status: { phase: 'Scheduled' } }),
  flow('nightly-1', { owner: 'nightly', scheduledAt: '2026-01-01T01:00:00.000Z', status: { phase: 'Succeeded', completionTime: '2026-01-01T01:05:00Z', nodes: [{ id: 'triage', phase: 'Succeeded', outputs: { summary: 'ok' } }], usage: { totalTokens: 42 } } }),
  flow('nightly-2', { owner: 'nightly', scheduledAt: '2026-01-02T01:00:00.000Z', status: { phase: 'Failed', conditions: [{ type: 'Ready', status: 'False', reason: 'NodeFailed', message: 'node triage failed' }] } }),
  flow('nightly-3', { owner: 'nightly', scheduledAt: '2026-01-03T01:00:00.000Z', status: { phase: 'Running' } }),
  flow('other', { owner: 'someone', scheduledAt: '2026-01-01T01:00:00.000Z' }),
  // A finished flow nobody owns: no owner reads it as a child, so its plan and node statuses stay out.
  flow('adhoc', { status: { phase: 'Succeeded', plan: [{ node: 'triage', wave: 0, action: 'CreateAgentRun' }], nodes: [{ id: 'triage', phase: 'Succeeded' }], usage: { totalTokens: 3 }, conditions: [{ type: 'Ready', status: 'True', reason: 'Succeeded', message: 'done' }] } }),
];
const ctl = flowController();
const reads = primaryFinishedReads(ctl)!;
// As the operator caches Flows: the Flow controller's primary role (finished: FINISHED_FLOW_FIELDS) and its owned role (sub-flows, scheduled runs).
const cached = flows.map((f) => cacheTransform(informerShape(FLOWS, new Set(['scoped', 'owned']), {}, [primaryCacheFields(ctl), OWNED_CHILD_FIELDS], { is: reads.is, fieldShapes: [reads.reads, OWNED_CHILD_FIELDS], owned: [false, true] }))(structuredClone(f)));

describe('finished Flows cached cut down (FINISHED_FLOW_FIELDS)', () => {
  it('is what the controller declares: finished flows leave their spec out, the others stay whole', () => {
    expect(ctl.finishedCache?.fields).toBe(FINISHED_FLOW_FIELDS);
    expect(cached.map((c) => isCutDown(c))).toEqual([false, true, true, false, false, true]);
    expect(cached.map((c) => c.spec === undefined)).toEqual([false, true, true, false, false, true]);
    // A finished child keeps its whole status (its owner reads plan and node outputs); a finished flow nobody owns what the runtime reads.
    expect(cached[1].status).toEqual(flows[1].status);
    expect(cached[5].status).toMatchObject({ phase: 'Succeeded' });
    expect(cached[5].status).not.toHaveProperty('plan');
    expect(cached[5].status).not.toHaveProperty('nodes');
  });

  it('gives the schedule, sub-flow results and status metrics the same answers from cached Flows', () => {
    expect(scheduledRuns(flows[0], cached)).toEqual(scheduledRuns(flows[0], flows));
    expect(scheduledRuns(flows[0], cached).map((r) => r.name)).toEqual(['nightly-1', 'nightly-2', 'nightly-3']);
    const node = { id: 'sub', type: 'flow', flow: { name: 'nightly', outputs: ['summary'] } } as never;
    for (let i = 0; i < flows.length; i++) {
      expect(statusSamples(cached[i])).toEqual(statusSamples(flows[i]));
      // Read as a child only: a flow node's child is applied with a controller ownerReference before its result is read.
      if (!flows[i].metadata?.ownerReferences?.some((o) => o.controller)) continue;
      expect(subflowAttemptResult(node, flows[i].metadata!.name!, cached[i] as never)).toEqual(subflowAttemptResult(node, flows[i].metadata!.name!, flows[i] as never));
    }
  });
});
