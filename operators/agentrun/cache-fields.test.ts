import { describe, expect, it } from 'vitest';
import { cacheTransform } from '../runtime/cache-transform.js';
import { informerShape } from '../runtime/informer-roles.js';
import type { KubeObject } from '../runtime/kube.js';
import { AGENTRUN_FIELDS, LANE_FIELDS, NAMESPACE_FIELDS } from './cache-fields.js';
import { agentRunController } from './controller.js';
import { keyHolder } from './idempotency.js';
import { primaryCacheFields } from '../runtime/primary-cache.js';
import { statusSamples } from '../runtime/status-metrics.js';
import { laneBinding, resolveLane } from './lane.js';
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

describe('the AgentRun projection (AGENTRUN_FIELDS)', () => {
  const run = (name: string, created: string, status: Record<string, unknown>): KubeObject & { spec: { idempotencyKey: string } } => ({
    apiVersion: 'agentlab.dev/v1alpha1', kind: 'AgentRun',
    metadata: { name, namespace: 'msp', uid: `${name}-uid`, resourceVersion: '4', generation: 1, creationTimestamp: created, labels: { team: 'a' }, managedFields: [{ manager: 'kubectl' }] },
    spec: { idempotencyKey: 'issue-142', task: 'Triage issue #142.'.repeat(20), systemPrompt: 'You are careful.', tools: [{ name: 'http', http: { allowHosts: ['api.github.com'] } }] } as never,
    status,
  });
  const runs = [
    run('a', '2026-01-01T00:00:01Z', {}),
    run('b', '2026-01-01T00:00:02Z', { phase: 'Running', startTime: '2026-01-01T00:00:03Z', conditions: [{ type: 'Ready', status: 'False', reason: 'Running', message: 'm' }] }),
    run('c', '2026-01-01T00:00:00Z', { phase: 'Failed', conditions: [{ type: 'Ready', status: 'False', reason: 'Duplicate', message: 'm' }] }),
    run('d', '2026-01-01T00:00:04Z', { phase: 'Pending' }),
  ];
  // As the operator caches runs with both the AgentRun and the Flow controller running (the Flow owns runs).
  const cachedAll = (shapes: Parameters<typeof informerShape>[3]) => runs.map((r) => cacheTransform(informerShape(AGENTRUNS, new Set(['scoped', 'owned']), {}, shapes))(structuredClone(r)));

  it('is what the controller declares, and leaves the spec out but the idempotency key', () => {
    expect(agentRunController().cacheFields).toBe(AGENTRUN_FIELDS);
    const [cached] = cachedAll([primaryCacheFields({ cacheFields: AGENTRUN_FIELDS })]);
    expect(cached.spec).toEqual({ idempotencyKey: 'issue-142' });
    expect(cached.metadata).not.toHaveProperty('managedFields');
  });

  it('gives the idempotency check and the status metrics the same answers from cached runs', () => {
    const cached = cachedAll([primaryCacheFields({ cacheFields: AGENTRUN_FIELDS })]);
    for (const r of runs) {
      expect(keyHolder(r as never, cached as never)).toBe(keyHolder(r as never, runs as never));
    }
    expect(keyHolder(runs[0] as never, cached as never)).toBe('b');
    expect(cached.map((c) => statusSamples(c as never))).toEqual(runs.map((r) => statusSamples(r as never)));
  });
});
