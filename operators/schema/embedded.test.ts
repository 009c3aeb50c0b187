import { describe, expect, it } from 'vitest';
import { formatFieldError } from './errors.js';
import { compileSchema } from './index.js';
import type { StructuralSchema } from './types.js';

const schema: StructuralSchema = {
  type: 'object',
  properties: {
    spec: {
      type: 'object',
      properties: {
        manifests: {
          type: 'array',
          items: {
            type: 'object',
            'x-kubernetes-embedded-resource': true,
            'x-kubernetes-preserve-unknown-fields': true,
            'x-kubernetes-validations': [{ rule: "self.kind != 'Secret'", message: 'Secrets are not allowed here' }],
          },
        },
      },
    },
  },
};

describe('x-kubernetes-embedded-resource', () => {
  const c = compileSchema(schema);
  const errs = (manifests: unknown[]) => c.validate({ spec: { manifests } }).map(formatFieldError);

  it('accepts a complete embedded object and keeps its unknown fields', () => {
    const m = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { a: 'b' } };
    expect(c.prune({ spec: { manifests: [m] } }).object).toEqual({ spec: { manifests: [m] } });
    expect(errs([m])).toEqual([]);
  });

  it('requires apiVersion and kind (which then blocks the CEL rules)', () => {
    expect(errs([{ metadata: { name: 'x' } }])).toEqual([
      'spec.manifests[0].apiVersion: Required value: must not be empty',
      'spec.manifests[0].kind: Required value: must not be empty',
      '<nil>: Invalid value: "null": some validation rules were not checked because the object was invalid; correct the existing errors to complete validation',
    ]);
  });

  it('checks their types and shape', () => {
    expect(errs([{ apiVersion: 'a/b/c', kind: 'Config_Map' }])).toEqual([
      'spec.manifests[0].apiVersion: Invalid value: "a/b/c": unexpected GroupVersion string: a/b/c',
      'spec.manifests[0].kind: Invalid value: "Config_Map": may have mixed case, but should otherwise match: a DNS-1035 label must consist of lower case alphanumeric characters or \'-\', start with an alphabetic character, and end with an alphanumeric character (e.g. \'my-name\',  or \'abc-123\', regex used for validation is \'[a-z]([-a-z0-9]*[a-z0-9])?\')',
    ]);
  });

  it('exposes apiVersion and kind to CEL rules declared on the embedded object', () => {
    expect(errs([{ apiVersion: 'v1', kind: 'Secret' }])).toEqual(['spec.manifests[0]: Invalid value: "object": Secrets are not allowed here']);
  });
});
