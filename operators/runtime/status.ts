import { type Condition, type ConditionInput, READY, RECONCILING, RUNTIME_CONDITIONS, STALLED, findCondition, stampCondition } from './conditions.js';
import type { Outcome } from './outcome.js';

export interface StatusWithConditions {
  conditions?: Condition[];
  observedGeneration?: number;
  [field: string]: unknown;
}

export interface FinalizeInput {
  /** Status as stored now (from the cache). */
  previous: StatusWithConditions | undefined;
  /** The controller's kind-specific status fields (without conditions / observedGeneration). */
  fields: Record<string, unknown>;
  /** The controller's own conditions (e.g. Scheduled, ModelsReady), in display order. */
  conditions: ConditionInput[];
  outcome: Outcome;
  generation: number | undefined;
  now: string;
}

/**
 * Computes the next status in one place, as Flux's summarize helper does:
 * - ready: Ready=True, Reconciling and Stalled removed, observedGeneration = generation;
 * - progressing: Reconciling=True, Ready=Unknown;
 * - failed (transient): Ready=False with the failure's reason, Reconciling=True (retrying);
 * - stalled (terminal): Stalled=True, Ready=False, Reconciling removed, observedGeneration set
 *   because the controller has finished looking at this generation.
 */
export function finalizeStatus(input: FinalizeInput): StatusWithConditions {
  const { previous, outcome, generation, now } = input;
  const prev = previous?.conditions ?? [];
  const wanted: ConditionInput[] = [];
  const { reason, message } = outcome;
  switch (outcome.kind) {
    case 'ready':
      wanted.push({ type: READY, status: 'True', reason, message });
      break;
    case 'progressing':
      wanted.push({ type: READY, status: 'Unknown', reason, message });
      wanted.push({ type: RECONCILING, status: 'True', reason, message });
      break;
    case 'failed':
      wanted.push({ type: READY, status: 'False', reason, message });
      wanted.push({ type: RECONCILING, status: 'True', reason: 'ProgressingWithRetry', message });
      break;
    case 'stalled':
      wanted.push({ type: READY, status: 'False', reason, message });
      wanted.push({ type: STALLED, status: 'True', reason, message });
      break;
  }
  for (const c of input.conditions) {
    if ((RUNTIME_CONDITIONS as readonly string[]).includes(c.type)) {
      throw new Error(`condition ${c.type} is owned by the runtime; return an Outcome instead`);
    }
    wanted.push(c);
  }
  const conditions = wanted.map((c) => stampCondition(findCondition(prev, c.type), c, now, generation));
  const done = outcome.kind === 'ready' || outcome.kind === 'stalled';
  const observedGeneration = done ? generation : previous?.observedGeneration;
  const next: StatusWithConditions = { ...input.fields, conditions };
  if (observedGeneration !== undefined) next.observedGeneration = observedGeneration;
  return next;
}

/** Deep structural equality for JSON values (key order ignored). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((v, i) => jsonEqual(v, bb[i]));
  }
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  const ak = Object.keys(ao).filter((k) => ao[k] !== undefined);
  const bk = Object.keys(bo).filter((k) => bo[k] !== undefined);
  return ak.length === bk.length && ak.every((k) => jsonEqual(ao[k], bo[k]));
}

/** True when writing `next` would change what is stored. */
export function statusChanged(previous: unknown, next: unknown): boolean {
  return !jsonEqual(previous ?? {}, next ?? {});
}

/** Text for the Status printer column: the Ready condition's message, else its reason. */
export function readyMessage(status: StatusWithConditions | undefined): string {
  const ready = findCondition(status?.conditions, READY);
  return ready ? ready.message || ready.reason : '';
}
