import { type FieldShape, projectObject } from './cache-projection.js';
import { cacheStrings, internStrings, shareMetadata } from './intern.js';
import type { FinishedShape } from './informer-roles.js';
import type { KubeObject } from './kube.js';

/** kubectl's client-side apply keeps a whole copy of the object here. */
export const LAST_APPLIED_ANNOTATION = 'kubectl.kubernetes.io/last-applied-configuration';

/**
 * Fields no reconcile reads, by kind, dropped on the way into the informer cache (status.images:
 * a kubelet reports up to 50 images per Node, usually the largest part of a Node).
 */
const UNREAD_BY_KIND: Record<string, (obj: KubeObject) => void> = {
  Node: (obj) => {
    if (obj.status && typeof obj.status === 'object' && 'images' in obj.status) {
      const { images: _dropped, ...status } = obj.status as { images?: unknown };
      obj.status = status;
    }
  },
};

/**
 * What every informer does to an object before caching it, like client-go's SetTransform:
 * drops managedFields and kubectl's last-applied-configuration annotation (together often larger
 * than the rest of the object) and the fields UNREAD_BY_KIND names. Returns `obj` (freshly parsed
 * from the API server, owned by the informer) with new objects in place of those it cut down:
 * never `delete`, which turns a V8 object into a hash table several times its size.
 *
 * Code that needs what is dropped reads the object from the API server (the AgentRun controller
 * reads managedFields once when a new approval decision appears, operators/agentrun/controller.ts).
 */
export function stripForCache(obj: KubeObject): KubeObject {
  const m = obj.metadata;
  if (m && (m.managedFields || (m.annotations && LAST_APPLIED_ANNOTATION in m.annotations))) {
    const { managedFields: _fields, annotations, ...meta } = m;
    const kept = annotations && LAST_APPLIED_ANNOTATION in annotations ? withoutLastApplied(annotations) : annotations;
    obj.metadata = kept ? { ...meta, annotations: kept } : meta;
  }
  return stripUnread(obj);
}

/**
 * Annotations without kubectl's copy of the object; undefined when that was the only one (every
 * object `kubectl apply` created without annotations of its own): no empty object is cached.
 */
function withoutLastApplied(annotations: Record<string, string>): Record<string, string> | undefined {
  const { [LAST_APPLIED_ANNOTATION]: _dropped, ...rest } = annotations;
  return Object.keys(rest).length > 0 ? rest : undefined;
}

/** `obj` without the fields UNREAD_BY_KIND names for its kind. */
function stripUnread(obj: KubeObject): KubeObject {
  const kind = obj.kind ? UNREAD_BY_KIND[obj.kind] : undefined;
  kind?.(obj);
  return obj;
}

/**
 * What the cache keeps of a child, and all an owned role reads of its children: identity,
 * ownership, labels, annotations, finalizers and status. Specs (and ConfigMap data) are dropped
 * (controllers compare the applied-hash annotation instead and read child status), and so is
 * creationTimestamp (no owner reads a child's; 40 bytes of heap per child). A kind that is only
 * owned is cached this way (compact); when it is also a primary kind or a scoped watch (a Flow
 * owns AgentRuns and sub-Flows), its informer caches full objects, and this is the owned role's
 * share of the declared fields (informer-roles.ts): the kind is cut down only when the other
 * roles declare theirs too (Controller.cacheFields, WatchSpec.fields).
 */
export const OWNED_CHILD_FIELDS: FieldShape = {
  apiVersion: true, kind: true,
  metadata: {
    name: true, namespace: true, uid: true, resourceVersion: true, generation: true, deletionTimestamp: true,
    labels: true, annotations: true, ownerReferences: true, finalizers: true,
  },
  status: true,
};

/**
 * The transform of an informer of the given shape (informer-roles.ts): children that are only
 * owned are cached compact (OWNED_CHILD_FIELDS); a resource whose every user declared the fields it
 * reads keeps only those (cache-projection.ts); any other keeps everything stripForCache leaves.
 * Then repeated strings are interned (intern.ts). The runtime and the test kit both use it, so a
 * controller's unit tests see the cache as the operator holds it.
 */
export function cacheTransform(shape: { compact: boolean; fields?: FieldShape; finished?: FinishedShape }): (obj: KubeObject) => KubeObject {
  // Projected like any declared shape: a new object built key by key (never `delete`).
  if (shape.compact) return (obj) => shareMetadata(internStrings(projectObject(stripForCache(obj), OWNED_CHILD_FIELDS), cacheStrings));
  const fields = shape.fields;
  // Stripped first: a projection that keeps every annotation must not keep kubectl's copy of the object.
  if (fields) return (obj) => shareMetadata(internStrings(projectObject(stripForCache(obj), fields), cacheStrings));
  const finished = shape.finished;
  if (finished) {
    return (obj) => {
      const stripped = stripForCache(obj);
      if (!finished.is(stripped)) return shareMetadata(internStrings(stripped, cacheStrings));
      const owned = stripped.metadata?.ownerReferences?.some((o) => o.controller === true);
      const cut = shareMetadata(internStrings(projectObject(stripped, owned || !finished.unownedFields ? finished.fields : finished.unownedFields), cacheStrings));
      cutDown.add(cut);
      return cut;
    };
  }
  return (obj) => shareMetadata(internStrings(stripForCache(obj), cacheStrings));
}

/** The objects cached cut down as finished (InformerShape.finished); whole ones are not in it. */
const cutDown = new WeakSet<object>();

/**
 * Whether a cached object of a kind with Controller.finishedCache was cut down as finished: code
 * that reads more of it than the declared fields reads it from the API server instead.
 */
export function isCutDown(obj: KubeObject): boolean {
  return cutDown.has(obj);
}
