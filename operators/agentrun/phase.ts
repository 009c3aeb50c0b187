import type { RunLimits } from './spec.js';
import type { TerminationReport } from './runner-output.js';
import type { KubeObject } from '../runtime/kube.js';

export type Phase = 'Pending' | 'AwaitingApproval' | 'Running' | 'Succeeded' | 'Failed' | 'Cancelled';

/** A finished run is never started again: its phase is final. */
export const isFinished = (phase: string | undefined): boolean => phase === 'Succeeded' || phase === 'Failed' || phase === 'Cancelled';

/** How a run ended: the phase and the Ready condition's reason and message. */
export interface Ending { phase: 'Succeeded' | 'Failed' | 'Cancelled'; reason: string; message: string }

/** What the controller observed of the agent pod (from the cache, or a live read when the cache has none). */
export type PodObservation =
  | { state: 'absent' }
  | {
    state: 'present';
    deleting: boolean;
    phase?: string;
    /** status.reason: DeadlineExceeded (activeDeadlineSeconds), Evicted, ... */
    reason?: string;
    /** The agent container's terminated state, once it ended. */
    terminated?: { exitCode: number; reason?: string; message?: string };
  };

/** The fields of the agent pod a run reads (observePod). */
export type PodObj = KubeObject & { status?: { phase?: string; reason?: string; containerStatuses?: { name: string; state?: { terminated?: { exitCode: number; reason?: string; message?: string } } }[] } };

/** What a run reads of its agent pod: present or not, deleting, phase, reason, the agent container's end. Pure. */
export function observePod(pod: PodObj | undefined): PodObservation {
  if (!pod) return { state: 'absent' };
  const terminated = pod.status?.containerStatuses?.find((c) => c.name === 'agent')?.state?.terminated;
  return { state: 'present', deleting: Boolean(pod.metadata?.deletionTimestamp), phase: pod.status?.phase, reason: pod.status?.reason, ...(terminated ? { terminated } : {}) };
}

/**
 * Whether an update of the agent pod can change what its run does: only what observePod reads.
 * A pod's status changes several more times while it runs (conditions, IPs, container states the
 * run does not read); each of those used to cost the run a reconcile. Pure.
 */
export function podObservationChanged(oldPod: KubeObject, newPod: KubeObject): boolean {
  return JSON.stringify(observePod(oldPod as PodObj)) !== JSON.stringify(observePod(newPod as PodObj));
}

/**
 * Whether the agent container can have a log to read: not while the pod is Pending or has no
 * status yet (its one container has not started; restartPolicy Never, so it never goes back).
 */
export const agentLogReadable = (pod: PodObservation): boolean => pod.state === 'present' && pod.phase !== undefined && pod.phase !== 'Pending';

/**
 * Whether a running run's transcript and counts are read into its status now, and if not, in how
 * long: every `everyMs` from the run's start (`lastMs`: the last refresh, unknown after an operator
 * restart, then counted from `startTime`). A pod change or a router flush in between only checks
 * the run's limits, so a run's status is written at most once per period while it runs, and a run
 * shorter than one period is written once, when it ends (its pod's end is read at once).
 */
export function midRunRefresh(lastMs: number | undefined, startTime: string | undefined, nowMs: number, everyMs: number): { due: boolean; inMs: number } {
  const from = lastMs ?? (startTime ? Date.parse(startTime) : Number.NaN);
  if (!Number.isFinite(from)) return { due: true, inMs: everyMs };
  const inMs = from + everyMs - nowMs;
  return inMs <= 0 ? { due: true, inMs: everyMs } : { due: false, inMs };
}

/** Extra wall-clock allowed past limits.timeout before the controller stops a pod itself (the runner and activeDeadlineSeconds come first). */
export const TIMEOUT_GRACE_SECONDS = 30;

const LIMIT_FIELD: Partial<Record<string, (l: RunLimits) => string>> = {
  MaxTurns: (l) => `spec.limits.maxTurns (${l.maxTurns})`,
  MaxTokens: (l) => `spec.limits.maxTokens (${l.maxTokens})`,
  Timeout: (l) => `spec.limits.timeout (${l.timeout})`,
};

