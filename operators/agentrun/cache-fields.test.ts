import { describe, expect, it } from 'vitest';
import { cacheTransform } from '../runtime/cache-transform.js';
import { informerShape } from '../runtime/informer-roles.js';
import type { KubeObject } from '../runtime/kube.js';
import { LANE_FIELDS, NAMESPACE_FIELDS } from './cache-fields.js';
import { laneBinding, resolveLane } from './lane.js';
import { LANEPOLICIES, NAMESPACES } from './resources.js';

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
