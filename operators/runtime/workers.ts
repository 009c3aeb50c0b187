import type { Controller } from './controller.js';

/** Workers of a controller that sets none (controller-runtime's MaxConcurrentReconciles defaults to 1; ours to 4). */
export const DEFAULT_WORKERS = 4;

/**
 * A controller's workers: the operator's setting for it (`agentlab run --controller-workers
 * agentrun=32`), else the controller's own maxConcurrentReconciles, else DEFAULT_WORKERS.
 */
export function workerCount(c: Pick<Controller, 'name' | 'maxConcurrentReconciles'>, setting?: Record<string, number>): number {
  return setting?.[c.name] ?? c.maxConcurrentReconciles ?? DEFAULT_WORKERS;
}
