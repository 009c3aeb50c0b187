import type { FieldShape } from '../runtime/cache-projection.js';

/** What this controller reads of a cached Namespace: its labels, which choose its lane (lane.ts resolveLane). */
export const NAMESPACE_FIELDS: FieldShape = { metadata: { labels: true } };

/**
 * What this controller reads of a cached LanePolicy: its namespaceSelector, which binds a run's
 * namespace (lane.ts laneBinding); the lane it is bound to is read from the API server as the run
 * starts (laneService). The lane watch reads generation (identity).
 */
export const LANE_FIELDS: FieldShape = { spec: { namespaceSelector: true } };
