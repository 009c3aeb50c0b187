import { type Condition, READY, findCondition } from './conditions.js';
import type { EventType } from './events.js';
import type { Outcome } from './outcome.js';

export interface TransitionEvent { type: EventType; reason: string; message: string }

/**
 * The Event a reconcile's Ready transition is worth, if any. Events report results (became
 * ready, stopped, failed, stalled), not progress: a progressing outcome records nothing, and a
 * Ready=True condition that stays True with the same reason records nothing when only its
 * message changes (a second model server joining a lane that already serves is detail for the
 * condition, not a new result). A failure whose message changes is a new failure and is recorded.
 */
export function transitionEvent(prev: Condition[] | undefined, next: Condition[], outcome: Outcome): TransitionEvent | undefined {
  const a = findCondition(prev, READY);
  const b = findCondition(next, READY);
  if (!b) return undefined;
  if (a && a.status === b.status && a.reason === b.reason && (a.message === b.message || b.status === 'True')) return undefined;
  if (outcome.kind === 'progressing') return undefined;
  const type: EventType = outcome.kind === 'failed' || outcome.kind === 'stalled' ? 'Warning' : 'Normal';
  return { type, reason: b.reason, message: b.message };
}
