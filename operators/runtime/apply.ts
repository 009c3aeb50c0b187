import { createHash } from 'node:crypto';
import { KubeApiError, type KubeObject, type OwnerReference, type ResourceRef, apiVersionOf } from './kube.js';
import { TerminalError } from './outcome.js';

/** Field manager for children a controller applies, e.g. `agentlab-modelserver`. */
export const fieldManager = (controller: string): string => `agentlab-${controller}`;
/** Field manager for the controller's status writes, kept apart as Flux does. */
export const statusFieldManager = (controller: string): string => `agentlab-${controller}-status`;

/** Label put on every child so informers can watch only AgentLab-managed objects. */
export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const MANAGED_BY_VALUE = 'agentlab';

/** The controller owner reference that lets garbage collection delete the child with its owner. */
export function controllerReference(owner: KubeObject): OwnerReference {
  const m = owner.metadata;
  if (!owner.apiVersion || !owner.kind || !m?.name || !m.uid) {
    throw new Error('owner must have apiVersion, kind, metadata.name and metadata.uid');
  }
  return { apiVersion: owner.apiVersion, kind: owner.kind, name: m.name, uid: m.uid, controller: true, blockOwnerDeletion: true };
}

/** Returns the owner key (namespace/name) of the object's controller owner of the given kind. */
export function controllerOwnerKey(obj: KubeObject, ownerApiVersion: string, ownerKind: string, ownerNamespaced = true): string | undefined {
  const ref = obj.metadata?.ownerReferences?.find((r) => r.controller === true);
  if (!ref || ref.kind !== ownerKind || ref.apiVersion.split('/')[0] !== ownerApiVersion.split('/')[0]) return undefined;
  return ownerNamespaced && obj.metadata?.namespace ? `${obj.metadata.namespace}/${ref.name}` : ref.name;
}

/**
 * Annotation carrying a hash of what the controller last applied to a child. Comparing it with
 * the hash of the new desired object tells whether an apply would change anything, without
 * keeping children's specs in the cache (they dominate memory: a Deployment is ~10 KiB on the heap).
 */
export const APPLIED_HASH_ANNOTATION = 'agentlab.dev/applied-hash';

/**
 * JSON with object keys sorted, so equal objects serialise identically. Built by appending to one
 * string, with each key's JSON form remembered (the same few hundred field names recur in every
 * child; the former map/filter/join version, then JSON.stringify of each key, were a visible share
 * of the ModelServer operator's CPU). The output is unchanged, since children carry its hash (an
 * undefined array element gives an empty slot, as join gave).
 */
export function canonicalJson(v: unknown): string {
  if (typeof v !== 'object' || v === null) return JSON.stringify(v);
  if (Array.isArray(v)) {
    let s = '[';
    for (let i = 0; i < v.length; i++) {
      if (i > 0) s += ',';
      s += canonicalJson(v[i]) ?? '';
    }
    return `${s}]`;
  }
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o).sort();
  let s = '{';
  let first = true;
  for (const k of keys) {
    const x = o[k];
    if (x === undefined) continue;
    if (!first) s += ',';
    first = false;
    s += quotedKey(k);
    s += ':';
    s += canonicalJson(x);
  }
  return `${s}}`;
}

/** Keys' JSON forms, bounded: keys that come from user data (labels, annotations) stop being added. */
const QUOTED_KEYS = new Map<string, string>();
const QUOTED_KEYS_MAX = 10_000;

function quotedKey(k: string): string {
  let q = QUOTED_KEYS.get(k);
  if (q === undefined) {
    q = JSON.stringify(k);
    if (QUOTED_KEYS.size < QUOTED_KEYS_MAX) QUOTED_KEYS.set(k, q);
  }
  return q;
}

/** Hash of a desired object (its applied-hash annotation excluded). */
export function desiredHash(obj: KubeObject): string {
  const annotations = { ...obj.metadata?.annotations };
  delete annotations[APPLIED_HASH_ANNOTATION];
  const copy = { ...obj, metadata: { ...obj.metadata, annotations: Object.keys(annotations).length ? annotations : undefined } };
  return createHash('sha256').update(canonicalJson(copy)).digest('hex').slice(0, 20);
}

/**
 * The child as `ctx.apply` sends it: apiVersion/kind filled in, the owner's namespace by default,
 * the managed-by label, the controller owner reference and the applied-hash annotation.
 */
export function desiredChild<C extends KubeObject>(owner: KubeObject, resource: ResourceRef, child: C): C {
  const desired: C = {
    ...child,
    apiVersion: child.apiVersion ?? apiVersionOf(resource),
    kind: child.kind ?? resource.kind,
    metadata: {
      ...child.metadata,
      namespace: resource.namespaced ? child.metadata?.namespace ?? owner.metadata?.namespace : undefined,
      labels: { ...child.metadata?.labels, [MANAGED_BY_LABEL]: MANAGED_BY_VALUE },
      ownerReferences: [controllerReference(owner)],
    },
  };
  desired.metadata!.annotations = { ...child.metadata?.annotations, [APPLIED_HASH_ANNOTATION]: desiredHash(desired) };
  if (!desired.metadata?.name) throw new Error(`child ${resource.kind} has no metadata.name`);
  return desired;
}

/**
 * True when applying `desired` (carrying its hash annotation) would not change `live`: the hash
 * matches and the controller reference is in place. `appliedGeneration` is the generation the
 * child had right after this process last applied it; a higher live generation means someone
 * else changed the spec (drift), which is corrected by applying again.
 */
export function upToDate(desired: KubeObject, live: KubeObject | undefined, appliedGeneration?: number): boolean {
  if (!live) return false;
  const want = desired.metadata?.annotations?.[APPLIED_HASH_ANNOTATION];
  if (!want || live.metadata?.annotations?.[APPLIED_HASH_ANNOTATION] !== want) return false;
  const ref = desired.metadata?.ownerReferences?.[0];
  if (ref && !live.metadata?.ownerReferences?.some((r) => r.uid === ref.uid && r.controller === true)) return false;
  if (appliedGeneration !== undefined && live.metadata?.generation !== undefined && live.metadata.generation !== appliedGeneration) return false;
  return true;
}

/**
 * What a failed child apply means for the owner. 403 (the operator may not write it) and 422
 * (the API server rejects the object, e.g. an admission policy or a value out of range) will not
 * pass on a retry: the owner is Stalled with the API server's message, and tried again on the
 * next spec change or resync. Anything else is returned as is (retried with backoff).
 */
export function applyFailure(err: unknown, resource: ResourceRef, child: KubeObject): unknown {
  if (!(err instanceof KubeApiError) || (err.code !== 403 && err.code !== 422)) return err;
  const m = child.metadata ?? {};
  const what = `${resource.kind} ${m.namespace ? `${m.namespace}/` : ''}${m.name ?? ''}`;
  const apiMessage = err.status?.message ?? err.message;
  if (err.code === 403) {
    return new TerminalError('ApplyForbidden', `applying ${what}: ${apiMessage}; grant the operator's ServiceAccount get, list, watch, create and patch on ${resource.plural} (the Helm chart's ClusterRole)`);
  }
  return new TerminalError('ApplyInvalid', `applying ${what}: ${apiMessage}`);
}
