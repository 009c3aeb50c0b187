import type { KubeObject, OwnerReference } from './kube.js';

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
 * True when every field of `desired` is present with the same value in `live`: the object the
 * server holds already says what we would apply, so the apply can be skipped. Arrays must have
 * the same length and match element-wise; extra fields in `live` (defaults, other managers) are fine.
 */
export function isSubset(desired: unknown, live: unknown): boolean {
  if (desired === live) return true;
  if (desired === null || desired === undefined) return live === null || live === undefined;
  if (typeof desired !== 'object') return false;
  if (typeof live !== 'object' || live === null) return false;
  if (Array.isArray(desired)) {
    if (!Array.isArray(live) || live.length !== desired.length) return false;
    return desired.every((v, i) => isSubset(v, live[i]));
  }
  if (Array.isArray(live)) return false;
  const l = live as Record<string, unknown>;
  return Object.entries(desired as Record<string, unknown>).every(([k, v]) => v === undefined || isSubset(v, l[k]));
}

/** True when applying `desired` would not change `live` (ignoring server-populated metadata). */
export function upToDate(desired: KubeObject, live: KubeObject | undefined): boolean {
  if (!live) return false;
  const { metadata, ...rest } = desired;
  const { name: _n, namespace: _ns, ...meta } = metadata ?? {};
  return isSubset(meta, live.metadata) && isSubset(rest, live);
}
