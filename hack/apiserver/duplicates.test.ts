import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { duplicateFields } from './duplicates.js';

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
