import type { ConditionInput } from '../runtime/conditions.js';
import type { Outcome } from '../runtime/outcome.js';
import { type ModelPlan, type PullState, pullFailing, pullFailureAdvice } from './models.js';

export const MODELS_READY = 'ModelsReady';
export const SCHEDULED = 'Scheduled';

export interface ModelsVerdict {
  condition: ConditionInput;
  /** Undefined when every model is present (the caller continues with warm-up). */
  outcome?: Outcome;
  requeueAfterMs?: number;
}

/** How often a failed pull whose retry is under way is looked at if no notification comes. */
const RETRY_RUNNING_RECHECK_MS = 30_000;

/**
 * Decides ModelsReady and the reconcile outcome from the model plan and the pulls in flight:
 * a digest that still mismatches after a pull is Stalled (a person must change the pin or the
 * tag); a failed pull is a transient failure retried at the pull's backoff; a running pull is
 * progress.
 *
 * The failure message names the model, the error and what to do, and stays the same from one
 * attempt to the next (attempt counts and retry times are in status.models[]): the Warning
 * event that goes with it is recorded once, not once per attempt.
 */
export function modelsVerdict(plan: ModelPlan, pull: (name: string) => PullState | undefined, now: number): ModelsVerdict {
  const total = plan.ready.length + plan.missing.length + plan.mismatched.length;
  const mismatch = plan.mismatched.filter((m) => { const s = pull(m.name); return s && !s.running && !s.lastError; });
  if (mismatch.length) {
    const message = mismatch.map((m) => `${m.name} has digest ${short(m.present)} but spec pins ${short(m.pinned)}`).join('; ')
      + '; the tag now points elsewhere: update models[].digest or use a tag that resolves to the pinned digest';
    return { condition: { type: MODELS_READY, status: 'False', reason: 'DigestMismatch', message }, outcome: { kind: 'stalled', reason: 'DigestMismatch', message } };
  }
  const pending = [...plan.missing, ...plan.mismatched.map((m) => m.name)];
  const failed = pending.flatMap((n) => { const s = pull(n); return pullFailing(s) ? [{ n, s }] : []; });
  if (failed.length) {
    const message = failed.map(({ n, s }) => {
      const advice = pullFailureAdvice(n, plan.index[n], s.lastError);
      return `pull of ${n} failed: ${s.lastError}${advice ? `; ${advice}` : ''}`;
    }).join('; ') + '; retrying with backoff';
    // Reconcile when the earliest waiting retry is due (ensure starts it then); a retry already
    // running notifies when it ends, so only a slow safety net is needed for it.
    const waiting = failed.filter(({ s }) => !s.running).map(({ s }) => s.nextAttemptAt ?? now);
    const requeueAfterMs = waiting.length ? Math.max(Math.min(...waiting) - now, 100) : RETRY_RUNNING_RECHECK_MS;
    return {
      condition: { type: MODELS_READY, status: 'False', reason: 'PullFailed', message },
      outcome: { kind: 'failed', reason: 'PullFailed', message },
      requeueAfterMs,
    };
  }
  if (pending.length) {
    const parts = pending.map((n) => { const s = pull(n); return s?.running ? `${n} ${s.percent ?? 0}%` : n; });
    const message = `pulling ${parts.join(', ')} (${plan.ready.length}/${total} present)`;
    return {
      condition: { type: MODELS_READY, status: 'False', reason: 'Pulling', message },
      outcome: { kind: 'progressing', reason: 'Pulling', message },
      // Progress notifications requeue sooner; this is the safety net if a stream stalls silently.
      requeueAfterMs: 30_000,
    };
  }
  return { condition: { type: MODELS_READY, status: 'True', reason: 'ModelsPresent', message: `${total}/${total} models present` } };
}

const short = (d: string): string => d.replace(/^sha256:/, '').slice(0, 12);

/**
 * How long after its Deployment became available a server that does not answer is still taken to
 * be starting: a Service gets the ready pod as an endpoint only after the EndpointSlice controller
 * has seen it (until then the API server's service proxy answers 503 and cluster DNS leads nowhere),
 * which on a loaded cluster takes seconds. Past it, not answering is a failure (ServerUnreachable).
 */
export const SERVER_START_GRACE_MS = 30_000;

/** Milliseconds since the Deployment's Available condition turned True, or undefined when it is not True (or has no time). */
export function availableForMs(dep: { status?: { conditions?: { type: string; status: string; lastTransitionTime?: string }[] } } | undefined, nowMs: number): number | undefined {
  const c = dep?.status?.conditions?.find((x) => x.type === 'Available');
  if (c?.status !== 'True' || !c.lastTransitionTime) return undefined;
  const t = Date.parse(c.lastTransitionTime);
  return Number.isNaN(t) ? undefined : Math.max(0, nowMs - t);
}

/** Whether a Deployment has rolled out its current generation with at least one available pod. */
export function deploymentAvailable(dep: { metadata?: { generation?: number }; spec?: { replicas?: number }; status?: Record<string, number | undefined> } | undefined): { available: boolean; ready: number; replicas: number; message: string } {
  const want = dep?.spec?.replicas ?? 1;
  const st = dep?.status ?? {};
  const ready = st.readyReplicas ?? 0;
  const replicas = st.replicas ?? 0;
  const rolled = (st.observedGeneration ?? 0) >= (dep?.metadata?.generation ?? 1) && (st.updatedReplicas ?? 0) >= want;
  const available = rolled && (st.availableReplicas ?? 0) >= 1;
  const message = rolled ? `${ready}/${want} pods ready` : `rolling out (${st.updatedReplicas ?? 0}/${want} updated)`;
  return { available, ready, replicas, message };
}
