import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { formatFieldError } from './errors.js';
import { checkSchema } from './structural.js';

function problems(schema: unknown): string[] {
  return checkSchema(schema).map(formatFieldError);
}

const obj = (properties: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({ type: 'object', properties, ...extra });

describe('checkSchema', () => {
  it('accepts a well-formed schema', () => {
    expect(problems(obj({
      metadata: { type: 'object', properties: { name: { type: 'string', maxLength: 20 } } },
      spec: obj({
        port: { 'x-kubernetes-int-or-string': true },
        free: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
        size: { 'x-kubernetes-int-or-string': true, anyOf: [{ type: 'integer' }, { type: 'string' }], pattern: '^[0-9]+$' },
        ports: {
          type: 'array', 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['name'],
          items: obj({ name: { type: 'string' } }, { required: ['name'] }),
        },
      }, { 'x-kubernetes-validations': [{ rule: 'self.ports.all(p, p.name != "")' }] }),
    }))).toEqual([]);
  });

  it.each<[string, unknown, string[]]>([
    ['root must be an object', { type: 'string' }, ['openAPIV3Schema.type: Invalid value: "string": must be object at the root']],
    ['fields need a type', obj({ spec: {} }), ['openAPIV3Schema.properties[spec].type: Required value: must not be empty for specified object fields']],
    ['items need a type', obj({ l: { type: 'array', items: {} } }), ['openAPIV3Schema.properties[l].items.type: Required value: must not be empty for specified array items']],
    ['arrays need items', obj({ l: { type: 'array' } }), ['openAPIV3Schema.properties[l].items: Required value: must be specified']],
    ['unknown type', obj({ a: { type: 'date' } }), ['openAPIV3Schema.properties[a].type: Unsupported value: "date": supported values: "array", "boolean", "integer", "number", "object", "string"']],
    ['int-or-string without type', obj({ a: { type: 'string', 'x-kubernetes-int-or-string': true } }), ['openAPIV3Schema.properties[a].type: Invalid value: "string": must be empty if x-kubernetes-int-or-string is true']],
    ['properties and additionalProperties', obj({ a: { type: 'object', properties: { b: { type: 'string' } }, additionalProperties: { type: 'string' } } }), ['openAPIV3Schema.properties[a].additionalProperties: Forbidden: additionalProperties and properties are mutual exclusive']],
    ['uniqueItems', obj({ a: { type: 'array', items: { type: 'string' }, uniqueItems: true } }), ['openAPIV3Schema.properties[a].uniqueItems: Forbidden: uniqueItems cannot be set to true since the runtime complexity becomes quadratic']],
    ['type inside anyOf', obj({ a: { type: 'string', anyOf: [{ type: 'string' }] } }), ['openAPIV3Schema.properties[a].anyOf[0].type: Forbidden: must be empty to be structural']],
    ['$ref', obj({ a: { $ref: '#/x' } }), ['openAPIV3Schema.properties[a].$ref: Forbidden: $ref is not supported', 'openAPIV3Schema.properties[a].type: Required value: must not be empty for specified object fields']],
    ['list-type map without keys', obj({ a: { type: 'array', 'x-kubernetes-list-type': 'map', items: obj({}) } }), ['openAPIV3Schema.properties[a].x-kubernetes-list-map-keys: Required value: must not be empty if x-kubernetes-list-type is map']],
    ['map keys must be required or defaulted', obj({ a: { type: 'array', 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['k'], items: obj({ k: { type: 'string' } }) } }), ['openAPIV3Schema.properties[a].items.properties[k].default: Required value: this property is in x-kubernetes-list-map-keys, so it must have a default or be a required property']],
    ['bad pattern', obj({ a: { type: 'string', pattern: '^(?=x)' } }), ['openAPIV3Schema.properties[a].pattern: Invalid value: "^(?=x)": must be a valid regular expression, but isn\'t: error parsing regexp: invalid or unsupported Perl syntax: `(?=`']],
    ['invalid default', obj({ a: { type: 'integer', minimum: 1, default: 0 } }), ['openAPIV3Schema.properties[a].default: Invalid value: 0:  in body should be greater than or equal to 1']],
    ['default with unknown fields', obj({ a: { type: 'object', properties: { b: { type: 'string' } }, default: { b: 'x', c: 1 } } }), ['openAPIV3Schema.properties[a].default: Invalid value: map[string]interface {}{"b":"x", "c":1}: must not have unknown fields']],
    ['default failing a rule', obj({ a: { type: 'integer', default: 0, 'x-kubernetes-validations': [{ rule: 'self > 0', message: 'positive' }] } }), ['openAPIV3Schema.properties[a].default: Invalid value: "integer": positive']],
    ['default on root kind', obj({ kind: { type: 'string', default: 'X' } }), ['openAPIV3Schema.properties[kind].default: Forbidden: must not be set in top-level kind']],
    ['default in root metadata', obj({ metadata: { type: 'object', properties: { name: { type: 'string', default: 'x' } } } }), ['openAPIV3Schema.properties[metadata].properties[name].default: Forbidden: must not be set in top-level metadata']],
    ['metadata beyond name', obj({ metadata: obj({ labels: { type: 'object' } }) }), ['openAPIV3Schema.properties[metadata]: Forbidden: must not specify anything other than name and generateName, but metadata is implicitly specified']],
    ['a description on root metadata', obj({ metadata: { type: 'object', description: 'Standard object metadata.' } }), ['openAPIV3Schema.properties[metadata]: Forbidden: must not specify anything other than name and generateName, but metadata is implicitly specified']],
    ['metadata restricting name', obj({ metadata: obj({ name: { type: 'string', maxLength: 20 }, generateName: { type: 'string' } }) }), []],
    ['additionalProperties at the root', { type: 'object', additionalProperties: { type: 'string' } }, ['openAPIV3Schema.additionalProperties: Forbidden: must not be used at the root']],
    ['nested value validation keywords', obj({ a: { type: 'string', allOf: [{ description: 'x', nullable: true, 'x-kubernetes-validations': [{ rule: 'true' }] }] } }), [
      'openAPIV3Schema.properties[a].allOf[0].description: Forbidden: must be empty to be structural',
      'openAPIV3Schema.properties[a].allOf[0].nullable: Forbidden: must be false to be structural',
      'openAPIV3Schema.properties[a].allOf[0].x-kubernetes-validations: Forbidden: must be empty to be structural',
    ]],
    ['embedded resource without properties', obj({ t: { type: 'object', 'x-kubernetes-embedded-resource': true } }), ['openAPIV3Schema.properties[t].properties: Required value: must not be empty if x-kubernetes-embedded-resource is true without x-kubernetes-preserve-unknown-fields']],
  ])('%s', (_name, schema, want) => {
    expect(problems(schema)).toEqual(want);
  });

  it('reports keywords of the wrong JSON type instead of failing', () => {
    expect(problems(obj({ a: { type: 'string', maxLength: '5' }, b: { type: 'array', items: [{ type: 'string' }] } }))).toEqual([
      'openAPIV3Schema.properties[a].maxLength: Invalid value: "5": must be a non-negative integer',
      'openAPIV3Schema.properties[b].items: Invalid value: []interface {}{map[string]interface {}{"type":"string"}}: must be a schema object and not an array',
    ]);
  });

  it('reports CEL rules that do not compile, including undefined fields', () => {
    const out = problems(obj({ spec: obj({ a: { type: 'integer' } }, { 'x-kubernetes-validations': [{ rule: 'self.a >' }, { rule: 'self.b > 0' }, { rule: 'self.a.c' }] }) }));
    expect(out).toHaveLength(3);
    expect(out[0]).toBe([
      'openAPIV3Schema.properties[spec].x-kubernetes-validations[0].rule: Invalid value: apiextensions.ValidationRule{Rule:"self.a >", Message:"", MessageExpression:"",',
      ' Reason:(*apiextensions.FieldValueErrorReason)(nil), FieldPath:"", OptionalOldSelf:(*bool)(nil)}: compilation failed: ERROR: <input>:1:8: Syntax error: found > but expecting end of input\n',
      ' | self.a >\n',
      ' | .......^',
    ].join(''));
    expect(out[1]).toContain("undefined field 'b'");
    expect(out[2]).toContain("type 'int' does not support field selection");
  });

  it('refuses transition rules below list items that cannot be correlated', () => {
    const rule = { rule: 'self == oldSelf', message: 'immutable' };
    const list = (listType?: string) => obj({ spec: obj({ l: {
      type: 'array', 'x-kubernetes-list-type': listType, 'x-kubernetes-list-map-keys': listType === 'map' ? ['k'] : undefined,
      items: obj({ k: { type: 'string', 'x-kubernetes-validations': [rule] } }, { required: ['k'] }),
    } }) });
    expect(problems(list('map'))).toEqual([]);
    expect(problems(list('atomic'))).toEqual([
      'openAPIV3Schema.properties[spec].properties[l].items.properties[k].x-kubernetes-validations[0].rule: Invalid value: "self == oldSelf": oldSelf cannot be used on the uncorrelatable portion of the schema within openAPIV3Schema.properties[spec].properties[l]',
    ]);
  });

  it('checks fieldPath and optionalOldSelf of rules', () => {
    const out = problems(obj({ spec: obj({ a: { type: 'integer' } }, { 'x-kubernetes-validations': [
      { rule: 'true', fieldPath: '.nope' },
      { rule: 'true', optionalOldSelf: true },
    ] }) }));
    expect(out).toEqual([
      'openAPIV3Schema.properties[spec].x-kubernetes-validations[0].fieldPath: Invalid value: ".nope": fieldPath must be a valid path',
    ]);
    // Rule compilation is only checked once the schema itself is valid.
    const fixed = problems(obj({ spec: obj({ a: { type: 'integer' } }, { 'x-kubernetes-validations': [{ rule: 'true', optionalOldSelf: true }] }) }));
    expect(fixed).toEqual([
      'openAPIV3Schema.properties[spec].x-kubernetes-validations[0].optionalOldSelf: Invalid value: true: may not be set if oldSelf is not used in rule',
    ]);
  });

  // Fails when a CRD in crds/ would be refused by kube-apiserver 1.32; the message names the field.
  it('accepts every CRD in crds/', () => {
    const dir = join(import.meta.dirname, '..', '..', 'crds');
    const files = readdirSync(dir).filter((f) => f.endsWith('.yaml'));
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) {
      for (const doc of parseAllDocuments(readFileSync(join(dir, f), 'utf8'))) {
        const crd = doc.toJS() as { kind?: string; spec: { versions: { schema: { openAPIV3Schema: unknown } }[] } };
        if (crd?.kind !== 'CustomResourceDefinition') continue;
        crd.spec.versions.forEach((v, i) => {
          const base = crd.spec.versions.length === 1 ? 'spec.validation.openAPIV3Schema' : `spec.versions[${i}].schema.openAPIV3Schema`;
          expect(checkSchema(v.schema.openAPIV3Schema, base).map(formatFieldError), f).toEqual([]);
        });
      }
    }
  });
});
