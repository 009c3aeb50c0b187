import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PatchError } from './errors.js';
import { applyJsonPatch, escapePointerToken, MAX_JSON_PATCH_OPERATIONS, parsePointer } from './json-patch.js';

function failure(fn: () => unknown): PatchError {
  try {
    fn();
  } catch (e) {
    if (e instanceof PatchError) return e;
    throw e;
  }
  throw new Error('expected a PatchError');
}

describe('applyJsonPatch (RFC 6902)', () => {
  // RFC 6902 appendix A.
  it.each<[string, unknown, unknown[], unknown]>([
    ['A.1 add an object member', { foo: 'bar' }, [{ op: 'add', path: '/baz', value: 'qux' }], { baz: 'qux', foo: 'bar' }],
    ['A.2 add an array element', { foo: ['bar', 'baz'] }, [{ op: 'add', path: '/foo/1', value: 'qux' }], { foo: ['bar', 'qux', 'baz'] }],
    ['A.3 remove an object member', { baz: 'qux', foo: 'bar' }, [{ op: 'remove', path: '/baz' }], { foo: 'bar' }],
    ['A.4 remove an array element', { foo: ['bar', 'qux', 'baz'] }, [{ op: 'remove', path: '/foo/1' }], { foo: ['bar', 'baz'] }],
    ['A.5 replace a value', { baz: 'qux', foo: 'bar' }, [{ op: 'replace', path: '/baz', value: 'boo' }], { baz: 'boo', foo: 'bar' }],
    [
      'A.6 move a value',
      { foo: { bar: 'baz', waldo: 'fred' }, qux: { corge: 'grault' } },
      [{ op: 'move', from: '/foo/waldo', path: '/qux/thud' }],
      { foo: { bar: 'baz' }, qux: { corge: 'grault', thud: 'fred' } },
    ],
    ['A.7 move an array element', { foo: ['all', 'grass', 'cows', 'eat'] }, [{ op: 'move', from: '/foo/1', path: '/foo/3' }], { foo: ['all', 'cows', 'eat', 'grass'] }],
    [
      'A.8 test a value',
      { baz: 'qux', foo: ['a', 2, 'c'] },
      [
        { op: 'test', path: '/baz', value: 'qux' },
        { op: 'test', path: '/foo/1', value: 2 },
      ],
      { baz: 'qux', foo: ['a', 2, 'c'] },
    ],
    ['A.10 add a nested member object', { foo: 'bar' }, [{ op: 'add', path: '/child', value: { grandchild: {} } }], { foo: 'bar', child: { grandchild: {} } }],
    ['A.11 ignore unrecognized elements', { foo: 'bar' }, [{ op: 'add', path: '/baz', value: 'qux', xyz: 123 }], { foo: 'bar', baz: 'qux' }],
    ['A.14 ~ escape ordering', { '/': 9, '~1': 10 }, [{ op: 'test', path: '/~01', value: 10 }], { '/': 9, '~1': 10 }],
    ['A.16 add an array value', { foo: ['bar'] }, [{ op: 'add', path: '/foo/-', value: ['abc', 'def'] }], { foo: ['bar', ['abc', 'def']] }],
    ['copy', { a: { b: 1 } }, [{ op: 'copy', from: '/a', path: '/c' }], { a: { b: 1 }, c: { b: 1 } }],
    ['replace the whole document', { a: 1 }, [{ op: 'replace', path: '', value: { b: 2 } }], { b: 2 }],
    ['add a label with a / in its key', { metadata: { labels: {} } }, [{ op: 'add', path: '/metadata/labels/app.kubernetes.io~1name', value: 'x' }], { metadata: { labels: { 'app.kubernetes.io/name': 'x' } } }],
    ['test for an absent member with null (evanphx/json-patch)', { a: 1 }, [{ op: 'test', path: '/b', value: null }], { a: 1 }],
  ])('%s', (_name, doc, ops, want) => {
    expect(applyJsonPatch(doc, ops)).toEqual(want);
  });

  it.each<[string, unknown, unknown[]]>([
    ['A.9 failed test', { baz: 'qux' }, [{ op: 'test', path: '/baz', value: 'bar' }]],
    ['A.12 add to a nonexistent target', { foo: 'bar' }, [{ op: 'add', path: '/baz/bat', value: 'qux' }]],
    ['A.15 comparing strings and numbers', { '/': 9, '~1': 10 }, [{ op: 'test', path: '/~01', value: '10' }]],
    ['remove a missing member', { metadata: {} }, [{ op: 'remove', path: '/spec/affinity' }]],
    ['replace a missing member', {}, [{ op: 'replace', path: '/a', value: 1 }]],
    ['array index past the end', { a: [1] }, [{ op: 'add', path: '/a/2', value: 1 }]],
    ['leading zero index', { a: [1, 2] }, [{ op: 'remove', path: '/a/01' }]],
    ['"-" outside add', { a: [1] }, [{ op: 'remove', path: '/a/-' }]],
    ['unknown op', {}, [{ op: 'frobnicate', path: '/a' }]],
    ['missing path', {}, [{ op: 'add', value: 1 }]],
    ['pointer without a leading slash', {}, [{ op: 'add', path: 'a', value: 1 }]],
    ['bad escape', {}, [{ op: 'add', path: '/a~2', value: 1 }]],
    ['move into a child of itself', { a: { b: {} } }, [{ op: 'move', from: '/a', path: '/a/b/c' }]],
    ['copy from a missing member', {}, [{ op: 'copy', from: '/x', path: '/y' }]],
  ])('%s is the generic 422 Invalid kube-apiserver answers', (_name, doc, ops) => {
    const err = failure(() => applyJsonPatch(doc, ops));
    expect(err.code).toBe(422);
    expect(err.detail).toMatch(/^operation \d+ /);
    expect(err.toStatus()).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'the server rejected our request due to an error in our request',
      reason: 'Invalid',
      details: {},
      code: 422,
    });
  });

  it.each<[string, unknown]>([
    ['an object', { op: 'add', path: '/a', value: 1 }],
    ['a string', 'add'],
    ['a list of non-objects', [1]],
  ])('a patch that is %s is a 400 BadRequest', (_name, ops) => {
    const err = failure(() => applyJsonPatch({}, ops));
    expect(err.code).toBe(400);
    expect(err.reason).toBe('BadRequest');
    expect(err.message).toMatch(/^json: cannot unmarshal /);
  });

  it('refuses more operations than kube-apiserver with 413', () => {
    const ops = Array.from({ length: MAX_JSON_PATCH_OPERATIONS + 1 }, () => ({ op: 'test', path: '', value: {} }));
    const err = failure(() => applyJsonPatch({}, ops));
    expect(err.code).toBe(413);
    expect(err.message).toBe(`The allowed maximum operations in a JSON patch is 10000, got 10001`);
  });

  it('bounds how much copy may grow the document', () => {
    const ops = Array.from({ length: 40 }, () => ({ op: 'copy', from: '/a', path: '/a/-' }));
    expect(failure(() => applyJsonPatch({ a: ['x'.repeat(100)] }, ops, { maxCopyBytes: 1_000_000 })).code).toBe(422);
  });

  it('is atomic: a failing operation leaves the input untouched', () => {
    const doc = { a: 1 };
    expect(() => applyJsonPatch(doc, [{ op: 'add', path: '/b', value: 2 }, { op: 'test', path: '/a', value: 2 }])).toThrow(PatchError);
    expect(doc).toEqual({ a: 1 });
  });

  it('escapes and parses pointer tokens', () => {
    expect(parsePointer('/a~1b/c~0d/~01')).toEqual(['a/b', 'c~d', '~1']);
    fc.assert(fc.property(fc.array(fc.string()), (tokens) => {
      const pointer = tokens.map((t) => '/' + escapePointerToken(t)).join('');
      expect(parsePointer(pointer)).toEqual(tokens);
    }));
  });

  it('add then remove of a new member round-trips', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), fc.string(), fc.jsonValue(), (doc, key, value) => {
        fc.pre(!Object.prototype.hasOwnProperty.call(doc, key));
        const path = '/' + escapePointerToken(key);
        const added = applyJsonPatch(doc, [{ op: 'add', path, value }]);
        expect(applyJsonPatch(added, [{ op: 'test', path, value }])).toEqual(added);
        expect(applyJsonPatch(added, [{ op: 'remove', path }])).toEqual(doc);
      }),
    );
  });

  it('inserting into a list then removing at the same index round-trips', () => {
    fc.assert(
      fc.property(fc.array(fc.jsonValue()), fc.nat(), fc.jsonValue(), (list, n, value) => {
        const i = n % (list.length + 1);
        const added = applyJsonPatch({ l: list }, [{ op: 'add', path: `/l/${i}`, value }]);
        expect(applyJsonPatch(added, [{ op: 'remove', path: `/l/${i}` }])).toEqual({ l: list });
      }),
    );
  });
});
