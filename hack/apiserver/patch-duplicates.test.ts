import { describe, expect, it } from 'vitest';
import { ApiError } from './errors.js';
import { checkPatchStrictErrors, patchStrictErrors } from './patch-duplicates.js';

describe('patchStrictErrors', () => {
  it('names duplicate fields of merge and strategic merge patches, and of JSON patch operations with their prefix', () => {
    expect(patchStrictErrors('application/merge-patch+json', '{"spec":{"a":1,"a":2}}')).toEqual(['duplicate field "spec.a"']);
    expect(patchStrictErrors('application/strategic-merge-patch+json', '{"data":{"k":"1","k":"2"}}')).toEqual(['duplicate field "data.k"']);
    expect(patchStrictErrors('application/json-patch+json', '[{"op":"add","op":"remove","path":"/a"}]')).toEqual(['json patch duplicate field "[0].op"']);
  });

  it('leaves apply patches to the YAML parser', () => {
    expect(patchStrictErrors('application/apply-patch+yaml', '{"a":1,"a":2}')).toEqual([]);
  });
});

describe('checkPatchStrictErrors', () => {
  const errs = ['duplicate field "spec.a"'];
  it('Strict: 422 on the field patch, with the patched object as the value', () => {
    try {
      checkPatchStrictErrors(errs, 'Strict', '{"spec":{"a":2}}');
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ApiError);
      const e = err as ApiError;
      expect(e.code).toBe(422);
      expect(e.status.details?.causes).toEqual([{ reason: 'FieldValueInvalid', field: 'patch',
        message: 'Invalid value: "{\\"spec\\":{\\"a\\":2}}": strict decoding error: duplicate field "spec.a"' }]);
    }
  });

  it('Warn: the errors as warnings; Ignore: nothing', () => {
    expect(checkPatchStrictErrors(errs, 'Warn', '{}')).toEqual(errs);
    expect(checkPatchStrictErrors(errs, 'Ignore', '{}')).toEqual([]);
  });
});
