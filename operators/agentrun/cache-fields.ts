import type { FieldShape } from '../runtime/cache-projection.js';

/** What this controller reads of a cached Namespace: its labels, which choose its lane (lane.ts resolveLane). */
export const NAMESPACE_FIELDS: FieldShape = { metadata: { labels: true } };

/**
 * What this controller reads of a cached LanePolicy: its namespaceSelector, which binds a run's
 * namespace (lane.ts laneBinding); the lane it is bound to is read from the API server as the run
 * starts (laneService). The lane watch reads generation (identity).
 */
export const LANE_FIELDS: FieldShape = { spec: { namespaceSelector: true } };

/**
 * What this controller reads of a cached run that has finished (phase.ts isFinished), beyond
 * identity and what the runtime reads (status phase, conditions, usage): what idempotency's
 * keyHolder reads of the namespace's other runs (spec.idempotencyKey, creationTimestamp,
 * startTime; a finished run still holds its key) and pendingRunsIn (startTime). A finished run is
 * cached cut down to these (Controller.finishedCache) and reconciled as the API server has it; a
 * run that has not finished stays whole, so an active run costs no extra read.
 */
export const FINISHED_RUN_FIELDS: FieldShape = {
  metadata: { creationTimestamp: true },
  spec: { idempotencyKey: true },
  status: { startTime: true },
};
