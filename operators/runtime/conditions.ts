/** metav1.Condition, as used by every AgentLab kind's status.conditions. */
export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  lastTransitionTime: string;
  observedGeneration?: number;
}

/** A condition before the runtime stamps its transition time and generation. */
export type ConditionInput = Omit<Condition, 'lastTransitionTime' | 'observedGeneration'>;

export const READY = 'Ready';
export const RECONCILING = 'Reconciling';
export const STALLED = 'Stalled';

/** kstatus' "abnormal-true" conditions plus Ready: the runtime owns these, controllers set the rest. */
export const RUNTIME_CONDITIONS = [READY, RECONCILING, STALLED] as const;

export function findCondition(conditions: readonly Condition[] | undefined, type: string): Condition | undefined {
  return conditions?.find((c) => c.type === type);
}

/**
 * Returns the condition as it should be stored: lastTransitionTime moves only when the status
 * flips, so an unchanged condition is byte-identical to the stored one and costs no write.
 */
export function stampCondition(previous: Condition | undefined, next: ConditionInput, now: string, generation?: number): Condition {
  const lastTransitionTime = previous && previous.status === next.status ? previous.lastTransitionTime : now;
  const c: Condition = { type: next.type, status: next.status, reason: next.reason, message: next.message, lastTransitionTime };
  if (generation !== undefined) c.observedGeneration = generation;
  return c;
}

/** Validates a reason the way the API server does for metav1.Condition (CamelCase identifier). */
export function isValidReason(reason: string): boolean {
  return /^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$/.test(reason) && reason.length <= 1024;
}
