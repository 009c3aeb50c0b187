/**
 * PATCH: JSON patch, JSON merge patch, strategic merge patch (built-ins only, like the real
 * server) and server-side apply, each applied to the live object and then written through
 * ObjectService.update so every write has the same semantics.
 */
import {
  applyJsonPatch, applyMergePatch, applyStrategicMergePatch, PatchError, serverSideApply,
} from './patch/index.js';
import { decodeBuiltinRequest, goValueString } from './builtin-decode.js';
import { nowRfc3339 } from './duration.js';
import { checkPatchStrictErrors } from './patch-duplicates.js';
import { ApiError, badRequest, conflict, notFound, unsupportedMediaType } from './errors.js';
import type { ObjectService, Subresource, WriteOptions, WriteResult } from './objects.js';
import { apiVersionOf, type ResourceInfo } from './registry.js';
import { isRecord, type KObject } from './types.js';

export const PATCH_TYPES = {
  json: 'application/json-patch+json',
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  apply: 'application/apply-patch+yaml',
  applyCbor: 'application/apply-patch+cbor',
} as const;

export function acceptedPatchTypes(r: ResourceInfo): string[] {
  const t: string[] = [PATCH_TYPES.json, PATCH_TYPES.merge];
  if (!r.custom) t.push(PATCH_TYPES.strategic);
  t.push(PATCH_TYPES.apply);
  return t;
}

export interface PatchRequest {
  contentType: string;
  /** JSON value parsed from the body (YAML for apply). */
  patch: unknown;
  force: boolean;
  /** Strict decoding errors of the patch bytes themselves (duplicate fields), see patch-duplicates.ts. */
  strictErrors?: string[];
}

function patchFailure(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof PatchError) {
    const st = err.toStatus();
    return new ApiError(st.code, st.reason ?? '', st.message, st.details);
  }
  return badRequest(err instanceof Error ? err.message : String(err));
}

export function patchObject(svc: ObjectService, r: ResourceInfo, ns: string, name: string, req: PatchRequest,
  opts: WriteOptions, sub: Subresource): WriteResult & { created: boolean } {
  const accepted = acceptedPatchTypes(r);
  if (!accepted.includes(req.contentType)) throw unsupportedMediaType(req.contentType, accepted);
  const live = svc.tryGet(r, ns, name);
  if (req.contentType === PATCH_TYPES.apply) return apply(svc, r, ns, name, live, req, opts, sub);
  if (!live) throw notFound(r, name);
  let patched: unknown;
  try {
    switch (req.contentType) {
      case PATCH_TYPES.json: patched = applyJsonPatch(live, req.patch); break;
      case PATCH_TYPES.merge:
        if (!isRecord(req.patch)) throw badRequest('json: cannot unmarshal non-object into Go value of type map[string]interface {}');
        patched = applyMergePatch(live, req.patch); break;
      default:
        if (!isRecord(req.patch)) throw badRequest('json: cannot unmarshal non-object into Go value of type map[string]interface {}');
        patched = applyStrategicMergePatch(live, req.patch, svc.typeInfo(r));
    }
  } catch (err) { throw patchFailure(err); }
  if (!isRecord(patched)) throw badRequest('the patched object is not a JSON object');
  const obj = patched as KObject;
  const rv = obj.metadata?.resourceVersion;
  // A resourceVersion in the patch is a precondition; otherwise the patch applies to the live object.
  if (rv && rv !== live.metadata.resourceVersion) throw conflict(r, name, 'the object has been modified; please apply your changes to the latest version and try again');
  obj.metadata = { ...obj.metadata, resourceVersion: live.metadata.resourceVersion };
  // The patched object decodes into the built-in type; errors name the patch (strategic: the patch map).
  const patchValue = req.contentType === PATCH_TYPES.strategic ? goValueString(req.patch) : JSON.stringify(patched);
  const duplicates = checkPatchStrictErrors(req.strictErrors ?? [], opts.fieldValidation, patchValue);
  const warnings = [...duplicates, ...decodeBuiltinRequest(r, obj, opts.fieldValidation, { kind: 'patch', patchValue })];
  const result = svc.update(r, ns, name, obj, opts, sub);
  // Not spread: the result's `object` is decoded only when read (objects.ts, written).
  result.warnings = [...warnings, ...result.warnings];
  return result;
}

function apply(svc: ObjectService, r: ResourceInfo, ns: string, name: string, live: KObject | undefined, req: PatchRequest,
  opts: WriteOptions, sub: Subresource): WriteResult & { created: boolean } {
  if (!isRecord(req.patch)) throw badRequest('error decoding YAML: the apply configuration must be an object');
  const applied = req.patch as KObject;
  if (applied.apiVersion !== apiVersionOf(r) || applied.kind !== r.kind) {
    if (applied.apiVersion === undefined || applied.kind === undefined) throw badRequest(`invalid object type: ${String(applied.apiVersion ?? '')}, Kind=${String(applied.kind ?? '')}`);
    throw badRequest(`the API version in the data (${String(applied.apiVersion)}) does not match the expected API version (${apiVersionOf(r)})`);
  }
  const meta = isRecord(applied.metadata) ? applied.metadata : {};
  if (meta.name !== undefined && meta.name !== name) throw badRequest(`the name of the object (${String(meta.name)}) does not match the name on the URL (${name})`);
  decodeBuiltinRequest(r, applied, opts.fieldValidation, { kind: 'apply', namespace: ns, name });
  const ssa = (current: KObject | undefined, desired: KObject): KObject => {
    const result = serverSideApply({ live: current, applied: desired, manager: opts.fieldManager, force: req.force,
      types: svc.typeInfo(r), apiVersion: apiVersionOf(r), subresource: sub, statusSubresource: r.status, now: nowRfc3339() });
    if (!result.ok) throw patchFailure(result.error);
    return result.object as KObject;
  };
  try {
    if (!live) {
      if (sub) throw notFound(r, name);
      const created = ssa(undefined, { ...applied, metadata: { ...meta, name } });
      const managedFields = created.metadata?.managedFields;
      return Object.assign(svc.create(r, ns, created, opts, (o) => ({ ...o, metadata: { ...o.metadata, managedFields } })), { created: true });
    }
    const merged = ssa(live, applied);
    merged.metadata = { ...merged.metadata, resourceVersion: live.metadata?.resourceVersion };
    return svc.update(r, ns, name, merged, opts, sub, (o) => ({ ...o, metadata: { ...o.metadata, managedFields: merged.metadata?.managedFields } }));
  } catch (err) { throw patchFailure(err); }
}
