import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatFieldError } from './errors.js';
import { checkSchema, compileSchema } from './index.js';
import { deepEqual } from './json.js';
import type { StructuralSchema } from './types.js';

const schema: StructuralSchema = {
  type: 'object',
  properties: {
    spec: {
      type: 'object',
      'x-kubernetes-validations': [
        { rule: '!has(self.replicas) || self.replicas <= 10', message: 'at most 10' },
        { rule: '!has(self.name) || !has(oldSelf.name) || self.name == oldSelf.name', message: 'immutable' },
      ],
      properties: {
        name: { type: 'string', maxLength: 8, pattern: '^[a-z]*$' },
        replicas: { type: 'integer', minimum: 0, default: 1 },
        runtime: { type: 'string', enum: ['ollama', 'vllm'], default: 'ollama' },
        ratio: { type: 'number', nullable: true },
        tags: { type: 'array', 'x-kubernetes-list-type': 'set', items: { type: 'string' } },
        env: { type: 'object', additionalProperties: { type: 'string', default: 'x' } },
        nested: { type: 'object', default: {}, properties: { on: { type: 'boolean', default: true } } },
        free: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
      },
    },
  },
};
const compiled = compileSchema(schema);
const declared = Object.keys(schema.properties!.spec.properties!);

/** Specs mixing declared fields (with well- and ill-typed values) and arbitrary extra keys. */
const specArb = fc.dictionary(
  fc.oneof(fc.constantFrom(...declared), fc.string({ maxLength: 6 })),
  fc.jsonValue({ maxDepth: 3 }),
  { maxKeys: 10 },
);

describe('properties', () => {
  it('prune never removes a declared field and is idempotent', () => {
    fc.assert(
      fc.property(specArb, (spec) => {
        const { object, unknownFields } = compiled.prune({ spec });
        const out = (object as { spec: Record<string, unknown> }).spec;
        for (const k of Object.keys(spec)) {
          if (declared.includes(k) && spec[k] !== null) expect(Object.hasOwn(out, k)).toBe(true);
          if (!declared.includes(k)) expect(unknownFields).toContain(`spec.${k}`);
        }
        const again = compiled.prune(object);
        expect(again.unknownFields).toEqual([]);
        expect(again.object).toEqual(object);
      }),
      { numRuns: 300 },
    );
  });

  it('defaulting is idempotent and never changes values that are present', () => {
    fc.assert(
      fc.property(specArb, (spec) => {
        const once = compiled.applyDefaults({ spec }) as { spec: Record<string, unknown> };
        expect(deepEqual(compiled.applyDefaults(once), once)).toBe(true);
        for (const [k, v] of Object.entries(spec)) {
          if (v !== null && k !== 'env' && k !== 'nested') expect(once.spec[k]).toEqual(v);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('validate never throws on arbitrary JSON, on create or update, and its errors format', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), specArb, fc.option(specArb), (anything, spec, oldSpec) => {
        const objs = [{ spec: anything }, { spec }, { spec, extra: anything }];
        for (const o of objs) {
          const errs = oldSpec === null ? compiled.validate(o) : compiled.validate(o, { spec: oldSpec });
          for (const e of errs) expect(typeof formatFieldError(e)).toBe('string');
        }
      }),
      { numRuns: 300 },
    );
  });

  it('an update that changes nothing reports no schema error and no failed rule (ratcheting)', () => {
    fc.assert(
      fc.property(specArb, (spec) => {
        const obj = compiled.applyDefaults(compiled.prune({ spec }).object);
        // Only rules that cannot be evaluated (type mismatches at runtime) are still reported, as in kube-apiserver.
        for (const e of compiled.validate(obj, obj)) expect(e.detail).toMatch(/evaluating rule|call arguments did not match/);
      }),
      { numRuns: 200 },
    );
  });
});

/** Schema-shaped JSON with keywords of right and wrong types, nested a few levels. */
const KEYWORDS = [
  'type', 'format', 'nullable', 'default', 'enum', 'maximum', 'minimum', 'exclusiveMinimum', 'multipleOf', 'maxLength', 'minLength',
  'pattern', 'maxItems', 'minItems', 'uniqueItems', 'maxProperties', 'minProperties', 'required', 'x-kubernetes-preserve-unknown-fields',
  'x-kubernetes-int-or-string', 'x-kubernetes-embedded-resource', 'x-kubernetes-list-type', 'x-kubernetes-list-map-keys', 'x-kubernetes-map-type',
];
const { schemaArb } = fc.letrec((tie) => ({
  schemaArb: fc.dictionary(
    fc.constantFrom(...KEYWORDS, 'properties', 'items', 'additionalProperties', 'allOf', 'anyOf', 'not', 'x-kubernetes-validations'),
    fc.oneof(
      { depthSize: 'small' },
      fc.constantFrom('object', 'array', 'string', 'integer', 'number', 'boolean', 'date-time', 'map', 'set', '^[a-z]+$', '(?=x)'),
      fc.jsonValue({ maxDepth: 1 }),
      fc.dictionary(fc.string({ maxLength: 3 }), tie('schemaArb'), { maxKeys: 3 }),
      fc.array(tie('schemaArb'), { maxLength: 2 }),
      tie('schemaArb'),
      fc.array(fc.record({ rule: fc.constantFrom('self.a > 0', 'has(self.b)', 'self == oldSelf', 'size(self) < 3', '!!'), message: fc.string({ maxLength: 5 }) }), { maxLength: 2 }),
    ),
    { maxKeys: 5 },
  ),
}));

describe('arbitrary schemas', () => {
  it('treats a missing schema as an empty one: all but apiVersion, kind and metadata is pruned', () => {
    const c = compileSchema(undefined as unknown as object);
    expect(c.admit({ kind: 'X', spec: { a: 1 } })).toEqual({ object: { kind: 'X' }, unknownFields: ['spec'], errors: [] });
  });

  it('compileSchema, prune, applyDefaults, validate and checkSchema never throw', () => {
    fc.assert(
      fc.property(schemaArb, fc.jsonValue({ maxDepth: 3 }), fc.jsonValue({ maxDepth: 3 }), (schema, spec, oldSpec) => {
        const s = { type: 'object', properties: { spec: schema } };
        checkSchema(s);
        const c = compileSchema(s);
        const obj = c.applyDefaults(c.prune({ spec }).object);
        c.validate(obj);
        c.validate(obj, { spec: oldSpec });
      }),
      { numRuns: 400 },
    );
  });
});
