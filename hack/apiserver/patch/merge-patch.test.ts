import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PatchError } from './errors.js';
import { applyMergePatch } from './merge-patch.js';

// RFC 7386 appendix A.
const RFC_EXAMPLES: [unknown, unknown, unknown][] = [
  [{ a: 'b' }, { a: 'c' }, { a: 'c' }],
  [{ a: 'b' }, { b: 'c' }, { a: 'b', b: 'c' }],
  [{ a: 'b' }, { a: null }, {}],
  [{ a: 'b', b: 'c' }, { a: null }, { b: 'c' }],
  [{ a: ['b'] }, { a: 'c' }, { a: 'c' }],
  [{ a: 'c' }, { a: ['b'] }, { a: ['b'] }],
  [{ a: { b: 'c' } }, { a: { b: 'd', c: null } }, { a: { b: 'd' } }],
  [{ a: [{ b: 'c' }] }, { a: [1] }, { a: [1] }],
  [['a', 'b'], ['c', 'd'], ['c', 'd']],
  [{ a: 'b' }, ['c'], ['c']],
  [{ a: 'foo' }, null, null],
  [{ a: 'foo' }, 'bar', 'bar'],
  [{ e: null }, { a: 1 }, { e: null, a: 1 }],
  [[1, 2], { a: 'b', c: null }, { a: 'b' }],
  [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
];

const json = fc.jsonValue();

describe('applyMergePatch (RFC 7386)', () => {
  it.each(RFC_EXAMPLES)('%j + %j = %j', (target, patch, want) => {
    expect(applyMergePatch(target, patch)).toEqual(want);
  });

  it('merges metadata the way kubectl patch --type=merge does', () => {
    const pod = { metadata: { name: 'p', labels: { a: '1', b: '2' } }, spec: { containers: [{ name: 'c', image: 'x' }] } };
    expect(applyMergePatch(pod, { metadata: { labels: { b: null, c: '3' } }, spec: { containers: [{ name: 'c', image: 'y' }] } })).toEqual({
      metadata: { name: 'p', labels: { a: '1', c: '3' } },
      spec: { containers: [{ name: 'c', image: 'y' }] },
    });
  });

  it('treats "__proto__" as an ordinary key', () => {
    const out = applyMergePatch({}, JSON.parse('{"__proto__": {"polluted": true}}')) as Record<string, unknown>;
    expect(Object.keys(out)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('rejects a missing patch as a bad request', () => {
    expect(() => applyMergePatch({}, undefined)).toThrow(PatchError);
  });

  it('is idempotent', () => {
    fc.assert(
      fc.property(json, json, (target, patch) => {
        const once = applyMergePatch(target, patch);
        expect(applyMergePatch(once, patch)).toEqual(once);
      }),
    );
  });

  it('never modifies its arguments', () => {
    fc.assert(
      fc.property(json, json, (target, patch) => {
        const t = structuredClone(target);
        const p = structuredClone(patch);
        applyMergePatch(target, patch);
        expect(target).toEqual(t);
        expect(patch).toEqual(p);
      }),
    );
  });

  it('a patch without nulls is contained in the result', () => {
    const noNulls = fc.dictionary(fc.string(), fc.oneof(fc.string(), fc.integer(), fc.boolean()));
    fc.assert(
      fc.property(fc.dictionary(fc.string(), json), noNulls, (target, patch) => {
        const out = applyMergePatch(target, patch) as Record<string, unknown>;
        for (const k of Object.keys(patch)) expect(out[k]).toEqual(patch[k]);
      }),
    );
  });
});
