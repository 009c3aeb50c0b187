import { describe, expect, it } from 'vitest';
import { validateCrd } from './crd-validation.js';
import type { KObject } from './types.js';

function crd(versions: Record<string, unknown>[], overrides: Record<string, unknown> = {}): KObject {
  return {
    apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition',
    metadata: { name: 'widgets.example.dev' },
    spec: { group: 'example.dev', scope: 'Namespaced', names: { plural: 'widgets', kind: 'Widget' }, versions, ...overrides },
  } as KObject;
}
const schema = (props: Record<string, unknown>) => ({ openAPIV3Schema: { type: 'object', properties: props } });
const v1 = { name: 'v1', served: true, storage: true, schema: schema({ spec: { type: 'object' } }) };

describe('validateCrd', () => {
  it('accepts a well-formed CRD', () => {
    expect(validateCrd(crd([v1]))).toEqual([]);
  });

  it('reports a property without a type under spec.validation for a single version', () => {
    const causes = validateCrd(crd([{ ...v1, schema: schema({ spec: { properties: { a: { type: 'string' } } } }) }]));
    expect(causes).toContainEqual({
      reason: 'FieldValueRequired', field: 'spec.validation.openAPIV3Schema.properties[spec].type', message: 'Required value: must not be empty for specified object fields',
    });
  });

  it('reports a CEL rule naming an undefined field', () => {
    const bad = { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', properties: { a: { type: 'string' } }, 'x-kubernetes-validations': [{ rule: 'self.nope == 1' }] } } } };
    const causes = validateCrd(crd([{ ...v1, schema: bad }]));
    expect(causes.map((c) => c.field)).toContain('spec.validation.openAPIV3Schema.properties[spec].x-kubernetes-validations[0].rule');
  });

  it('names the version when schemas differ', () => {
    const v2 = { name: 'v2', served: true, storage: false, schema: schema({ spec: { properties: {} } }) };
    const causes = validateCrd(crd([v1, v2]));
    expect(causes.map((c) => c.field)).toContain('spec.versions[1].schema.openAPIV3Schema.properties[spec].type');
  });

  it('checks names, scope and the storage version', () => {
    const obj = crd([{ ...v1, storage: false }], { scope: 'Global', names: { plural: 'gadgets', kind: '' } });
    const fields = validateCrd(obj).map((c) => `${c.reason} ${c.field}`);
    expect(fields).toEqual(expect.arrayContaining([
      'FieldValueRequired spec.names.kind', 'FieldValueInvalid metadata.name', 'FieldValueNotSupported spec.scope', 'FieldValueInvalid spec.versions',
    ]));
  });

  it('checks printer columns', () => {
    const cols = [{ name: 'A', type: 'text', jsonPath: 'spec.a' }, { name: 'B', type: 'string' }];
    const causes = validateCrd(crd([{ ...v1, additionalPrinterColumns: cols }]));
    expect(causes).toEqual([
      { reason: 'FieldValueInvalid', field: 'spec.additionalPrinterColumns[0].type', message: 'Invalid value: "text": must be one of boolean,date,integer,number,string' },
      { reason: 'FieldValueInvalid', field: 'spec.additionalPrinterColumns[0].jsonPath', message: 'Invalid value: "spec.a": must be a simple json path starting with .' },
      { reason: 'FieldValueRequired', field: 'spec.additionalPrinterColumns[1].JSONPath', message: 'Required value' },
    ]);
  });
});
