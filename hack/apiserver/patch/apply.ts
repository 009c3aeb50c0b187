import { badRequest, internalError, PatchError, type StatusCause } from './errors.js';
import { FieldSet, fieldElement, pathString, type Path } from './fieldpath.js';
import { fieldsFromLastApplied, KUBECTL_MANAGER, syncLastApplied } from './last-applied.js';
import {
  capUpdateManagers,
  decodeManagedFieldsOrEmpty,
  describeManager,
  encodeManagedFields,
  managerIdentity,
  type ManagerEntry,
  type Operation,
} from './managed-fields.js';
import type { TypeInfo } from './type-info.js';
import { compareValues, ensureNamedFieldsAreMembers, ListKeyError, mergeValues, removeItems, toFieldSet } from './typed.js';
import { clone, deepEqual, has, isObject, type JsonObject } from './values.js';

export interface ApplyInput {
  /** The stored object; absent when the apply creates it. */
  live?: object;
  /** The applied configuration (the decoded apply-patch+yaml body). */
  applied: object;
  /** fieldManager; required for apply. */
  manager: string;
  force: boolean;
  types: TypeInfo;
  /** The request's group/version, e.g. "apps/v1". */
  apiVersion: string;
  /** "status" for /status; absent for the main resource. */
  subresource?: string;
  /** Whether the resource has a status subresource: then the main resource ignores .status. */
  statusSubresource?: boolean;
  /** RFC 3339 time recorded on the manager's entry when the object changes. */
  now: string;
}

export interface Conflict {
  manager: string;
  operation: Operation;
  apiVersion: string;
  subresource?: string;
  /** The conflicting path as kube-apiserver prints it, e.g. `.spec.replicas`. */
  field: string;
}

export type ApplyResult =
  /** `changed` is false for a no-op apply: nothing to store, no new resourceVersion. */
  | { ok: true; object: JsonObject; changed: boolean }
  | { ok: false; conflicts: Conflict[]; error: PatchError };

export interface UpdateInput {
  live?: object;
  /** The object about to be stored (after the patch or the PUT body, before managedFields tracking). */
  updated: object;
  manager: string;
  types: TypeInfo;
  apiVersion: string;
  subresource?: string;
  statusSubresource?: boolean;
  now: string;
}

type Managers = Map<string, ManagerEntry>;

/** Paths the field manager never tracks (stripmeta.go). Only membership is removed. */
const STRIPPED: Path[] = [
  ['f:apiVersion'],
  ['f:kind'],
  ['f:metadata'],
  ...['name', 'namespace', 'creationTimestamp', 'selfLink', 'uid', 'clusterName', 'generation', 'managedFields', 'resourceVersion'].map((f) => [
    'f:metadata',
    fieldElement(f),
  ]),
];
const STRIP_SET = FieldSet.of(...STRIPPED);

/** The object's content as the field manager sees it: without managedFields. A shallow copy. */
function content(obj: object | undefined): JsonObject {
  const o = { ...((obj ?? {}) as JsonObject) };
  if (isObject(o.metadata)) {
    const { managedFields: _ignored, ...meta } = o.metadata;
    if (Object.keys(meta).length === 0) delete o.metadata;
    else o.metadata = meta;
  }
  return o;
}

/**
 * Which paths a write may touch (resetFields): the main resource of a kind with a status
 * subresource never writes .status; the status subresource writes only .status.
 */
function scope(input: { subresource?: string; statusSubresource?: boolean }): (set: FieldSet) => FieldSet {
  return (set: FieldSet) => {
    const out = set.difference(STRIP_SET);
    if (input.subresource === 'status') {
      const onlyStatus = new FieldSet();
      const status = out.child('f:status');
      if (status) onlyStatus.children.set('f:status', status);
      return onlyStatus;
    }
    if (input.statusSubresource) out.children.delete('f:status');
    return out;
  };
}

function withManagedFields(obj: JsonObject, managers: Managers): JsonObject {
  const encoded = encodeManagedFields(managers);
  const meta = isObject(obj.metadata) ? { ...obj.metadata } : {};
  if (encoded.length) meta.managedFields = encoded;
  else delete meta.managedFields;
  if (Object.keys(meta).length) obj.metadata = meta;
  else delete obj.metadata;
  return obj;
}

/** The configuration a write may apply: without .status on a main resource with a status subresource; only .status on /status. */
function scopedConfig(applied: JsonObject, input: { subresource?: string; statusSubresource?: boolean }): JsonObject {
  const config = clone(applied);
  if (input.subresource === 'status') {
    const meta = isObject(config.metadata) ? config.metadata : {};
    const kept: JsonObject = {};
    for (const k of ['name', 'namespace']) if (k in meta) kept[k] = meta[k];
    const out: JsonObject = { apiVersion: config.apiVersion, kind: config.kind, metadata: kept };
    if (has(config, 'status')) out.status = config.status;
    return out;
  }
  if (input.statusSubresource) delete config.status;
  return config;
}

