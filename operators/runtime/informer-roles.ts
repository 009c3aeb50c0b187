import { MANAGED_BY_LABEL, MANAGED_BY_VALUE } from './apply.js';
import { type FieldShape, cacheProjection } from './cache-projection.js';
import type { KubeObject, ResourceRef } from './kube.js';

/**
 * What controllers use a resource's informer for:
 * - `owned`: children a controller applies (its changes requeue the controller owner);
 * - `scoped`: a controller's primary kind, or a watch within the operator's scope;
 * - `unrestricted`: a watch of every object (e.g. Nodes for placement).
 */
export type InformerRole = 'owned' | 'scoped' | 'unrestricted';

/** How the one informer of a resource lists and caches it, given every role it serves. */
export interface InformerShape {
  /** Cache children without their spec (cache-transform.ts OWNED_CHILD_FIELDS): only when the resource is nothing but owned. */
  compact: boolean;
  labelSelector?: string;
  /** Namespaces to list and watch; undefined = all. */
  namespaces?: string[];
  /** Whether periodic resyncs replay the cache (primary kinds and scoped watches need them). */
  resync: boolean;
  /** The fields cached (cache-projection.ts) when every user declared what it reads; undefined = whole objects. */
  fields?: FieldShape;
  /**
   * When `fields` is undefined: the objects `is` calls finished are cached cut down to `fields`,
   * the union of what every user reads of a finished object (Controller.finishedCache).
   */
  finished?: FinishedShape;
}

/**
 * Which objects of a kind are finished, and what is cached of them: `fields`, or `unownedFields`
 * (what the users other than owned roles read) for one with no controller ownerReference, which
 * no owned role reads (an owner finds its children by their controller ownerReference).
 */
export interface FinishedShape { is(obj: KubeObject): boolean; fields: FieldShape; unownedFields?: FieldShape }

/**
 * What users read of a kind's finished objects: `is` from the one primary controller that declares
 * Controller.finishedCache; `fieldShapes`, per registration, what it reads of a finished object
 * (its finishedCache fields for that controller, the fields it reads of any object for the others).
 */
export interface FinishedReads {
  is(obj: KubeObject): boolean;
  fieldShapes: readonly (FieldShape | undefined)[];
  /** Per registration (as fieldShapes), whether it is an owned role. */
  owned?: readonly boolean[];
}

export interface OperatorScope {
  namespaces?: string[];
  /** Restricts cluster-scoped agentlab.dev kinds. */
  labelSelector?: string;
}

/**
 * One informer per resource serves every role. A resource that is only owned keeps the compact
 * cache of managed-by-labelled children (children dominate memory); once it is also a primary
 * kind or a scoped watch (a Flow owns AgentRuns and sub-Flows, which have their own controllers)
 * the informer caches full objects in the operator's scope, and the owned role finds its
 * children among them by controller ownerReference. Scoped and unrestricted cannot share one
 * informer: a primary kind must not see objects outside the operator's scope. `fieldShapes` holds,
 * per registration, the fields it reads (Controller.cacheFields, WatchSpec.fields; an owned role
 * reads what a compact child keeps, cache-transform.ts OWNED_CHILD_FIELDS; undefined = whole
 * objects): only when every registration declares them is the cache cut down to their union.
 */
export function informerShape(resource: ResourceRef, roles: ReadonlySet<InformerRole>, scope: OperatorScope, fieldShapes: readonly (FieldShape | undefined)[] = [undefined], finishedReads?: FinishedReads): InformerShape {
  if (roles.has('scoped') && roles.has('unrestricted')) {
    throw new Error(`${resource.plural} is watched both within the operator's scope and unrestricted; one informer has one scope: declare every watch of ${resource.plural} the same way (unrestricted: true on all or none)`);
  }
  const fields = cacheProjection(fieldShapes);
  const cut = fields ? { fields } : finishedReads ? finishedCut(finishedReads) : {};
  if (roles.has('unrestricted')) return { compact: false, resync: false, ...cut };
  const namespaces = resource.namespaced ? scope.namespaces : undefined;
  if (!roles.has('scoped')) {
    return { compact: true, labelSelector: `${MANAGED_BY_LABEL}=${MANAGED_BY_VALUE}`, namespaces, resync: false };
  }
  const restrictByLabel = !resource.namespaced && resource.group === 'agentlab.dev';
  return { compact: false, labelSelector: restrictByLabel ? scope.labelSelector : undefined, namespaces, resync: true, ...cut };
}

/** The finished shape of `reads`, if every user declared what it reads of a finished object. */
function finishedCut(reads: FinishedReads): { finished?: FinishedShape } {
  const fields = cacheProjection(reads.fieldShapes);
  if (!fields) return {};
  const unowned = cacheProjection(reads.fieldShapes.filter((_, i) => !reads.owned?.[i]));
  const differs = unowned && JSON.stringify(unowned) !== JSON.stringify(fields);
  return { finished: { is: reads.is, fields, ...(differs ? { unownedFields: unowned } : {}) } };
}

/** Whether two shapes list and cache the same objects the same way. */
export function sameShape(a: InformerShape, b: InformerShape): boolean {
  return a.compact === b.compact && a.labelSelector === b.labelSelector && a.resync === b.resync
    && JSON.stringify(a.namespaces ?? null) === JSON.stringify(b.namespaces ?? null)
    && JSON.stringify(a.fields ?? null) === JSON.stringify(b.fields ?? null)
    && a.finished?.is === b.finished?.is && JSON.stringify(a.finished?.fields ?? null) === JSON.stringify(b.finished?.fields ?? null)
    && JSON.stringify(a.finished?.unownedFields ?? null) === JSON.stringify(b.finished?.unownedFields ?? null);
}
