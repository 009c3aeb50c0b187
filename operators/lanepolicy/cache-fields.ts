import type { FieldShape } from '../runtime/cache-projection.js';

/**
 * What this controller reads of a cached Namespace: labels (which lanes bind it), status.phase
 * and deletionTimestamp (terminating), uid (owner of a fence policy; identity fields are always cached).
 */
export const NAMESPACE_FIELDS: FieldShape = { metadata: { labels: true }, status: { phase: true } };

/**
 * What this controller reads of a cached LanePolicy rather than of the reconciled one: every lane's
 * namespaceSelector (bindings and conflicts) and the ModelServers its providers name (the
 * ModelServer watch); uid and name are identity. Reconcile reads the whole lane from the API server
 * (Controller.cacheFields): providers, budgets and egress rules stay out of the cache.
 */
export const LANEPOLICY_FIELDS: FieldShape = { spec: { namespaceSelector: true, providers: [{ modelServerRef: true }] } };
