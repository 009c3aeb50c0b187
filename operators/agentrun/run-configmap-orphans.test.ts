import { describe, expect, it } from 'vitest';
import { lastWrite, orphanReason, sweepCandidate, tokenSecretRun, type RunConfigMapLike } from './run-configmap-orphans.js';

const T0 = Date.parse('2026-12-03T10:00:00Z');
const MIN = 60_000;
const cm = (over: { data?: Record<string, string>; created?: string; annotations?: Record<string, string> } = {}): RunConfigMapLike => ({
  metadata: {
    name: 'run-usage-0123456789abcdef0123', uid: 'cm-uid', resourceVersion: '42', creationTimestamp: over.created ?? '2026-12-03T10:00:00Z',
    annotations: over.annotations ?? { 'agentlab.dev/run-namespace': 'team-a', 'agentlab.dev/run': 'triage' },
  },
  data: over.data ?? { requests: '3', updatedAt: '2026-12-03T10:05:00Z', runKind: 'AgentRun', runUid: 'run-uid' },
});

describe('run ConfigMap sweep decisions', () => {
  it('takes the later of creation and the last usage write', () => {
    expect(lastWrite(cm())).toBe(T0 + 5 * MIN);
    expect(lastWrite(cm({ data: {} }))).toBe(T0);
    expect(lastWrite({ metadata: {} })).toBeUndefined();
  });

  it('looks only at run ConfigMaps written longer ago than the grace period', () => {
    expect(sweepCandidate(cm(), T0 + 14 * MIN, 10 * MIN)).toBeUndefined();
    expect(sweepCandidate(cm(), T0 + 15 * MIN, 10 * MIN)).toEqual({ name: 'run-usage-0123456789abcdef0123', uid: 'cm-uid', resourceVersion: '42', namespace: 'team-a', run: 'triage', owner: { kind: 'AgentRun', uid: 'run-uid' } });
    expect(sweepCandidate(cm({ annotations: { 'agentlab.dev/run': 'triage' } }), T0 + 60 * MIN, 10 * MIN)).toBeUndefined();
    expect(sweepCandidate({ ...cm(), metadata: { ...cm().metadata, creationTimestamp: undefined }, data: {} }, T0 + 60 * MIN, 10 * MIN)).toBeUndefined();
  });

  it('treats a ConfigMap without a recorded owner (or of an unknown kind) as unattributed', () => {
    expect(sweepCandidate(cm({ data: { requests: '1' } }), T0 + 60 * MIN, 10 * MIN)).not.toHaveProperty('owner');
    expect(sweepCandidate(cm({ data: { runKind: 'Job', runUid: 'x' } }), T0 + 60 * MIN, 10 * MIN)).not.toHaveProperty('owner');
  });

  const attributed = sweepCandidate(cm(), T0 + 60 * MIN, 10 * MIN)!;
  const unattributed = sweepCandidate(cm({ data: {} }), T0 + 60 * MIN, 10 * MIN)!;

  it.each([
    ['its run answers 404', attributed, { owner: { state: 'absent' as const } }, 'AgentRun team-a/triage no longer exists'],
    ['a new run of the same name has another UID', attributed, { owner: { state: 'present' as const, uid: 'other' } }, 'AgentRun team-a/triage is another object now (UID other; the ConfigMap is UID run-uid\'s)'],
    ['its run is there', attributed, { owner: { state: 'present' as const, uid: 'run-uid' } }, undefined],
    ['nothing was looked up', attributed, {}, undefined],
    ['no token Secret of an unattributed run is left', unattributed, { tokenSecretExists: false }, 'no router token Secret of run team-a/triage exists and the ConfigMap records no run UID'],
    ['an unattributed run still has its token', unattributed, { tokenSecretExists: true }, undefined],
    ['an attributed run is not judged by tokens', attributed, { tokenSecretExists: false }, undefined],
  ])('%s', (_what, c, evidence, why) => {
    expect(orphanReason(c, evidence)).toBe(why);
  });

  it('reads a token Secret\'s run as the router does', () => {
    expect(tokenSecretRun({ metadata: { name: 'triage-router-token', labels: { 'agentlab.dev/run': 'triage' } } })).toBe('triage');
    expect(tokenSecretRun({ metadata: { name: 'long-name-router-token' } })).toBe('long-name-router-token');
    const long = `nightly-${'x'.repeat(70)}`;
    expect(tokenSecretRun({ metadata: { name: `${long}-router-token-flow`, labels: {}, annotations: { 'agentlab.dev/run': long } } })).toBe(long);
  });
});
