import { describe, expect, it } from 'vitest';
import { compileSchema, strictDecodingMessage, unknownFieldWarning } from './index.js';
import type { StructuralSchema } from './types.js';

const schema: StructuralSchema = {
  type: 'object',
  properties: {
    spec: {
      type: 'object',
      properties: {
        name: { type: 'string' },
        replicas: { type: 'integer', default: 1 },
        note: { type: 'string', nullable: true },
        items: { type: 'array', items: { type: 'object', properties: { id: { type: 'string' } } } },
        labels: { type: 'object', additionalProperties: { type: 'object', properties: { v: { type: 'string' } } } },
        free: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true, properties: { known: { type: 'object', properties: { a: { type: 'string' } } } } },
        template: { type: 'object', 'x-kubernetes-embedded-resource': true, properties: { spec: { type: 'object', properties: { x: { type: 'string' } } } } },
      },
    },
    status: { type: 'object', properties: { phase: { type: 'string' } } },
  },
};

describe('prune', () => {
  const c = compileSchema(schema);

  it('drops undeclared fields and reports their paths sorted', () => {
    const { object, unknownFields } = c.prune({
      apiVersion: 'agentlab.dev/v1alpha1', kind: 'X', metadata: { name: 'x' },
      spec: { name: 'a', bogus: 1, items: [{ id: 'i', extra: true }], labels: { k: { v: 'x', w: 'y' } } },
      extraTop: 1,
    });
    expect(object).toEqual({
      apiVersion: 'agentlab.dev/v1alpha1', kind: 'X', metadata: { name: 'x' },
      spec: { name: 'a', items: [{ id: 'i' }], labels: { k: { v: 'x' } } },
    });
    expect(unknownFields).toEqual(['extraTop', 'spec.bogus', 'spec.items[0].extra', 'spec.labels.k.w']);
  });

  it('keeps unknown fields under x-kubernetes-preserve-unknown-fields but prunes inside declared properties', () => {
    const { object, unknownFields } = c.prune({ spec: { free: { anything: { deep: 1 }, known: { a: 'x', b: 'y' } } } });
    expect(object).toEqual({ spec: { free: { anything: { deep: 1 }, known: { a: 'x' } } } });
    expect(unknownFields).toEqual(['spec.free.known.b']);
  });

  it('keeps apiVersion/kind/metadata of embedded resources and coerces their metadata', () => {
    const { object, unknownFields } = c.prune({
      spec: { template: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', labels: { a: 'b' }, bogus: 1 }, spec: { x: 'y', z: 1 } } },
    });
    expect(object).toEqual({ spec: { template: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', labels: { a: 'b' } }, spec: { x: 'y' } } } });
    expect(unknownFields).toEqual(['spec.template.metadata.bogus', 'spec.template.spec.z']);
  });

  it('drops unknown ObjectMeta fields at the root, including inside ownerReferences', () => {
    const { object, unknownFields } = c.prune({
      metadata: { name: 'x', clusterName: 'c', ownerReferences: [{ apiVersion: 'v1', kind: 'K', name: 'n', uid: 'u', color: 'red' }] },
    });
    expect(object).toEqual({ metadata: { name: 'x', ownerReferences: [{ apiVersion: 'v1', kind: 'K', name: 'n', uid: 'u' }] } });
    expect(unknownFields).toEqual(['metadata.clusterName', 'metadata.ownerReferences[0].color']);
  });

  it('drops non-nullable nulls without a default, keeps nullable ones and those with a default', () => {
    const { object } = c.prune({ spec: { name: null, note: null, replicas: null } });
    expect(object).toEqual({ spec: { note: null, replicas: null } });
    expect(c.applyDefaults(object)).toEqual({ spec: { note: null, replicas: 1 } });
  });

  it('treats a "__proto__" key as ordinary data', () => {
    const input = JSON.parse('{"spec":{"__proto__":{"polluted":true},"labels":{"__proto__":{"v":"x"}}}}') as object;
    const { object, unknownFields } = c.prune(input);
    expect(unknownFields).toEqual(['spec.__proto__']);
    expect(JSON.stringify(object)).toBe('{"spec":{"labels":{"__proto__":{"v":"x"}}}}');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('does not modify its input', () => {
    const input = { spec: { bogus: 1 } };
    c.prune(input);
    expect(input).toEqual({ spec: { bogus: 1 } });
  });

  it('admit runs prune, default and validate in the apiserver order', () => {
    const out = c.admit({ spec: { bogus: 1, replicas: null, name: 5 } });
    expect(out.unknownFields).toEqual(['spec.bogus']);
    expect(out.object).toEqual({ spec: { name: 5, replicas: 1 } });
    expect(out.errors.map((e) => e.field)).toEqual(['spec.name']);
  });

  it('formats the Warning header and the Strict error like the apiserver', () => {
    expect(unknownFieldWarning('spec.foo')).toBe('unknown field "spec.foo"');
    expect(strictDecodingMessage(['spec.a', 'spec.b'])).toBe('strict decoding error: unknown field "spec.a", unknown field "spec.b"');
  });
});
