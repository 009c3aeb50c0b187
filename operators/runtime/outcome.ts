/**
 * What a reconcile concluded. The runtime turns it into the Ready / Reconciling / Stalled
 * conditions, observedGeneration, an Event, metrics and a requeue decision, in one place.
 */
export type Outcome =
  /** Desired state reached. `reason` becomes Ready's reason (e.g. Succeeded, Stopped). */
  | { kind: 'ready'; reason: string; message: string }
  /** Work is under way and the next event or requeue will continue it. */
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

/** Maps anything a reconcile threw onto the taxonomy: terminal, or transient with a reason. */
export function outcomeForError(err: unknown): Outcome {
  if (err instanceof TerminalError) return { kind: 'stalled', reason: err.reason, message: err.message };
  if (err instanceof TransientError) return { kind: 'failed', reason: err.reason, message: err.message };
  const message = err instanceof Error ? err.message : String(err);
  return { kind: 'failed', reason: 'ReconcileFailed', message };
}
