/** The scale subresource (autoscaling/v1 Scale) for Deployments and CRDs that declare one. */
import { badRequest, conflict, invalid, STALE_OBJECT } from './errors.js';
import type { ObjectService, WriteOptions } from './objects.js';
import { PATCH_TYPES } from './patching.js';
import { applyJsonPatch, applyMergePatch } from './patch/index.js';
import type { ResourceInfo, ScaleInfo } from './registry.js';
import { fromMetaLabelSelector, type LabelSelector } from './selectors.js';
import { getPath, isRecord, setPath, type KObject, type StoredObject } from './types.js';

function selectorString(sel: LabelSelector): string {
  return sel.map((r) => {
    switch (r.operator) {
      case 'Exists': return r.key;
      case 'DoesNotExist': return `!${r.key}`;
      case 'Equals': return `${r.key}=${r.values[0]}`;
      case 'NotEquals': return `${r.key}!=${r.values[0]}`;
      default: return `${r.key} ${r.operator === 'In' ? 'in' : 'notin'} (${r.values.join(',')})`;
    }
  }).join(',');
}

export function scaleOf(obj: StoredObject, s: ScaleInfo): KObject {
  const m = obj.metadata;
  const status: Record<string, unknown> = { replicas: Number(getPath(obj, s.statusReplicasPath) ?? 0) };
  if (s.labelSelectorPath) {
    const sel = getPath(obj, s.labelSelectorPath);
    if (typeof sel === 'string') status.selector = sel;
    else if (isRecord(sel)) status.selector = selectorString(fromMetaLabelSelector(sel));
  }
  return {
    kind: 'Scale', apiVersion: 'autoscaling/v1',
    metadata: { name: m.name, namespace: m.namespace, uid: m.uid, resourceVersion: m.resourceVersion, creationTimestamp: m.creationTimestamp },
    spec: { replicas: Number(getPath(obj, s.specReplicasPath) ?? 0) },
    status,
  };
}

/** Writes spec.replicas from a Scale (PUT) or a patch of the Scale (PATCH); returns the new Scale. */
export function applyScale(svc: ObjectService, r: ResourceInfo, ns: string, name: string, s: ScaleInfo, body: unknown,
  opts: WriteOptions, patch?: { contentType: string; patch: unknown; force: boolean }): KObject {
  const live = svc.get(r, ns, name);
  let scale: unknown = body;
  if (patch) {
    const current = scaleOf(live, s);
    if (patch.contentType === PATCH_TYPES.json) scale = applyJsonPatch(current, patch.patch);
    else if (patch.contentType === PATCH_TYPES.merge || patch.contentType === PATCH_TYPES.strategic || patch.contentType === PATCH_TYPES.apply) {
      scale = applyMergePatch(current, patch.patch);
    } else throw badRequest(`unsupported patch type ${patch.contentType}`);
  }
  if (!isRecord(scale) || !isRecord(scale.spec)) throw badRequest('the body must be a Scale object with spec.replicas');
  const replicas = scale.spec.replicas;
  if (typeof replicas !== 'number' || !Number.isInteger(replicas)) {
    throw badRequest(`json: cannot unmarshal ${JSON.stringify(replicas)} into Go struct field ScaleSpec.spec.replicas of type int32`);
  }
  if (replicas < 0) {
    throw invalid('Scale', 'autoscaling', name, [{ reason: 'FieldValueInvalid', field: 'spec.replicas', message: `Invalid value: ${replicas}: must be greater than or equal to 0` }]);
  }
  const rv = isRecord(scale.metadata) ? scale.metadata.resourceVersion : undefined;
  if (rv && rv !== live.metadata.resourceVersion) throw conflict({ group: r.group, resource: r.resource }, name, STALE_OBJECT);
  setPath(live as Record<string, unknown>, s.specReplicasPath, replicas);
  const result = svc.update(r, ns, name, live, opts, undefined);
  return scaleOf(result.object, s);
}
