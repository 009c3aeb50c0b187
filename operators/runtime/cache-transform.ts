import type { KubeObject } from './kube.js';

/** kubectl's client-side apply keeps a whole copy of the object here. */
export const LAST_APPLIED_ANNOTATION = 'kubectl.kubernetes.io/last-applied-configuration';

/**
 * Fields no reconcile reads, by kind, dropped on the way into the informer cache (status.images:
 * a kubelet reports up to 50 images per Node, usually the largest part of a Node).
 */
const UNREAD_BY_KIND: Record<string, (obj: KubeObject) => void> = {
  Node: (obj) => { if (obj.status && typeof obj.status === 'object') delete (obj.status as { images?: unknown }).images; },
};

/**
 * What every informer does to an object before caching it, like client-go's SetTransform:
 * drops managedFields and kubectl's last-applied-configuration annotation (together often larger
 * than the rest of the object) and the fields UNREAD_BY_KIND names. Mutates and returns `obj`
 * (freshly parsed from the API server, owned by the informer).
 *
 * Code that needs what is dropped reads the object from the API server (the AgentRun controller
 * reads managedFields once when a new approval decision appears, operators/agentrun/controller.ts).
 */
export function stripForCache(obj: KubeObject): KubeObject {
  const m = obj.metadata;
  if (m) {
    if (m.managedFields) delete m.managedFields;
    if (m.annotations && LAST_APPLIED_ANNOTATION in m.annotations) {
      const { [LAST_APPLIED_ANNOTATION]: _dropped, ...rest } = m.annotations;
      m.annotations = rest;
    }
  }
  const kind = obj.kind ? UNREAD_BY_KIND[obj.kind] : undefined;
  kind?.(obj);
  return obj;
}
