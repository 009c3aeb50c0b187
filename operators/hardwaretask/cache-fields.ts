import type { FieldShape } from '../runtime/cache-projection.js';
import { SIM_HARDWARE_ANNOTATION } from './analysis.js';

/** What this controller reads of a cached Node: the facts of an analysis step (analysis.ts nodeFacts). */
export const NODE_FIELDS: FieldShape = {
  metadata: { labels: true, annotations: { [SIM_HARDWARE_ANNOTATION]: true } },
  status: { capacity: true, allocatable: true },
};

/** What this controller reads of a cached Namespace: its labels (Pod Security level, step-pod.ts hostAccessRefusal). */
export const NAMESPACE_FIELDS: FieldShape = { metadata: { labels: true } };

/**
 * What is read of a cached HardwareTask rather than of the reconciled object: its namespace and
 * name (tasksIn, the Namespace watch), identity fields that are always cached. Reconcile reads
 * the whole task from the API server (Controller.cacheFields): a task's steps (instructions,
 * prompts, manifests) are its largest part, 4.8 KB of heap per cached task.
 */
export const HARDWARETASK_FIELDS: FieldShape = {};
