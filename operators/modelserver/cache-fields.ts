import type { FieldShape } from '../runtime/cache-projection.js';

/**
 * What this controller reads of a cached Node (placement.ts factsOf, the watch's
 * nodeCapacityChanged): labels, spec.unschedulable, allocatable and each condition's type and
 * status. The informer caches nothing else of a Node that no other controller asks for
 * (cache-projection.ts); cache-fields.test.ts shows placement is the same on the cut-down Node.
 */
export const NODE_FIELDS: FieldShape = {
  metadata: { labels: true },
  spec: { unschedulable: true },
  status: { allocatable: true, conditions: [{ type: true, status: true }] },
};
