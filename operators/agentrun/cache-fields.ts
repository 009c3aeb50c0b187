import type { FieldShape } from '../runtime/cache-projection.js';

/** What this controller reads of a cached Namespace: its labels, which choose its lane (lane.ts resolveLane). */
export const NAMESPACE_FIELDS: FieldShape = { metadata: { labels: true } };

/** What this controller reads of a cached LanePolicy: its namespaceSelector (lane.ts resolveLane); the lane watch reads generation (identity). */
export const LANE_FIELDS: FieldShape = { spec: { namespaceSelector: true } };

/**
 * What is read of a cached AgentRun rather than of the reconciled object: the idempotency check
 * over the namespace's runs (idempotency.ts keyHolder: spec.idempotencyKey, creationTimestamp,
 * startTime, phase, the Ready condition) and the lane and namespace watches (pendingRunsIn:
 * startTime, phase). A Flow's controller reads its child runs' metadata and status (the owned
 * role's share, cache-transform.ts OWNED_CHILD_FIELDS). Reconcile reads the whole run from the
 * API server (Controller.cacheFields): the task, system prompt, tools and issue tracker stay out
 * of the cache.
 */
export const AGENTRUN_FIELDS: FieldShape = {
  metadata: { creationTimestamp: true },
  spec: { idempotencyKey: true },
  status: { startTime: true, phase: true, conditions: true },
};
