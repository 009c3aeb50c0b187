import { describe, expect, it } from 'vitest';
import { compileSchema } from './index.js';
import type { StructuralSchema } from './types.js';

const schema: StructuralSchema = {
  type: 'object',
  properties: {
    spec: {
      type: 'object',
      default: {},
      properties: {
        runtime: { type: 'string', default: 'ollama' },
        cache: { type: 'object', default: { size: '20Gi' }, properties: { size: { type: 'string' }, storageClass: { type: 'string', default: 'local-path' } } },
        models: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' }, pull: { type: 'boolean', default: true } } } },
        env: { type: 'object', additionalProperties: { type: 'string', default: 'unset' } },
        nullableWithDefault: { type: 'string', nullable: true, default: 'd' },
      },
    },
  },
};

describe('applyDefaults', () => {
  const c = compileSchema(schema);

  it('fills absent fields, recursing into defaults it applied', () => {
    expect(c.applyDefaults({})).toEqual({
      spec: { runtime: 'ollama', cache: { size: '20Gi', storageClass: 'local-path' }, nullableWithDefault: 'd' },
    });
  });

  it('never overrides present values', () => {
    expect(c.applyDefaults({ spec: { runtime: 'vllm', cache: { size: '1Gi', storageClass: 'fast' }, nullableWithDefault: 'x' } })).toEqual({
      spec: { runtime: 'vllm', cache: { size: '1Gi', storageClass: 'fast' }, nullableWithDefault: 'x' },
    });
  });

  it('defaults inside list items and map values (a non-nullable null gets the default)', () => {
    const out = c.applyDefaults({ spec: { models: [{ name: 'a' }, { name: 'b', pull: false }], env: { A: null, B: 'b' } } }) as { spec: Record<string, unknown> };
    expect(out.spec.models).toEqual([{ name: 'a', pull: true }, { name: 'b', pull: false }]);
    expect(out.spec.env).toEqual({ A: 'unset', B: 'b' });
  });

  it('keeps null on a nullable field with a default', () => {
    const out = c.applyDefaults({ spec: { nullableWithDefault: null } }) as { spec: Record<string, unknown> };
    expect(out.spec.nullableWithDefault).toBeNull();
  });

  it('deep-copies defaults and returns a new object', () => {
    const input = {};
    const a = c.applyDefaults(input) as { spec: { cache: { size: string } } };
    a.spec.cache.size = 'changed';
    const b = c.applyDefaults(input) as { spec: { cache: { size: string } } };
    expect(b.spec.cache.size).toBe('20Gi');
    expect(input).toEqual({});
  });
});
