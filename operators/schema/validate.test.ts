import { describe, expect, it } from 'vitest';
import { formatFieldError } from './errors.js';
import type { StructuralSchema } from './types.js';
import { validateOpenAPI } from './validate.js';

/** A root object schema with one field `spec.x` governed by `x`. */
function withX(x: StructuralSchema): StructuralSchema {
  return { type: 'object', properties: { spec: { type: 'object', properties: { x } } } };
}

function errorsFor(x: StructuralSchema, value: unknown, old?: unknown): string[] {
  const obj = { spec: { x: value } };
  return validateOpenAPI(withX(x), obj, old === undefined ? undefined : { spec: { x: old } }).map(formatFieldError);
}

describe('validateOpenAPI keyword messages (kube-openapi wording)', () => {
  it.each<[string, StructuralSchema, unknown, string[]]>([
    ['string ok', { type: 'string' }, 'a', []],
    ['type string', { type: 'string' }, 5, ['spec.x: Invalid value: "integer": spec.x in body must be of type string: "integer"']],
    ['type integer given float', { type: 'integer' }, 1.5, ['spec.x: Invalid value: "number": spec.x in body must be of type integer: "number"']],
    ['type integer given an integer beyond int64 (a float64 in Go)', { type: 'integer' }, 1e20, ['spec.x: Invalid value: "number": spec.x in body must be of type integer: "number"']],
    ['type integer given an int64 beyond 2^53', { type: 'integer' }, 2 ** 60, []],
    ['number accepts an integer beyond int64', { type: 'number' }, 1e20, []],
    ['type integer given string', { type: 'integer' }, '1', ['spec.x: Invalid value: "string": spec.x in body must be of type integer: "string"']],
    ['number accepts integer', { type: 'number' }, 3, []],
    ['type object', { type: 'object' }, [], ['spec.x: Invalid value: "array": spec.x in body must be of type object: "array"']],
    ['type array', { type: 'array', items: { type: 'string' } }, {}, ['spec.x: Invalid value: "object": spec.x in body must be of type array: "object"']],
    ['type boolean', { type: 'boolean' }, 'true', ['spec.x: Invalid value: "string": spec.x in body must be of type boolean: "string"']],
    ['null on non-nullable', { type: 'string' }, null, ['spec.x: Invalid value: "null": spec.x in body must be of type string: "null"']],
    ['null on nullable', { type: 'string', nullable: true }, null, []],
    ['int-or-string int', { 'x-kubernetes-int-or-string': true }, 8080, []],
    ['int-or-string string', { 'x-kubernetes-int-or-string': true }, 'http', []],
    ['int-or-string bool', { 'x-kubernetes-int-or-string': true }, true, ['spec.x: Invalid value: "boolean": spec.x in body must be of type integer,string: "boolean"']],
    ['minimum', { type: 'integer', minimum: 0 }, -1, ['spec.x: Invalid value: -1: spec.x in body should be greater than or equal to 0']],
    ['exclusiveMinimum', { type: 'integer', minimum: 0, exclusiveMinimum: true }, 0, ['spec.x: Invalid value: 0: spec.x in body should be greater than 0']],
    ['maximum', { type: 'integer', maximum: 10 }, 11, ['spec.x: Invalid value: 11: spec.x in body should be less than or equal to 10']],
    ['exclusiveMaximum', { type: 'number', maximum: 1.5, exclusiveMaximum: true }, 1.5, ['spec.x: Invalid value: 1.5: spec.x in body should be less than 1.5']],
    ['maximum float vs int bound', { type: 'number', maximum: 2.5 }, 3, ['spec.x: Invalid value: 3: spec.x in body should be less than or equal to 2']],
    ['multipleOf int', { type: 'integer', multipleOf: 5 }, 12, ['spec.x: Invalid value: 12: spec.x in body should be a multiple of 5']],
    ['multipleOf float', { type: 'number', multipleOf: 0.5 }, 1.25, ['spec.x: Invalid value: 1.25: spec.x in body should be a multiple of 0.5']],
    ['multipleOf ok', { type: 'number', multipleOf: 0.1 }, 0.3, []],
    ['maxLength', { type: 'string', maxLength: 3 }, 'abcd', ['spec.x: Too long: may not be more than 3 bytes']],
    ['maxLength counts runes', { type: 'string', maxLength: 3 }, 'héé', []],
    ['maxLength counts astral runes once', { type: 'string', maxLength: 1 }, '😀', []],
    ['minLength', { type: 'string', minLength: 2 }, 'a', ['spec.x: Invalid value: "a": spec.x in body should be at least 2 chars long']],
    ['pattern', { type: 'string', pattern: '^[a-z]+$' }, 'A1', ['spec.x: Invalid value: "A1": spec.x in body should match \'^[a-z]+$\'']],
    ['pattern is unanchored', { type: 'string', pattern: '[0-9]' }, 'a1b', []],
    ['maxLength wins over pattern', { type: 'string', maxLength: 1, pattern: '^a$' }, 'bb', ['spec.x: Too long: may not be more than 1 bytes']],
    ['enum', { type: 'string', enum: ['ollama', 'vllm'] }, 'foo', ['spec.x: Unsupported value: "foo": supported values: "ollama", "vllm"']],
    ['enum numbers', { type: 'integer', enum: [1, 2] }, 3, ['spec.x: Unsupported value: 3: supported values: "1", "2"']],
    ['enum null', { type: 'string', nullable: true, enum: ['a'] }, null, ['spec.x: Unsupported value: "null": supported values: "a"']],
    ['minItems', { type: 'array', minItems: 1, items: { type: 'string' } }, [], ['spec.x: Invalid value: 0: spec.x in body should have at least 1 items']],
    ['maxItems', { type: 'array', maxItems: 1, items: { type: 'string' } }, ['a', 'b'], ['spec.x: Too many: 2: must have at most 1 items']],
    ['uniqueItems', { type: 'array', uniqueItems: true, items: { type: 'string' } }, ['a', 'a'], ['spec.x: Invalid value: "": spec.x in body shouldn\'t contain duplicates']],
    ['items', { type: 'array', items: { type: 'integer' } }, [1, 'a'], ['spec.x[1]: Invalid value: "string": spec.x[1] in body must be of type integer: "string"']],
    ['minProperties', { type: 'object', minProperties: 1, additionalProperties: { type: 'string' } }, {}, ['spec.x: Invalid value: 0: spec.x in body should have at least 1 properties']],
    ['maxProperties', { type: 'object', maxProperties: 1, additionalProperties: { type: 'string' } }, { a: 'a', b: 'b' }, ['spec.x: Too many: 2: must have at most 1 items']],
    ['additionalProperties schema', { type: 'object', additionalProperties: { type: 'string' } }, { k: 1 }, ['spec.x.k: Invalid value: "integer": spec.x.k in body must be of type string: "integer"']],
    ['additionalProperties false', { type: 'object', properties: { a: { type: 'string' } }, additionalProperties: false }, { b: 'x' }, ['spec.x: Invalid value: "b": spec.x.b in body is a forbidden property']],
    ['required', { type: 'object', required: ['name'], properties: { name: { type: 'string' } } }, {}, ['spec.x.name: Required value']],
    ['format uri', { type: 'string', format: 'uri' }, 'not a uri', ['spec.x: Invalid value: "not a uri": spec.x in body must be of type uri: "not a uri"']],
    ['format date-time', { type: 'string', format: 'date-time' }, '2024-13-01T00:00:00Z', ['spec.x: Invalid value: "2024-13-01T00:00:00Z": spec.x in body must be of type date-time: "2024-13-01T00:00:00Z"']],
    ['format date-time ok', { type: 'string', format: 'date-time' }, '2024-02-29T12:00:00.5+02:00', []],
    ['unsupported format ignored', { type: 'string', format: 'k8s-name' }, '!!', []],
    ['format with wrong type', { type: 'string', format: 'date-time' }, 5, ['spec.x: Invalid value: "int64": spec.x in body must be of type date-time: "int64"']],
    ['anyOf', { type: 'integer', anyOf: [{ minimum: 5 }, { maximum: 1 }] }, 3, [
      '<nil>: Invalid value: "": "spec.x" must validate at least one schema (anyOf)',
      'spec.x: Invalid value: 3: spec.x in body should be greater than or equal to 5',
    ]],
    ['oneOf both', { type: 'integer', oneOf: [{ minimum: 1 }, { maximum: 10 }] }, 5, ['<nil>: Invalid value: "": "spec.x" must validate one and only one schema (oneOf). Found 2 valid alternatives']],
    ['allOf', { type: 'integer', allOf: [{ minimum: 5 }] }, 3, [
      'spec.x: Invalid value: 3: spec.x in body should be greater than or equal to 5',
      '<nil>: Invalid value: "": "spec.x" must validate all the schemas (allOf). None validated',
    ]],
    ['not', { type: 'string', not: { enum: ['forbidden'] } }, 'forbidden', ['<nil>: Invalid value: "": "spec.x" must not validate the schema (not)']],
  ])('%s', (_name, schema, value, want) => {
    expect(errorsFor(schema, value)).toEqual(want);
  });

  it('reports a missing required field at the root level without a leading dot', () => {
    const s: StructuralSchema = { type: 'object', required: ['spec'], properties: { spec: { type: 'object' } } };
    expect(validateOpenAPI(s, {}).map(formatFieldError)).toEqual(['spec: Required value']);
  });

  it('validates the int-or-string anyOf pattern generators emit for quantities', () => {
    const q: StructuralSchema = {
      'x-kubernetes-int-or-string': true,
      anyOf: [{ type: 'integer' }, { type: 'string' }],
      pattern: '^(\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))))?$',
    };
    expect(errorsFor(q, '1Gi')).toEqual([]);
    expect(errorsFor(q, 2)).toEqual([]);
    expect(errorsFor(q, '1 GB')).toHaveLength(1);
  });
});

describe('ratcheting on update', () => {
  it('drops errors of values unchanged since the old object', () => {
    expect(errorsFor({ type: 'string', maxLength: 3 }, 'abcd', 'abcd')).toEqual([]);
    expect(errorsFor({ type: 'string', maxLength: 3 }, 'abcde', 'abcd')).toEqual(['spec.x: Too long: may not be more than 3 bytes']);
  });

  it('correlates list-type=map items by key, not position', () => {
    const x: StructuralSchema = {
      type: 'array', 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['name'],
      items: { type: 'object', required: ['name'], properties: { name: { type: 'string' }, port: { type: 'integer', maximum: 10 } } },
    };
    const old = [{ name: 'a', port: 99 }];
    expect(errorsFor(x, [{ name: 'b', port: 1 }, { name: 'a', port: 99 }], old)).toEqual([]);
    expect(errorsFor(x, [{ name: 'b', port: 99 }, { name: 'a', port: 99 }], old)).toEqual([
      'spec.x[0].port: Invalid value: 99: spec.x[0].port in body should be less than or equal to 10',
    ]);
  });
});
