import { describe, expect, it } from 'vitest';
import { OWNED_CHILD_FIELDS, cacheTransform, isCutDown } from '../runtime/cache-transform.js';
import { informerShape } from '../runtime/informer-roles.js';
import type { KubeObject } from '../runtime/kube.js';
import { primaryCacheFields, primaryFinishedReads } from '../runtime/primary-cache.js';
import { statusSamples } from '../runtime/status-metrics.js';
import { FINISHED_RUN_FIELDS, LANE_FIELDS, NAMESPACE_FIELDS } from './cache-fields.js';
import { agentRunController } from './controller.js';
import { keyHolder, type KeyedRun } from './idempotency.js';
import { laneBinding, resolveLane } from './lane.js';
import { isFinished } from './phase.js';
import { AGENTRUNS, LANEPOLICIES, NAMESPACES } from './resources.js';

const namespace = (name: string, labels: Record<string, string>): KubeObject => ({
  apiVersion: 'v1', kind: 'Namespace',
  metadata: { name, uid: `${name}-uid`, resourceVersion: '5', labels: { 'kubernetes.io/metadata.name': name, ...labels }, annotations: { owner: 'finance-team' }, managedFields: [{ manager: 'kubectl' }] },
  spec: { finalizers: ['kubernetes'] }, status: { phase: 'Active' },
});
const lane = (name: string, matchLabels: Record<string, string>): KubeObject => ({
  apiVersion: 'agentlab.dev/v1alpha1', kind: 'LanePolicy', metadata: { name, uid: `${name}-uid`, generation: 1 },
  spec: { namespaceSelector: { matchLabels }, providers: [{ name: 'cloud', type: 'openai', models: { default: 'gpt-4o-mini' } }], egress: { policy: 'AllowListed' } },
});

const cachedLane = (l: KubeObject) => cacheTransform(informerShape(LANEPOLICIES, new Set(['scoped']), {}, [LANE_FIELDS]))(structuredClone(l));
// As the operator caches a Namespace when this controller is its only user (the narrowest cut).
const cached = (n: KubeObject) => cacheTransform(informerShape(NAMESPACES, new Set(['scoped']), {}, [NAMESPACE_FIELDS]))(structuredClone(n));

describe('the AgentRun controller\'s Namespace projection (NAMESPACE_FIELDS)', () => {
  it('resolves every run\'s lane the same from cached Namespaces', () => {
    const namespaces = [namespace('finance', { 'agentlab.dev/lane': 'private' }), namespace('lab', { 'agentlab.dev/lane': 'enterprise' }), namespace('plain', {})];
    const lanes = [lane('private', { 'agentlab.dev/lane': 'private' }), lane('enterprise', { 'agentlab.dev/lane': 'enterprise' })];
    for (const ns of ['finance', 'lab', 'plain', 'unknown']) {
      for (const spec of [{}, { lane: 'private' }, { lane: 'enterprise', model: 'default' }]) {
        expect(resolveLane({ namespace: ns, spec, lanes, namespaces: namespaces.map(cached) })).toEqual(resolveLane({ namespace: ns, spec, lanes, namespaces }));
        // The binding from LanePolicies cached as this controller declares them (LANE_FIELDS); the bound lane is read live.
        expect(laneBinding({ namespace: ns, spec, lanes: lanes.map(cachedLane), namespaces: namespaces.map(cached) })).toEqual(laneBinding({ namespace: ns, spec, lanes, namespaces }));
      }
    }
  });
});

