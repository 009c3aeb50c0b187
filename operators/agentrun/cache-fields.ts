import type { FieldShape } from '../runtime/cache-projection.js';

/** What this controller reads of a cached Namespace: its labels, which choose its lane (lane.ts resolveLane). */
export const NAMESPACE_FIELDS: FieldShape = { metadata: { labels: true } };
