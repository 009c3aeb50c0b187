import type { Logger } from 'pino';
import type { FieldShape } from './cache-projection.js';
import type { ConditionInput } from './conditions.js';
import type { EventType } from './events.js';
import type { KubeClient, KubeObject, ResourceRef } from './kube.js';
import type { ReconcileResult } from './outcome.js';

/** Read access to the informer caches (objects are shared: never mutate them). */
export interface CacheReader {
  get<T extends KubeObject = KubeObject>(resource: ResourceRef, namespace: string | undefined, name: string): T | undefined;
  list<T extends KubeObject = KubeObject>(resource: ResourceRef, namespace?: string): T[];
  /**
   * The cached objects a declared index (Controller.indexes) files under `value`. Read it through
   * cache-index.ts `byIndex`, which answers the same from a reader without indexes.
   */
  byIndex?<T extends KubeObject = KubeObject>(index: CacheIndex, value: string): T[];
}

/**
 * A secondary index of a cached kind (client-go's Indexer), for a controller that would otherwise
 * scan every object of the kind on each reconcile or event. Declared in Controller.indexes; the
 * runtime keeps it up to date as the informer stores and removes objects.
 */
export interface CacheIndex {
  resource: ResourceRef;
  /** The values an object is filed under (none: not in the index); reads only cached fields. Pure. */
  values(obj: KubeObject): string[];
}

/** Requeues objects of a controller's kind when an object of another kind changes. */
export interface WatchSpec {
  resource: ResourceRef;
  /** Keys (namespace/name) of the controller's objects to reconcile for this change (`old`: on updates). */
  map(obj: KubeObject, cache: CacheReader, old?: KubeObject): string[];
  /** Filters updates; default: any change of resourceVersion. */
  predicate?(oldObj: KubeObject, newObj: KubeObject): boolean;
  /** Watch every namespace/object of this resource even when the operator is restricted. */
  unrestricted?: boolean;
  /**
   * Every field this controller reads of this resource's cached objects (map, predicate,
   * reconcile), beyond identity (cache-projection.ts IDENTITY_FIELDS). When every controller that
   * uses the resource declares its fields, the cache keeps only their union (client-go's
   * SetTransform, controller-runtime's metadata-only watch). Undefined: whole objects. A field
   * read but not declared is missing from the cache: the test kit caches the same way.
   */
  fields?: FieldShape;
}

/** What a controller gets once when it starts: for background work that must requeue keys. */
export interface ControllerHandle {
  client: KubeClient;
  cache: CacheReader;
  log: Logger;
  /** Queues a key of this controller's kind (after `afterMs` if given). */
  enqueue(key: string, afterMs?: number): void;
}

export interface ReconcileContext<T extends KubeObject = KubeObject> {
  /**
   * A private deep copy of the cached object, or, for a controller that declares `cacheFields` and
   * for an object cached cut down as finished (`finishedCache`), the object as the API server has
   * it now (read for this reconcile); mutate freely.
   */
  object: T;
  key: string;
  log: Logger;
  client: KubeClient;
  cache: CacheReader;
  /**
   * Server-side applies a child with this controller's field manager, a controller owner
   * reference and the managed-by label; skipped when the cached child already matches.
   */
  apply<C extends KubeObject>(resource: ResourceRef, child: C): Promise<C>;
  /** Deletes a child (ignores NotFound). */
  deleteChild(resource: ResourceRef, namespace: string | undefined, name: string): Promise<void>;
  /** Sets the kind-specific status fields (everything but conditions and observedGeneration). */
  setStatus(fields: Record<string, unknown>): void;
  /** Sets one of the controller's own conditions; Ready/Reconciling/Stalled come from the Outcome. */
  setCondition(condition: ConditionInput): void;
  /** Records an extra Event beyond the Ready-reason event the runtime emits on transitions. */
  event(type: EventType, reason: string, message: string): void;
  now(): Date;
}

/**
 * A controller plugged into the runtime. Register it by exporting it as `controller` from
 * `operators/<folder>/controller.ts` and listing the folder in operators/manager.ts.
 */
export interface Controller<T extends KubeObject = KubeObject> {
  /** Short name: the metrics `controller` label, the log field, field manager `agentlab-<name>`. */
  name: string;
  /** The kind reconciled. */
  for: ResourceRef;
  /** Kinds of children it creates with ctx.apply; their changes requeue the controller owner. */
  owns?: ResourceRef[];
  /**
   * Filters updates of owned children before they requeue the owner: false when the change leaves
   * everything the controller reads of the child as it was (a Flow's tool pod being scheduled or
   * starting its containers). Reads only what the child is cached with (cache-transform.ts
   * OWNED_CHILD_FIELDS). Default: any change of resourceVersion requeues. Adds and deletes always do.
   */
  ownedChanged?(resource: ResourceRef, oldObj: KubeObject, newObj: KubeObject): boolean;
  watches?: WatchSpec[];
  /** Indexes of cached kinds (each in for, owns or watches) it reads with cache-index.ts `byIndex`. */
  indexes?: CacheIndex[];
  /**
   * Every field of its own kind that is read from the cache rather than from `ctx.object` (watch
   * maps, lists of its kind, other controllers), beyond identity. When set, the informer of the
   * kind caches only these, the metadata and status the runtime reads (primary-cache.ts) and what
   * other users of the kind declare, and each reconcile reads the whole object from the API server
   * (one GET). For kinds with large specs that little code reads from the cache. Undefined:
   * whole objects cached, reconcile reads the cache.
   */
  cacheFields?: FieldShape;
  /**
   * Objects of its kind that are finished (a run that ended: `is` reads only the object as the API
   * server sends it) are cached cut down to `fields`, beyond identity, what the runtime reads
   * (primary-cache.ts) and what other users of the kind declare (an owned role's only for an
   * object with a controller ownerReference: owners read nothing else); others stay whole. A cut-down
   * object is reconciled as the API server has it (one GET, primary-cache.ts readPrimary), a whole
   * one from the cache as usual. For kinds whose stored objects are mostly history (AgentRun,
   * Flow): the finished ones leave their spec out of the cache, the active ones cost no extra
   * read. Code that reads other fields of a cached object of the kind checks cache-transform.ts
   * `isCutDown` and reads it live. Ignored when `cacheFields` is set (every object is cut down).
   */
  finishedCache?: { is(obj: KubeObject): boolean; fields: FieldShape };
  /** Added before the first reconcile; `finalize` runs on deletion, then the finalizer is removed. */
  finalizer?: string;
  finalize?(ctx: ReconcileContext<T>): Promise<void>;
  /** Workers for this controller (default 4); the operator also caps the total. */
  maxConcurrentReconciles?: number;
  /** Called once when the controller starts leading, before the first reconcile. */
  start?(handle: ControllerHandle): void;
  /** Called on shutdown after in-flight reconciles finished (stop background work). */
  stop?(): Promise<void>;
  /** Called when an object disappeared from the cache (drop in-memory state for the key). */
  forget?(key: string): void;
  reconcile(ctx: ReconcileContext<T>): Promise<ReconcileResult>;
}
