import { describe, expect, it } from 'vitest';
import { reconcileOnce } from '../runtime/test-kit.js';
import { lanePolicyController } from './controller.js';

// The test kit caches Namespaces as the operator does (this controller's NAMESPACE_FIELDS), so a
// field the reconcile reads but the projection drops shows up here as a wrong binding.
const lane = {
  apiVersion: 'agentlab.dev/v1alpha1', kind: 'LanePolicy', metadata: { name: 'private', uid: 'lane-uid', generation: 1 },
  spec: { namespaceSelector: { matchLabels: { 'agentlab.dev/lane': 'private' } }, providers: [{ name: 'cloud', type: 'openai', models: { default: 'gpt-4o-mini' } }], egress: { policy: 'DenyExternal' } },
};
const namespace = (name: string, phase: string) => ({
  apiVersion: 'v1', kind: 'Namespace',
  metadata: { name, uid: `${name}-uid`, labels: { 'kubernetes.io/metadata.name': name, 'agentlab.dev/lane': 'private' }, annotations: { owner: 'x' } },
  spec: { finalizers: ['kubernetes'] }, status: { phase },
});

describe('the LanePolicy controller\'s Namespace projection (NAMESPACE_FIELDS)', () => {
  it('fences an Active namespace and leaves one that is Terminating alone (status.phase survives the cache)', async () => {
    const run = await reconcileOnce(lanePolicyController(), { object: lane, cache: [namespace('finance', 'Active'), namespace('leaving', 'Terminating')], now: new Date('2026-01-15T12:00:00Z') });
    expect(run.applied.map((a) => a.object.metadata?.namespace)).toEqual(['finance']);
  });
});
