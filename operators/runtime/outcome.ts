import { isConflict } from './kube.js';

/**
 * What a reconcile concluded. The runtime turns it into the Ready / Reconciling / Stalled
 * conditions, observedGeneration, an Event, metrics and a requeue decision, in one place.
 */
export type Outcome =
  /** Desired state reached. `reason` becomes Ready's reason (e.g. Succeeded, Stopped). */
  | { kind: 'ready'; reason: string; message: string }
  /**
   * Work is under way, or the object waits for something expected to happen by itself (a
   * dependency not ready yet); the next event or requeue continues it. Waiting is not a failure:
   * no error metric, no Warning event, logged at debug.
   */
  | { kind: 'progressing'; reason: string; message: string }
  /** Cannot progress without a change by a person (spec, or the cluster); not retried on a timer. */
  | { kind: 'stalled'; reason: string; message: string }
  /** A transient failure; the key is retried with backoff. */
  | { kind: 'failed'; reason: string; message: string };

export interface ReconcileResult {
  outcome: Outcome;
  /** Reconcile again after this many ms even if nothing changes (e.g. poll a pull). */
  requeueAfterMs?: number;
}

/** A spec error: the object is marked Stalled and is not retried until its generation changes. */
export class TerminalError extends Error {
  constructor(readonly reason: string, message: string) {
    super(message);
    this.name = 'TerminalError';
  }
}

/** A failure worth retrying, with a reason for the Ready condition (default: ReconcileFailed). */
export class TransientError extends Error {
  constructor(readonly reason: string, message: string, readonly retryAfterMs?: number) {
    super(message);
    this.name = 'TransientError';
  }
}

/** What the runtime makes of an error a reconcile threw. */
export interface ErrorResult extends ReconcileResult {
  /** Neither a TerminalError nor a TransientError: a bug or an unforeseen failure, logged at error level with its stack. */
  unexpected: boolean;
}

/**
 * Maps anything a reconcile threw onto the taxonomy: TerminalError is stalled (not retried until
 * the spec changes or a resync), TransientError is failed with its reason and retried after its
 * `retryAfterMs` if given (else with per-key backoff), anything else is failed with reason
 * ReconcileFailed and marked unexpected. A 409 Conflict (a write based on a stale cache, e.g. the
 * finalizer patch) is ordinary: failed with reason Conflict, retried, not unexpected.
 */
export function resultForError(err: unknown): ErrorResult {
  if (err instanceof TerminalError) return { outcome: { kind: 'stalled', reason: err.reason, message: err.message }, unexpected: false };
  if (err instanceof TransientError) {
    const result: ErrorResult = { outcome: { kind: 'failed', reason: err.reason, message: err.message }, unexpected: false };
    if (err.retryAfterMs !== undefined) result.requeueAfterMs = err.retryAfterMs;
    return result;
  }
  const message = err instanceof Error ? err.message : String(err);
  if (isConflict(err)) return { outcome: { kind: 'failed', reason: 'Conflict', message }, unexpected: false };
  return { outcome: { kind: 'failed', reason: 'ReconcileFailed', message }, unexpected: true };
}
