import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { copyJson } from './json-copy.js';

describe('copyJson', () => {
  it('equals structuredClone for any JSON value, and shares nothing with the original', () => {
    fc.assert(fc.property(fc.jsonValue(), (v) => {
      const c = copyJson(v);
      expect(c).toStrictEqual(structuredClone(v));
      if (typeof v === 'object' && v !== null) expect(c).not.toBe(v);
    }), { numRuns: 300 });
  });

  it('copies nested objects and arrays rather than referencing them', () => {
    const v = { metadata: { labels: { a: '1' } }, spec: { list: [{ x: 1 }] } };
    const c = copyJson(v);
    c.metadata.labels.a = '2';
    c.spec.list[0].x = 2;
    c.spec.list.push({ x: 3 });
    expect(v).toEqual({ metadata: { labels: { a: '1' } }, spec: { list: [{ x: 1 }] } });
  });

  it('keeps a key named "__proto__" as data without touching the prototype', () => {
    const v = JSON.parse('{"__proto__": {"polluted": true}, "a": 1}') as Record<string, unknown>;
    const c = copyJson(v);
    expect(Object.getPrototypeOf(c)).toBe(Object.prototype);
    expect(Object.keys(c)).toEqual(['__proto__', 'a']);
    expect(Object.getOwnPropertyDescriptor(c, '__proto__')?.value).toEqual({ polluted: true });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('keeps undefined values, and objects with a null prototype come back plain', () => {
    const bare = Object.assign(Object.create(null) as Record<string, unknown>, { k: 'v' });
    const c = copyJson({ a: undefined, list: [undefined, 1], bare });
    expect(Object.keys(c)).toEqual(['a', 'list', 'bare']);
    expect(c.list).toEqual([undefined, 1]);
    expect(Object.getPrototypeOf(c.bare)).toBe(Object.prototype);
    expect(c.bare).toEqual({ k: 'v' });
  });

  it('leaves values that are not JSON to structuredClone (a Date stays a Date)', () => {
    const when = new Date('2026-12-04T10:00:00Z');
    const c = copyJson({ when, bytes: new Uint8Array([1, 2]) });
    expect(c.when).toBeInstanceOf(Date);
    expect(c.when).not.toBe(when);
    expect(c.when.getTime()).toBe(when.getTime());
    expect(c.bytes).toEqual(new Uint8Array([1, 2]));
  });

  it('copies nesting deeper than its own recursion goes, as deep as structuredClone does (1,500 levels)', () => {
    let v: Record<string, unknown> = { leaf: true };
    for (let i = 0; i < 1500; i++) v = { a: v, i };
    const c = copyJson(v);
    let depth = 0;
    let x = c;
    let y = v;
    for (; x.a; x = x.a as Record<string, unknown>, y = y.a as Record<string, unknown>) {
      expect(x).not.toBe(y);
      expect(x.i).toBe(y.i);
      depth++;
    }
    expect(depth).toBe(1500);
    expect(x).toEqual({ leaf: true });
  });
});