function validateApply(input: ApplyInput): void {
  if (!input.manager) {
    throw new PatchError(422, 'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch', [
      { reason: 'FieldValueRequired', message: 'Required value: is required for apply patch', field: 'fieldManager' },
    ]);
  }
  const invalid: StatusCause[] = [];
  if (input.manager.length > 128) {
    invalid.push({ reason: 'FieldValueTooLong', message: 'Too long: may not be more than 128 bytes', field: 'fieldManager' });
  }
  for (const [i, ch] of [...input.manager].entries()) {
    if (/\p{C}|\p{Z}/u.test(ch) && ch !== ' ') {
      const code = `U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
      invalid.push({ reason: 'FieldValueInvalid', message: `Invalid value: ${JSON.stringify(input.manager)}: invalid character ${code} (at position ${i})`, field: 'fieldManager' });
    }
  }
  if (invalid.length) {
    const details = invalid.map((c) => `${c.field}: ${c.message}`);
    const summary = details.length === 1 ? details[0] : `[${details.join(', ')}]`;
    throw new PatchError(422, `PatchOptions.meta.k8s.io "" is invalid: ${summary}`, invalid);
  }
  if (!isObject(input.applied)) throw badRequest('error decoding YAML: the apply configuration must be an object');
  const applied = input.applied as JsonObject;
  if (applied.apiVersion !== input.apiVersion) {
    throw badRequest(
      `Incorrect version specified in apply patch. Specified patch version: ${String(applied.apiVersion ?? '')}, expected: ${input.apiVersion}`,
    );
  }
  if (isObject(applied.metadata) && applied.metadata.managedFields !== undefined && applied.metadata.managedFields !== null) {
    throw badRequest('metadata.managedFields must be nil');
  }
}

/**
 * Server-side apply (`application/apply-patch+yaml`), as kube-apiserver's field manager does it:
 * merges the configuration into the live object, records the manager's Apply entry in
 * managedFields, removes what the manager applied before and no longer applies (unless another
 * manager owns it), and reports conflicts with other managers' fields unless `force` takes them.
 * Pure. Throws PatchError for a bad request (400 / 422 / 500 like kube-apiserver).
 */
export function serverSideApply(input: ApplyInput): ApplyResult {
  validateApply(input);
  const t = input.types;
  const live = content(input.live);
  const managers = decodeManagedFieldsOrEmpty(isObject((input.live as JsonObject | undefined)?.metadata) ? ((input.live as JsonObject).metadata as JsonObject).managedFields : undefined);
  const config = scopedConfig(input.applied as JsonObject, input);
  const limit = scope(input);

  let configSet: FieldSet;
  try {
    configSet = limit(toFieldSet(config, t, true));
  } catch (e) {
    if (e instanceof ListKeyError) {
      const meta = isObject(config.metadata) ? config.metadata : {};
      throw internalError(`failed to create typed patch object (${String(meta.namespace ?? '')}/${String(meta.name ?? '')}; ${input.apiVersion}, Kind=${String(config.kind ?? '')}): ${e.message}`);
    }
    throw e;
  }

  let merged = mergeValues(live, config, t) as JsonObject;
  const id = managerIdentity({ manager: input.manager, operation: 'Apply', apiVersion: input.apiVersion, subresource: input.subresource });
  const previous = managers.get(id);
  managers.set(id, {
    manager: input.manager,
    operation: 'Apply',
    apiVersion: input.apiVersion,
    ...(input.subresource && { subresource: input.subresource }),
    ...(previous?.time && { time: previous.time }),
    set: configSet,
  });

  if (previous && !previous.set.isEmpty()) {
    // The untracked identity fields count as owned: dropping the last label must not take
    // metadata (name, uid, resourceVersion) with it. kube-apiserver strips them only afterwards.
    let owned = STRIP_SET;
    for (const m of managers.values()) owned = owned.union(m.set);
    const stale = ensureNamedFieldsAreMembers(previous.set, t).difference(ensureNamedFieldsAreMembers(owned, t));
    merged = removeItems(merged, stale, t) as JsonObject;
  }

  const cmp = compareValues(live, merged, t);
  const changed = limit(cmp.modified.union(cmp.added));
  const removed = limit(cmp.removed);
  const conflicts: Conflict[] = [];
  const conflictPaths: Path[] = [];
  const taken = new Map<string, FieldSet>();
  for (const [key, m] of managers) {
    if (key === id) continue;
    const overlap = m.set.intersection(changed);
    if (overlap.isEmpty()) continue;
    taken.set(key, overlap);
    for (const p of overlap.paths()) {
      conflictPaths.push(p);
      conflicts.push({
        manager: m.manager,
        operation: m.operation,
        apiVersion: m.apiVersion,
        ...(m.subresource && { subresource: m.subresource }),
        field: pathString(p),
      });
    }
  }
  if (conflicts.length && !input.force) {
    // "kubectl" may take over what client-side apply last applied (lastappliedmanager.go).
    const allowed = input.manager === KUBECTL_MANAGER ? fieldsFromLastApplied(input.live, t) : new FieldSet();
    const remaining = conflicts.filter((_c, i) => !allowed.has(conflictPaths[i]));
    if (remaining.length) return { ok: false, conflicts: remaining, error: conflictError(remaining) };
  }

  for (const [key, m] of managers) {
    if (key !== id) m.set = m.set.difference(taken.get(key) ?? new FieldSet()).difference(removed);
    if (m.set.isEmpty()) managers.delete(key);
  }
  capUpdateManagers(managers);
  if (input.manager === KUBECTL_MANAGER) syncLastApplied(merged, input.applied as JsonObject);
  const entry = managers.get(id);
  if (entry && (!deepEqual(live, merged) || entry.time === undefined)) entry.time = input.now;
  // One copy at the end: merging shares unchanged subtrees with the live object.
  const object = clone(withManagedFields(merged, managers));
  return { ok: true, object, changed: input.live === undefined || !deepEqual(input.live, object) };
}

/**
 * managedFields for a create, update or non-apply patch (FieldManager.UpdateNoErrors): the
 * manager's Update entry takes every field the write adds or changes, and other managers lose
 * those fields and every removed one. Returns a copy of `updated` with metadata.managedFields set;
 * the copy is shallow (it shares everything below metadata with `updated`). Pure.
 */
export function trackUpdate(input: UpdateInput): JsonObject {
  const t = input.types;
  const updated = input.updated as JsonObject;
  const liveMeta = isObject((input.live as JsonObject | undefined)?.metadata) ? ((input.live as JsonObject).metadata as JsonObject) : {};
  const requested = isObject(updated.metadata) ? updated.metadata.managedFields : undefined;

  // `managedFields: [{}]` asks to clear them (a bare [] does not, so clients unaware of the field keep them).
  if (!input.subresource && Array.isArray(requested) && requested.length === 1 && isObject(requested[0]) && !Object.keys(requested[0]).length) {
    return withManagedFields(content(updated), new Map());
  }
  let managers = input.subresource ? new Map() : decodeManagedFieldsOrEmpty(requested);
  if (managers.size === 0) managers = decodeManagedFieldsOrEmpty(liveMeta.managedFields);

  const limit = scope(input);
  const cmp = compareValues(content(input.live), content(updated), t);
  const changed = limit(cmp.modified.union(cmp.added));
  const removed = limit(cmp.removed);
  for (const [key, m] of managers) {
    m.set = m.set.difference(changed).difference(removed);
    if (m.set.isEmpty()) managers.delete(key);
  }
  if (!changed.isEmpty()) {
    const id = managerIdentity({ manager: input.manager, operation: 'Update', apiVersion: input.apiVersion, subresource: input.subresource });
    const previous = managers.get(id);
    managers.set(id, {
      manager: input.manager,
      operation: 'Update',
      apiVersion: input.apiVersion,
      ...(input.subresource && { subresource: input.subresource }),
      time: input.now,
      set: previous ? previous.set.union(changed) : changed,
    });
  }
  capUpdateManagers(managers);
  return withManagedFields(content(updated), managers);
}

/** The message kube-apiserver gives a 409 apply conflict (managedfields/internal/conflict.go). */
export function formatConflictMessage(conflicts: Conflict[]): string {
  if (conflicts.length === 1) {
    return `Apply failed with 1 conflict: conflict with ${describeManager(conflicts[0])}: ${conflicts[0].field}`;
  }
  const byManager = new Map<string, Conflict[]>();
  for (const c of conflicts) {
    const key = managerIdentity(c);
    byManager.set(key, [...(byManager.get(key) ?? []), c]);
  }
  const lines: string[] = [];
  for (const key of [...byManager.keys()].sort()) {
    const group = byManager.get(key)!;
    lines.push(`conflicts with ${describeManager(group[0])}:`);
    for (const c of group) lines.push(`- ${c.field}`);
  }
  return `Apply failed with ${conflicts.length} conflicts: ${lines.join('\n')}`;
}

/** The 409 Conflict kube-apiserver answers an apply with, one FieldManagerConflict cause per field. */
export function conflictError(conflicts: Conflict[]): PatchError {
  const causes: StatusCause[] = conflicts.map((c) => ({
    reason: 'FieldManagerConflict',
    message: `conflict with ${describeManager(c)}`,
    field: c.field,
  }));
  return new PatchError(409, formatConflictMessage(conflicts), causes);
}
