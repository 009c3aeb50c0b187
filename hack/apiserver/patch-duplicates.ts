/**
 * Duplicate fields in a JSON, merge or strategic merge patch body. kube-apiserver decodes the patch bytes
 * strictly under fieldValidation=Strict or Warn (patch.go, `kjson.UnmarshalStrict(p.patchBytes, ...)`)
 * and reports what it found like the strict errors of the patched object: Strict refuses the patch with
 * 422 Invalid on the field `patch`, Warn sends them as warnings. JSON patch errors say `json patch ...`.
 */
import { duplicateFields } from './duplicates.js';
import { invalid } from './errors.js';
import type { FieldValidation } from './validation.js';

const STRICTLY_DECODED = ['application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json'];

/** The strict decoding errors of a patch body (none for apply, whose YAML parser refuses duplicates itself). */
export function patchStrictErrors(contentType: string, text: string): string[] {
  if (!STRICTLY_DECODED.includes(contentType)) return [];
  const prefix = contentType === STRICTLY_DECODED[0] ? 'json patch ' : '';
  return duplicateFields(text).map((f) => `${prefix}duplicate field ${JSON.stringify(f)}`);
}

/**
 * Under Strict, the 422 kube-apiserver gives (the bad value is the patched object, or the patch map for a
 * strategic merge patch); under Warn, the warnings; under Ignore, nothing.
 */
export function checkPatchStrictErrors(errors: string[], fieldValidation: FieldValidation, patchValue: string): string[] {
  if (errors.length === 0 || fieldValidation === 'Ignore') return [];
  if (fieldValidation === 'Strict') {
    throw invalid('', '', '', [{ reason: 'FieldValueInvalid', field: 'patch', message: `Invalid value: ${JSON.stringify(patchValue)}: strict decoding error: ${errors.join(', ')}` }]);
  }
  return errors;
}
