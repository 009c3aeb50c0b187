import { describe, expect, it } from 'vitest';
import { formatFieldError } from './errors.js';
import { validateListSetsAndMaps } from './listtype.js';
import type { StructuralSchema } from './types.js';

const schema: StructuralSchema = {
  type: 'object',
  properties: {
    spec: {
      type: 'object',
      properties: {
        tags: { type: 'array', 'x-kubernetes-list-type': 'set', items: { type: 'string' } },
        ports: {
          type: 'array', 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['name'],
          items: { type: 'object', properties: { name: { type: 'string' }, port: { type: 'integer' } } },
        },
        pairs: {
          type: 'array', 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['a', 'b'],
          items: { type: 'object', properties: { a: { type: 'string' }, b: { type: 'integer' } } },
        },
        byName: { type: 'object', additionalProperties: { type: 'array', 'x-kubernetes-list-type': 'set', items: { type: 'integer' } } },
      },
    },
  },
};

function errs(spec: unknown): string[] {
  return validateListSetsAndMaps('', schema, { spec }).map(formatFieldError);
}

describe('x-kubernetes-list-type', () => {
  it.each<[string, unknown, string[]]>([
    ['set without duplicates', { tags: ['a', 'b'] }, []],
    ['set duplicate reported once, at the second occurrence', { tags: ['a', 'b', 'a', 'a'] }, ['spec.tags[2]: Duplicate value: "a"']],
    ['set of numbers distinguishes types', { byName: { k: [1, 2, 1] } }, ['spec.byName[k][2]: Duplicate value: 1']],
    ['map with unique keys', { ports: [{ name: 'http', port: 80 }, { name: 'https', port: 443 }] }, []],
    ['map duplicate key', { ports: [{ name: 'http', port: 80 }, { name: 'http', port: 81 }] }, ['spec.ports[1]: Duplicate value: map[string]interface {}{"name":"http"}']],
    ['map missing keys collide', { ports: [{ port: 80 }, { port: 81 }] }, ['spec.ports[1]: Duplicate value: map[string]interface {}{}']],
    ['map with two keys', { pairs: [{ a: 'x', b: 1 }, { a: 'x', b: 2 }, { a: 'x', b: 1 }] }, ['spec.pairs[2]: Duplicate value: map[string]interface {}{"a":"x", "b":1}']],
    ['map items must be objects', { ports: ['x'] }, ['spec.ports[0]: Invalid value: "x": must be an object for an array of list-type map']],
  ])('%s', (_n, spec, want) => {
    expect(errs(spec)).toEqual(want);
  });
});
