import { describe, expect, it } from 'vitest';
import { rewriteOptionalSelection } from './cel-optional.js';
import { formatFieldError } from './errors.js';
import { compileSchema } from './index.js';
import type { StructuralSchema } from './types.js';

describe('rewriteOptionalSelection', () => {
  it.each([
    ['self.a > 0', 'self.a > 0'],
    ['self.?a.orValue(1)', 'optional.field(self, "a").orValue(1)'],
    ['self.?a.?b.orValue(1)', 'optional.field(optional.field(self, "a"), "b").orValue(1)'],
    ['self.x.?a.b.hasValue()', 'optional.field(optional.field(self.x, "a"), "b").hasValue()'],
    ['f(self).?a.value()', 'optional.field(f(self), "a").value()'],
    ['self.l[0].?a.orValue("")', 'optional.field(self.l[0], "a").orValue("")'],
    ["'a.?b' + self.?c.orValue('')", "'a.?b' + optional.field(self, \"c\").orValue('')"],
  ])('%s', (src, want) => {
    expect(rewriteOptionalSelection(src)).toBe(want);
  });
});

describe('optional field selection in rules', () => {
  const schema: StructuralSchema = {
    type: 'object',
    properties: {
      spec: {
        type: 'object',
        'x-kubernetes-validations': [{ rule: 'self.?limits.?maxTurns.orValue(10) <= 50', message: 'at most 50 turns' }],
        properties: { limits: { type: 'object', properties: { maxTurns: { type: 'integer' } } } },
      },
    },
  };
  const c = compileSchema(schema);

  it.each<[unknown, string[]]>([
    [{}, []],
    [{ limits: {} }, []],
    [{ limits: { maxTurns: 20 } }, []],
    [{ limits: { maxTurns: 60 } }, ['spec: Invalid value: "object": at most 50 turns']],
  ])('%j', (spec, want) => {
    expect(c.validate({ spec }).map(formatFieldError)).toEqual(want);
  });
});
