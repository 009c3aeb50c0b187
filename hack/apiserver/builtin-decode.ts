/**
 * How kube-apiserver answers when a built-in object in a request does not decode into its Go type
 * (staging/src/k8s.io/apiserver/pkg/endpoints/handlers: create.go, update.go, patch.go):
 *
 * - a create or update body: 400 BadRequest `<Kind> in version "<v>" cannot be handled as a <Kind>: <err>`
 *   (transformDecodeError), where err is the decode error (a malformed quantity) or, under
 *   fieldValidation=Strict, `strict decoding error: unknown field "spec.x", ...`;
 * - a JSON, merge or strategic merge patch: 422 Invalid with one cause on the field `patch`
 *   whose value is the patched object (the patch map for strategic merge);
 * - a server-side apply: a plain error, 500, `failed to create typed patch object (...): .<path>: field not declared in schema`.
 *
 * Under Warn the strict errors become `unknown field "..."` warnings; under Ignore nothing is said.
 * The unknown fields are dropped in every case.
 */
import { ApiError, badRequest, invalid } from './errors.js';
import { builtinModel, decodeBuiltin } from './builtin-schema.js';
import { apiVersionOf, type ResourceInfo } from './registry.js';
import { isRecord } from './types.js';
import type { FieldValidation } from './validation.js';

export type DecodeSource =
  | { kind: 'body'; duplicates?: string[] }
  | { kind: 'patch'; patchValue: string }
  | { kind: 'apply'; namespace: string; name: string };

const unknownField = (path: string): string => `unknown field ${JSON.stringify(path)}`;

/**
 * Decodes a built-in object from a request in place (drops unknown fields); returns the warnings
 * to send, or throws the error kube-apiserver gives. Custom resources are left alone.
 */
export function decodeBuiltinRequest(r: ResourceInfo, obj: unknown, fieldValidation: FieldValidation, source: DecodeSource): string[] {
  if (r.custom || !isRecord(obj)) return [];
  const kind = typeof obj.kind === 'string' && obj.kind ? obj.kind : r.kind;
  const apiVersion = typeof obj.apiVersion === 'string' && obj.apiVersion ? obj.apiVersion : apiVersionOf(r);
  // A body of another kind fails its conversion instead (checkBody says so).
  if (kind !== r.kind) return [];
  const model = builtinModel(apiVersionOf(r), r.kind);
  if (!model) return [];
  const { unknownFields, decodeError } = decodeBuiltin(model, obj);
  const duplicates = source.kind === 'body' ? (source.duplicates ?? []).map((d) => `duplicate field ${JSON.stringify(d)}`) : [];
  const strictErrors = [...duplicates, ...unknownFields.map(unknownField)];
  const version = apiVersion.slice(apiVersion.lastIndexOf('/') + 1);
  const fail = (err: string): ApiError => {
    switch (source.kind) {
      case 'body': return badRequest(`${kind} in version ${JSON.stringify(version)} cannot be handled as a ${r.kind}: ${err}`);
      case 'patch': return invalid('', '', '', [{ reason: 'FieldValueInvalid', field: 'patch', message: `Invalid value: ${JSON.stringify(source.patchValue)}: ${err}` }]);
      default: return new ApiError(500, '', err);
    }
  };
  if (source.kind === 'apply') {
    const gvk = `${r.group}/${r.version}, Kind=${r.kind}`;
    const where = `${source.namespace ? `${source.namespace}/` : ''}${source.name}; ${gvk}`;
    if (unknownFields.length) throw fail(`failed to create typed patch object (${where}): .${unknownFields[0]}: field not declared in schema`);
    if (decodeError) throw fail(`failed to convert new object (${where}) to proper version: ${decodeError}`);
    return [];
  }
  if (decodeError) throw fail(decodeError);
  if (strictErrors.length === 0 || fieldValidation === 'Ignore') return [];
  if (fieldValidation === 'Strict') throw fail(`strict decoding error: ${strictErrors.join(', ')}`);
  return strictErrors;
}

/** Go's %+v of a decoded JSON value (map[string]interface{}), as strategic merge patch errors print the patch. */
export function goValueString(v: unknown): string {
  if (v === null || v === undefined) return '<nil>';
  if (Array.isArray(v)) return `[${v.map(goValueString).join(' ')}]`;
  if (isRecord(v)) return `map[${Object.keys(v).sort().map((k) => `${k}:${goValueString(v[k])}`).join(' ')}]`;
  return String(v);
}
