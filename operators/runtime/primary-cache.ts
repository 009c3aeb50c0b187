import { type FieldShape, mergeShapes } from './cache-projection.js';
import { stripForCache } from './cache-transform.js';
import type { Controller } from './controller.js';
import { type KubeClient, type KubeObject, type ResourceRef, isNotFound, splitKey } from './kube.js';
import { STATUS_METRIC_FIELDS } from './status-metrics.js';

/**
 * What the runtime itself reads of a cached primary object: the metadata primaryChanged compares
 * (runtime.ts) and the status the status metrics report (status-metrics.ts).
 */
export const RUNTIME_PRIMARY_FIELDS: FieldShape = mergeShapes(
  { metadata: { labels: true, annotations: true, finalizers: true } },
  STATUS_METRIC_FIELDS,
);

/**
 * The fields the informer of a controller's own kind caches for it: undefined (whole objects)
 * unless the controller declares `cacheFields`; then those, with what the runtime reads.
 */
export function primaryCacheFields(c: Pick<Controller, 'cacheFields'>): FieldShape | undefined {
  return c.cacheFields === undefined ? undefined : mergeShapes(RUNTIME_PRIMARY_FIELDS, c.cacheFields);
}

/**
 * What the primary role reads of a finished object of the controller's kind
 * (Controller.finishedCache, with what the runtime reads), or undefined when it declares none or
 * caches every object cut down (`cacheFields`).
 */
export function primaryFinishedReads(c: Pick<Controller, 'cacheFields' | 'finishedCache'>): { is(obj: KubeObject): boolean; reads: FieldShape } | undefined {
  if (c.cacheFields !== undefined || !c.finishedCache) return undefined;
  return { is: c.finishedCache.is, reads: mergeShapes(RUNTIME_PRIMARY_FIELDS, c.finishedCache.fields) };
}

/**
 * The object `key` of `resource` as the API server has it now, cut as the informers cut every
 * object (stripForCache: no managedFields, no kubectl last-applied annotation), or undefined when
 * it no longer exists. What a controller whose kind is cached cut down reconciles
 * (controller-runtime's metadata-only watch with a live read in Reconcile).
 */
export async function readPrimary<T extends KubeObject>(client: KubeClient, resource: ResourceRef, key: string): Promise<T | undefined> {
  const { namespace, name } = splitKey(key);
  try {
    return stripForCache(await client.get<T>(resource, namespace, name)) as T;
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}
