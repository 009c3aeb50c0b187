import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { duplicateFields, jsonDepth, valueDepth } from './duplicates.js';

describe('duplicateFields', () => {
  it.each([
    ['{"a":1,"b":2}', []],
    ['{"spec":{"size":1,"size":2}}', ['spec.size']],
    ['{"a":1,"a":{"b":1}}', ['a']],
    ['{"items":[{"n":1},{"n":1,"n":2}]}', ['items[1].n']],
    ['{"k":"a,\\"b\\"","k":"x"}', ['k']],
    ['{"x":{"a":1},"y":{"a":1}}', []],
  ])('%s', (text, want) => { expect(duplicateFields(text)).toEqual(want); });

  it('finds nothing in documents JSON.stringify produced', () => {
    fc.assert(fc.property(fc.jsonValue(), (v) => { expect(duplicateFields(JSON.stringify(v))).toEqual([]); }));
  });
});

describe('nesting depth', () => {
  it.each([['1', 0], ['{}', 1], ['{"a":[{"b":"[[["}]}', 3], ['[[[]],[]]', 3]])('%s -> %d', (text, want) => {
    expect(jsonDepth(text)).toBe(want);
    expect(valueDepth(JSON.parse(text))).toBe(want);
  });

  it('measures very deep documents without recursion', () => {
    expect(jsonDepth('['.repeat(100_000) + ']'.repeat(100_000))).toBe(100_000);
  });
});