describe('finished AgentRuns cached cut down (FINISHED_RUN_FIELDS)', () => {
  const run = (name: string, created: string, key: string | undefined, status?: Record<string, unknown>): KubeObject => ({
    apiVersion: 'agentlab.dev/v1alpha1', kind: 'AgentRun',
    metadata: { name, namespace: 'msp', uid: `${name}-uid`, resourceVersion: '7', generation: 1, creationTimestamp: created, labels: { team: 'a' }, managedFields: [{ manager: 'kubectl' }] },
    spec: { task: 'Triage the report.'.repeat(20), model: 'default', ...(key ? { idempotencyKey: key } : {}) },
    ...(status ? { status } : {}),
  });
  const ready = (status: string, reason: string) => [{ type: 'Ready', status, reason, message: reason, lastTransitionTime: '2026-01-01T00:10:00Z' }];
  const runs = [
    run('done', '2026-01-01T00:00:00Z', 'k', { phase: 'Succeeded', startTime: '2026-01-01T00:01:00Z', completionTime: '2026-01-01T00:05:00Z', conditions: ready('True', 'Succeeded'), usage: { totalTokens: 42 }, result: 'ok' }),
    run('failed', '2026-01-01T00:00:01Z', 'k2', { phase: 'Failed', startTime: '2026-01-01T00:01:00Z', conditions: ready('False', 'TimeLimit') }),
    run('dup', '2026-01-01T00:00:02Z', 'k', { phase: 'Failed', conditions: ready('False', 'Duplicate') }),
    run('cancelled', '2026-01-01T00:00:03Z', 'k3', { phase: 'Cancelled', conditions: ready('False', 'Rejected') }),
    run('busy', '2026-01-01T00:00:04Z', 'k4', { phase: 'Running', startTime: '2026-01-01T00:02:00Z' }),
    run('waiting', '2026-01-01T00:00:05Z', 'k3', { phase: 'AwaitingApproval' }),
    run('new', '2026-01-01T00:00:06Z', 'k'),
    run('new2', '2026-01-01T00:00:07Z', 'k2'),
    run('new3', '2026-01-01T00:00:08Z', undefined),
    // Two finished runs with one key (created before the key was checked): the earlier created holds it.
    run('zz-old', '2025-12-31T00:00:00Z', 'k5', { phase: 'Succeeded', startTime: '2025-12-31T00:01:00Z', conditions: ready('True', 'Succeeded') }),
    run('aa-late', '2026-01-01T00:00:09Z', 'k5', { phase: 'Succeeded', startTime: '2026-01-01T00:01:00Z', conditions: ready('True', 'Succeeded') }),
    run('new4', '2026-01-01T00:00:10Z', 'k5'),
    // A flow's agent node: the Flow controller reads its whole status as its owner.
    { ...run('daily-triage-1', '2026-01-01T00:00:11Z', undefined, { phase: 'Succeeded', startTime: '2026-01-01T00:01:00Z', completionTime: '2026-01-01T00:02:00Z', result: 'two bugs', usage: { totalTokens: 7 }, conditions: ready('True', 'Succeeded') }), metadata: { name: 'daily-triage-1', namespace: 'msp', uid: 'dt-uid', resourceVersion: '9', generation: 1, creationTimestamp: '2026-01-01T00:00:11Z', ownerReferences: [{ apiVersion: 'agentlab.dev/v1alpha1', kind: 'Flow', name: 'daily', uid: 'daily-uid', controller: true }] } },
  ];
  const ctl = agentRunController();
  const reads = primaryFinishedReads(ctl)!;
  // As the operator caches AgentRuns: with the AgentRun controller alone (the narrowest cut) and with the Flow controller owning runs too.
  const alone = cacheTransform(informerShape(AGENTRUNS, new Set(['scoped']), {}, [primaryCacheFields(ctl)], { is: reads.is, fieldShapes: [reads.reads] }));
  const withFlows = cacheTransform(informerShape(AGENTRUNS, new Set(['scoped', 'owned']), {}, [primaryCacheFields(ctl), OWNED_CHILD_FIELDS], { is: reads.is, fieldShapes: [reads.reads, OWNED_CHILD_FIELDS], owned: [false, true] }));

  it('is what the controller declares; finished runs leave their spec but the idempotencyKey out, the others stay whole', () => {
    expect(ctl.finishedCache?.fields).toBe(FINISHED_RUN_FIELDS);
    for (const transform of [alone, withFlows]) {
      for (const r of runs) {
        const cached = transform(structuredClone(r));
        const finished = isFinished((r.status as { phase?: string } | undefined)?.phase);
        expect(isCutDown(cached)).toBe(finished);
        if (finished) expect(cached.spec).toEqual({ idempotencyKey: (r.spec as { idempotencyKey?: string }).idempotencyKey });
        else expect(cached.spec).toEqual(r.spec);
      }
    }
  });

  it('gives idempotency, the pending-run filter and the status metrics the same answers from cached runs', () => {
    for (const transform of [alone, withFlows]) {
      const cached = runs.map((r) => transform(structuredClone(r)));
      for (const r of runs) {
        expect(keyHolder(r as KeyedRun, cached as KeyedRun[])).toEqual(keyHolder(r as KeyedRun, runs as KeyedRun[]));
      }
      const pending = (list: KubeObject[]) => list.filter((r) => !(r.status as { startTime?: string } | undefined)?.startTime && !isFinished((r.status as { phase?: string } | undefined)?.phase)).map((r) => r.metadata!.name);
      expect(pending(cached)).toEqual(pending(runs));
      cached.forEach((c, i) => expect(statusSamples(c)).toEqual(statusSamples(runs[i])));
    }
    // The holders the test is about: a finished run still holds its key.
    // With the Flow controller: a finished run that is a flow's child keeps its whole status (result, times), one that is not only what is read of it.
    const owned = withFlows(structuredClone(runs[12]));
    expect(owned.status).toEqual(runs[12].status);
    expect(owned.metadata?.ownerReferences).toEqual(runs[12].metadata?.ownerReferences);
    expect(withFlows(structuredClone(runs[0])).status).not.toHaveProperty('result');
    const cachedAlone = runs.map((r) => alone(structuredClone(r))) as KeyedRun[];
    expect(keyHolder(runs[6] as KeyedRun, cachedAlone)).toBe('done');
    expect(keyHolder(runs[11] as KeyedRun, cachedAlone)).toBe('zz-old');
  });
});
