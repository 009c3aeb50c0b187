import { describe, expect, it } from 'vitest';
import { agentLogReadable, midRunRefresh, observePod, podEnding, podObservationChanged, stopVerdict, type PodObservation } from './phase.js';
import type { TerminationReport } from './runner-output.js';

const limits = { maxTurns: 20, maxTokens: 1000, timeoutSeconds: 600, timeout: '10m' };
const ended = (terminated: { exitCode: number; reason?: string }, extra: Partial<PodObservation & { state: 'present' }> = {}): PodObservation => ({ state: 'present', deleting: false, phase: terminated.exitCode === 0 ? 'Succeeded' : 'Failed', terminated, ...extra });
const report = (r: Partial<TerminationReport>): TerminationReport => ({ outcome: 'Failed', reason: 'RunnerError', message: '', result: '', ...r });

describe('podEnding', () => {
  it.each([
    ['running pod', { state: 'present', deleting: false, phase: 'Running' } as PodObservation, undefined, false, undefined],
    ['success', ended({ exitCode: 0 }), report({ outcome: 'Succeeded', reason: 'Completed', turns: 3 }), false, ['Succeeded', 'Succeeded', 'the agent finished in 3 turns']],
    ['maxTurns', ended({ exitCode: 2 }), report({ outcome: 'LimitExceeded', reason: 'MaxTurns', message: '20 model calls' }), false, ['Failed', 'MaxTurns', 'limit spec.limits.maxTurns (20) reached: 20 model calls']],
    ['maxTokens from the router refusal', ended({ exitCode: 2 }), report({ outcome: 'LimitExceeded', reason: 'MaxTokens' }), false, ['Failed', 'MaxTokens', 'limit spec.limits.maxTokens (1000) reached']],
    ['runner timeout', ended({ exitCode: 2 }), report({ outcome: 'LimitExceeded', reason: 'Timeout' }), false, ['Failed', 'Timeout', 'limit spec.limits.timeout (10m) reached']],
    ['activeDeadlineSeconds', ended({ exitCode: 137 }, { reason: 'DeadlineExceeded' }), undefined, false, ['Failed', 'Timeout', "limit spec.limits.timeout (10m) reached: the pod's activeDeadlineSeconds stopped the agent"]],
    ['cancelled by us', ended({ exitCode: 143 }), report({ reason: 'Cancelled' }), true, ['Cancelled', 'Cancelled', 'cancelled by spec.cancel']],
    ['SIGTERM from someone else', ended({ exitCode: 143 }), report({ reason: 'Cancelled' }), false, ['Failed', 'RunnerInterrupted', expect.stringContaining('without spec.cancel')]],
    ['model error', ended({ exitCode: 1 }), report({ reason: 'ModelError', message: 'router answered 503' }), false, ['Failed', 'ModelError', 'router answered 503']],
    ['killed without a report', ended({ exitCode: 137, reason: 'OOMKilled' }), undefined, false, ['Failed', 'RunnerInterrupted', expect.stringContaining('exit code 137, OOMKilled')]],
    ['exit 0 without a report is not trusted', ended({ exitCode: 0 }), undefined, false, ['Failed', 'RunnerError', expect.stringContaining('without the runner')]],
    ['pod gone', { state: 'absent' } as PodObservation, undefined, false, ['Failed', 'RunnerInterrupted', expect.stringContaining('pod r-agent disappeared')]],
    ['pod gone after cancel', { state: 'absent' } as PodObservation, undefined, true, ['Cancelled', 'Cancelled', 'cancelled by spec.cancel']],
  ] as const)('%s', (_name, pod, termination, cancel, want) => {
    const e = podEnding({ pod, termination, limits, cancel, podName: 'r-agent' });
    if (!want) expect(e).toBeUndefined();
    else expect(e).toEqual({ phase: want[0], reason: want[1], message: want[2] });
  });
});

describe('stopVerdict', () => {
  const now = new Date('2026-01-01T00:20:00Z');
  it('lets a run within its limits go on', () => {
    expect(stopVerdict({ cancel: false, limits, routerTokens: 999, startTime: '2026-01-01T00:15:00Z', now })).toBeUndefined();
  });
  it('stops a cancelled run', () => {
    expect(stopVerdict({ cancel: true, limits, now })?.phase).toBe('Cancelled');
  });
  it('stops a run the router counted past maxTokens, whatever the runner says', () => {
    expect(stopVerdict({ cancel: false, limits, routerTokens: 1001, now })).toEqual({ phase: 'Failed', reason: 'MaxTokens', message: 'limit spec.limits.maxTokens (1000) exceeded: the lane router counted 1001 tokens' });
  });
  it('stops a run past its timeout plus grace', () => {
    expect(stopVerdict({ cancel: false, limits, startTime: '2026-01-01T00:09:29Z', now })?.reason).toBe('Timeout');
    expect(stopVerdict({ cancel: false, limits, startTime: '2026-01-01T00:09:31Z', now })).toBeUndefined();
  });
});

