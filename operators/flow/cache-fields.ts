import type { FieldShape } from '../runtime/cache-projection.js';

/**
 * What is read of a cached Flow rather than of the reconciled one: only children's (sub-flows and
 * scheduled runs, found by controller ownerReference): their ownerReferences, the scheduled-time
 * annotation and status (schedule.ts scheduledRuns, subflow-node.ts, usage). A flow node's
 * template is read from the API server when the node starts. Reconcile reads the whole flow from
 * the API server (Controller.cacheFields): the nodes, prompts and params stay out of the cache.
 */
export const FLOW_FIELDS: FieldShape = {
  metadata: { ownerReferences: true, annotations: true },
  status: true,
};