/**
 * Whether a running run must be stopped by the controller: cancelled, over its token limit as
 * the router counted it (the runner may lie or be stuck), or past its timeout. Undefined: let it run.
 */
export function stopVerdict(input: { cancel: boolean; limits: RunLimits; routerTokens?: number; startTime?: string; now: Date }): Ending | undefined {
  const { limits } = input;
  if (input.cancel) return { phase: 'Cancelled', reason: 'Cancelled', message: 'cancelled by spec.cancel: the agent pod was stopped (SIGTERM) and the transcript so far is kept' };
  if (input.routerTokens !== undefined && input.routerTokens > limits.maxTokens) {
    return { phase: 'Failed', reason: 'MaxTokens', message: `limit ${LIMIT_FIELD.MaxTokens!(limits)} exceeded: the lane router counted ${input.routerTokens} tokens` };
  }
  const started = input.startTime ? Date.parse(input.startTime) : NaN;
  if (Number.isFinite(started) && input.now.getTime() - started > (limits.timeoutSeconds + TIMEOUT_GRACE_SECONDS) * 1000) {
    return { phase: 'Failed', reason: 'Timeout', message: `limit ${LIMIT_FIELD.Timeout!(limits)} reached: the agent pod was stopped` };
  }
  return undefined;
}

const INTERRUPTED = 'runs are not resumed: create a new AgentRun to try again';

/**
 * How a run ended, from its pod once the agent container stopped or the pod is gone, and the
 * runner's termination message. Undefined while the pod still runs (or is still terminating).
 */
export function podEnding(input: { pod: PodObservation; termination?: TerminationReport; limits: RunLimits; cancel: boolean; podName: string }): Ending | undefined {
  const { pod, termination: t, limits } = input;
  if (pod.state === 'absent') {
    if (input.cancel) return { phase: 'Cancelled', reason: 'Cancelled', message: 'cancelled by spec.cancel' };
    return { phase: 'Failed', reason: 'RunnerInterrupted', message: `pod ${input.podName} disappeared (deleted or evicted) before the runner finished; ${INTERRUPTED}` };
  }
  const ended = pod.terminated !== undefined || pod.phase === 'Succeeded' || pod.phase === 'Failed';
  if (!ended) return undefined;
  if (pod.reason === 'DeadlineExceeded') return { phase: 'Failed', reason: 'Timeout', message: `limit ${LIMIT_FIELD.Timeout!(limits)} reached: the pod's activeDeadlineSeconds stopped the agent` };
  if (t?.outcome === 'Succeeded') return { phase: 'Succeeded', reason: 'Succeeded', message: t.turns !== undefined ? `the agent finished in ${t.turns} turn${t.turns === 1 ? '' : 's'}` : 'the agent finished' };
  if (input.cancel) return { phase: 'Cancelled', reason: 'Cancelled', message: 'cancelled by spec.cancel' };
  if (pod.reason === 'Evicted') return { phase: 'Failed', reason: 'RunnerInterrupted', message: `pod ${input.podName} was evicted; ${INTERRUPTED}` };
  if (t?.outcome === 'LimitExceeded') {
    const field = LIMIT_FIELD[t.reason];
    return { phase: 'Failed', reason: field ? t.reason : 'LimitExceeded', message: `limit ${field ? field(limits) : t.reason} reached${t.message ? `: ${t.message}` : ''}` };
  }
  if (t?.outcome === 'Failed') {
    if (t.reason === 'Cancelled') return { phase: 'Failed', reason: 'RunnerInterrupted', message: `the runner was stopped (SIGTERM) before it finished, without spec.cancel (pod deleted or node drained); ${INTERRUPTED}` };
    return { phase: 'Failed', reason: t.reason, message: t.message || `the runner failed (${t.reason})` };
  }
  const code = pod.terminated?.exitCode;
  if (code === 137 || code === 143) return { phase: 'Failed', reason: 'RunnerInterrupted', message: `the agent container was killed (exit code ${code}${pod.terminated?.reason ? `, ${pod.terminated.reason}` : ''}) before it reported; ${INTERRUPTED}` };
  return { phase: 'Failed', reason: 'RunnerError', message: `the agent container exited with code ${code ?? 'unknown'}${pod.terminated?.reason ? ` (${pod.terminated.reason})` : ''} without the runner's termination message` };
}