describe('agentLogReadable', () => {
  it.each([
    [{ state: 'absent' }, false],
    [{ state: 'present', deleting: false }, false],
    [{ state: 'present', deleting: false, phase: 'Pending' }, false],
    [{ state: 'present', deleting: true, phase: 'Pending' }, false],
    [{ state: 'present', deleting: false, phase: 'Running' }, true],
    [{ state: 'present', deleting: true, phase: 'Running' }, true],
    [{ state: 'present', deleting: false, phase: 'Succeeded' }, true],
    [{ state: 'present', deleting: false, phase: 'Failed', reason: 'Evicted' }, true],
  ] as [PodObservation, boolean][])('%j: %s', (pod, readable) => {
    expect(agentLogReadable(pod)).toBe(readable);
  });
});

describe('midRunRefresh', () => {
  const start = '2026-01-15T12:00:00Z';
  const t = (s: number) => Date.parse(start) + s * 1000;
  it.each([
    ['5 s after the start', undefined, t(5), { due: false, inMs: 10_000 }],
    ['15 s after the start', undefined, t(15), { due: true, inMs: 15_000 }],
    ['an operator restart 40 s in (no last refresh known)', undefined, t(40), { due: true, inMs: 15_000 }],
    ['3 s after the last refresh', t(30), t(33), { due: false, inMs: 12_000 }],
    ['15 s after the last refresh', t(30), t(45), { due: true, inMs: 15_000 }],
  ])('%s', (_n, last, nowMs, want) => {
    expect(midRunRefresh(last, start, nowMs, 15_000)).toEqual(want);
  });
  it('refreshes at once when the start is unknown', () => {
    expect(midRunRefresh(undefined, undefined, t(1), 15_000)).toEqual({ due: true, inMs: 15_000 });
  });
});

describe('podObservationChanged', () => {
  const pod = (status: Record<string, unknown>, meta: Record<string, unknown> = {}) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'agent-r', namespace: 'ns', resourceVersion: String(Math.random()), ...meta }, status });
  const agentTerminated = (exitCode: number) => ({ name: 'agent', state: { terminated: { exitCode, reason: exitCode === 0 ? 'Completed' : 'Error', message: '{"result":"ok"}' } } });

  it('ignores status updates a run does not read: conditions, IPs, start time, other containers, waiting and running states', () => {
    const a = pod({ phase: 'Pending' });
    const b = pod({ phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'True' }], hostIP: '10.0.0.2' });
    const c = pod({ phase: 'Pending', containerStatuses: [{ name: 'agent', state: { waiting: { reason: 'ContainerCreating' } } }] });
    const d = pod({ phase: 'Running', podIP: '10.42.0.7', startTime: '2026-12-04T10:00:00Z', containerStatuses: [{ name: 'agent', state: { running: {} } }] });
    const e = pod({ phase: 'Running', podIP: '10.42.0.7', conditions: [{ type: 'Ready', status: 'True' }], containerStatuses: [{ name: 'agent', state: { running: {} }, ready: true }, { name: 'sidecar', state: { terminated: { exitCode: 1 } } }] });
    expect(podObservationChanged(a, b)).toBe(false);
    expect(podObservationChanged(b, c)).toBe(false);
    expect(podObservationChanged(d, e)).toBe(false);
  });

  it('counts what a run reads: phase, reason, the agent container ending, deletion', () => {
    const running = pod({ phase: 'Running', containerStatuses: [{ name: 'agent', state: { running: {} } }] });
    expect(podObservationChanged(pod({ phase: 'Pending' }), running)).toBe(true);
    expect(podObservationChanged(running, pod({ phase: 'Running', containerStatuses: [agentTerminated(0)] }))).toBe(true);
    expect(podObservationChanged(pod({ phase: 'Running', containerStatuses: [agentTerminated(0)] }), pod({ phase: 'Running', containerStatuses: [agentTerminated(137)] }))).toBe(true);
    expect(podObservationChanged(running, pod({ phase: 'Failed', reason: 'Evicted' }))).toBe(true);
    expect(podObservationChanged(pod({ phase: 'Failed' }), pod({ phase: 'Failed', reason: 'DeadlineExceeded' }))).toBe(true);
    expect(podObservationChanged(running, pod(running.status, { deletionTimestamp: '2026-12-04T10:05:00Z' }))).toBe(true);
  });

  it('reads the pod as observePod does', () => {
    expect(observePod(undefined)).toEqual({ state: 'absent' });
    expect(observePod(pod({ phase: 'Running', containerStatuses: [agentTerminated(2)] }))).toEqual({ state: 'present', deleting: false, phase: 'Running', reason: undefined, terminated: { exitCode: 2, reason: 'Error', message: '{"result":"ok"}' } });
  });
});
