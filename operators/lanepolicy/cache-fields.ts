import type { FieldShape } from '../runtime/cache-projection.js';

/**
 * What this controller reads of a cached Namespace: labels (which lanes bind it), status.phase
 * and deletionTimestamp (terminating), uid (owner of a fence policy; identity fields are always cached).
 */
export const NAMESPACE_FIELDS: FieldShape = { metadata: { labels: true }, status: { phase: true } };
