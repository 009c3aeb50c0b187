/** Pure rules of the write path: what counts as a change, a spec change, an elapsed grace period. */
import type { ResourceInfo } from './registry.js';
import { isRecord, jsonEqual, type KObject } from './types.js';

/** Go omits empty slices and maps in ObjectMeta (omitempty), so a write of [] or {} reads back as absent. */
export function dropEmptyMeta(o: KObject): void {
  const m = o.metadata;
  if (!m) return;
  for (const k of ['finalizers', 'ownerReferences', 'managedFields'] as const) if (Array.isArray(m[k]) && m[k]!.length === 0) delete m[k];
  for (const k of ['labels', 'annotations'] as const) if (isRecord(m[k]) && Object.keys(m[k]!).length === 0) delete m[k];
  for (const k of Object.keys(m) as (keyof typeof m)[]) if (m[k] === null) delete m[k];
}

/** A Namespace's spec.finalizers (`kubernetes` until the namespace controller has emptied it). */
export function specFinalizers(ns: KObject): unknown[] {
  return isRecord(ns.spec) && Array.isArray(ns.spec.finalizers) ? ns.spec.finalizers : [];
}

/** The object as the no-op check compares it: managedFields without their timestamps, no resourceVersion. */
export function withoutManagedTimes(o: KObject): KObject {
  const managedFields = o.metadata?.managedFields?.map((e) => (isRecord(e) ? { ...e, time: undefined } : e));
  return { ...o, metadata: { ...o.metadata, managedFields, resourceVersion: undefined } };
}

/** Generation tracks everything but metadata (and status, where status is a subresource). */
export function specChanged(r: ResourceInfo, before: KObject, after: KObject): boolean {
  const strip = (o: KObject): Record<string, unknown> => {
    const { metadata: _m, status, apiVersion: _a, kind: _k, ...rest } = o;
    return r.status ? rest : { ...rest, status };
  };
  return !jsonEqual(strip(before), strip(after));
}

/** Whether a deleting object's grace period is over, so removing its last finalizer removes it. */
export function graceElapsed(o: KObject, now = Date.now()): boolean {
  const g = o.metadata?.deletionGracePeriodSeconds ?? 0;
  if (g === 0) return true;
  return Date.parse(o.metadata?.deletionTimestamp ?? '') <= now;
}
