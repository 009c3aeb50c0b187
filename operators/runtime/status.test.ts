import { describe, expect, it } from 'vitest';
import { stampCondition, isValidReason } from './conditions.js';
import { finalizeStatus, jsonEqual, readyMessage, statusChanged } from './status.js';

const T0 = '2026-01-01T00:00:00Z';
const T1 = '2026-01-01T00:05:00Z';

describe('stampCondition', () => {
  it('keeps lastTransitionTime when the status does not flip', () => {
    const prev = { type: 'Ready', status: 'False' as const, reason: 'A', message: 'a', lastTransitionTime: T0 };
    expect(stampCondition(prev, { type: 'Ready', status: 'False', reason: 'B', message: 'b' }, T1).lastTransitionTime).toBe(T0);
    expect(stampCondition(prev, { type: 'Ready', status: 'True', reason: 'B', message: 'b' }, T1).lastTransitionTime).toBe(T1);
    expect(stampCondition(undefined, { type: 'Ready', status: 'True', reason: 'B', message: 'b' }, T1, 3)).toEqual({
      type: 'Ready', status: 'True', reason: 'B', message: 'b', lastTransitionTime: T1, observedGeneration: 3,
    });
  });

  it('validates reasons like the API server', () => {
    expect(isValidReason('PullFailed')).toBe(true);
    expect(isValidReason('pull failed')).toBe(false);
    expect(isValidReason('')).toBe(false);
  });
});

describe('finalizeStatus', () => {
  const base = { fields: { endpoint: 'http://x' }, conditions: [], generation: 4, now: T1 };

  it.each([
    ['ready', { Ready: 'True' }, ['Ready'], 4],
    ['progressing', { Ready: 'Unknown', Reconciling: 'True' }, ['Ready', 'Reconciling'], 2],
    ['failed', { Ready: 'False', Reconciling: 'True' }, ['Ready', 'Reconciling'], 2],
    ['stalled', { Ready: 'False', Stalled: 'True' }, ['Ready', 'Stalled'], 4],
  ] as const)('%s sets kstatus conditions and observedGeneration', (kind, statuses, types, observed) => {
    const s = finalizeStatus({ ...base, previous: { observedGeneration: 2 }, outcome: { kind, reason: 'R', message: 'm' } });
    expect(s.conditions!.map((c) => c.type)).toEqual(types);
    for (const c of s.conditions!) expect(c.status).toBe(statuses[c.type as keyof typeof statuses]);
    expect(s.observedGeneration).toBe(observed);
    expect(s.endpoint).toBe('http://x');
  });

  it('failed marks Reconciling with ProgressingWithRetry and Ready with the failure reason', () => {
    const s = finalizeStatus({ ...base, previous: undefined, outcome: { kind: 'failed', reason: 'PullFailed', message: 'boom' } });
    expect(s.conditions![0]).toMatchObject({ type: 'Ready', reason: 'PullFailed', message: 'boom' });
    expect(s.conditions![1]).toMatchObject({ type: 'Reconciling', reason: 'ProgressingWithRetry' });
  });

  it('produces an identical status on a repeat, so nothing is written', () => {
    const first = finalizeStatus({ ...base, previous: undefined, conditions: [{ type: 'Scheduled', status: 'True', reason: 'Placed', message: 'n1' }], outcome: { kind: 'ready', reason: 'Succeeded', message: 'ok' } });
    const later = finalizeStatus({ ...base, now: '2030-01-01T00:00:00Z', previous: first, conditions: [{ type: 'Scheduled', status: 'True', reason: 'Placed', message: 'n1' }], outcome: { kind: 'ready', reason: 'Succeeded', message: 'ok' } });
    expect(statusChanged(first, later)).toBe(false);
  });

  it('refuses runtime-owned condition types from controllers', () => {
    expect(() => finalizeStatus({ ...base, previous: undefined, conditions: [{ type: 'Ready', status: 'True', reason: 'X', message: '' }], outcome: { kind: 'ready', reason: 'X', message: '' } })).toThrow(/owned by the runtime/);
  });

  it('readyMessage reads the Ready condition, not conditions[0]', () => {
    const s = finalizeStatus({ ...base, previous: undefined, conditions: [], outcome: { kind: 'progressing', reason: 'Pulling', message: 'pulling x' } });
    s.conditions!.reverse();
    expect(readyMessage(s)).toBe('pulling x');
  });
});

describe('jsonEqual / statusChanged', () => {
  it('ignores key order and undefined members', () => {
    expect(jsonEqual({ a: 1, b: [1, { c: 2 }] }, { b: [1, { c: 2 }], a: 1, d: undefined })).toBe(true);
    expect(jsonEqual({ a: [1, 2] }, { a: [2, 1] })).toBe(false);
    expect(statusChanged(undefined, {})).toBe(false);
    expect(statusChanged({ a: 1 }, { a: 2 })).toBe(true);
  });
});
