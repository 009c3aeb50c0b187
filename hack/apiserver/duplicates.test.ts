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

  it('reports what the straightforward scan reports, on documents with duplicated keys', () => {
    // JSON with keys repeated: each object's entries are written out twice when `twice` is set.
    const write = (v: unknown, twice: boolean): string => {
      if (Array.isArray(v)) return `[${v.map((x) => write(x, twice)).join(',')}]`;
      if (v !== null && typeof v === 'object') {
        const entries = Object.entries(v).map(([k, x]) => `${JSON.stringify(k)}:${write(x, twice)}`);
        return `{${(twice ? [...entries, ...entries.slice(0, 1)] : entries).join(',')}}`;
      }
      return JSON.stringify(v);
    };
    fc.assert(fc.property(fc.jsonValue(), fc.boolean(), (v, twice) => {
      const text = write(v, twice);
      expect(duplicateFields(text)).toEqual(referenceDuplicateFields(text));
    }));
  });

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

/** The first implementation (a path per container, keys copied character by character), kept as the reference. */
function referenceDuplicateFields(text: string): string[] {
  interface Frame { array: boolean; path: string; keys: Set<string>; expectKey: boolean; index: number; key: string }
  const childPath = (f: Frame): string => (f.array ? `${f.path}[${f.index}]` : f.path ? `${f.path}.${f.key}` : f.key);
  const dups: string[] = [];
  const stack: Frame[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    const top = stack[stack.length - 1];
    if (c === '"') {
      let j = i + 1; let s = '';
      while (j < text.length && text[j] !== '"') {
        if (text[j] === '\\') { s += text.slice(j, j + 2); j += 2; } else { s += text[j]; j++; }
      }
      if (top && !top.array && top.expectKey) {
        const key = JSON.parse(`"${s}"`) as string;
        if (top.keys.has(key)) dups.push(top.path ? `${top.path}.${key}` : key);
        top.keys.add(key);
        top.key = key;
        top.expectKey = false;
      }
      i = j;
    } else if (c === '{' || c === '[') {
      stack.push({ array: c === '[', path: top ? childPath(top) : '', keys: new Set(), expectKey: c === '{', index: 0, key: '' });
    } else if (c === '}' || c === ']') {
      stack.pop();
    } else if (c === ',' && top) {
      if (top.array) top.index++; else top.expectKey = true;
    }
  }
  return dups;
}
