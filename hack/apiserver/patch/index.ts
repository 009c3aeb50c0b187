/**
 * Patches and server-side apply for the embedded API server: pure functions over decoded JSON.
 * See docs/internals/module-contracts.md (hack/apiserver/patch/).
 */
export { PatchError, type PatchErrorCode, type PatchStatus, type StatusCause } from './errors.js';
export { applyMergePatch } from './merge-patch.js';
export { applyJsonPatch, escapePointerToken, MAX_JSON_PATCH_OPERATIONS, type JsonPatchOptions } from './json-patch.js';
export { applyStrategicMergePatch } from './strategic-merge-patch.js';
export {
  conflictError,
  formatConflictMessage,
  serverSideApply,
  trackUpdate,
  type ApplyInput,
  type ApplyResult,
  type Conflict,
  type UpdateInput,
} from './apply.js';
export { FieldSet, pathString, type Path, type PathElement } from './fieldpath.js';
export { decodeManagedFields, encodeManagedFields, type ManagedFieldsEntry, type ManagerEntry } from './managed-fields.js';
export { typeInfoFromOpenAPI, type TypeInfo, type TypeNode } from './type-info.js';
export { builtinTypeInfo } from './builtin-types.js';
