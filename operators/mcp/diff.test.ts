import { describe, expect, it } from 'vitest';
import { objectDiff } from './diff.js';

describe('objectDiff', () => {
  it('lists added, removed and changed fields of spec, labels and annotations, ignoring status and bookkeeping', () => {
    const before = { metadata: { name: 'm', resourceVersion: '1', labels: { a: '1', gone: 'x' } }, spec: { replicas: 1, models: [{ name: 'llama3.1:8b' }] }, status: { node: 'n' } };
    const after = { metadata: { name: 'm', resourceVersion: '2', labels: { a: '2' } }, spec: { replicas: 1, models: [{ name: 'llama3.1:8b' }, { name: 'qwen2.5:7b' }] }, status: { node: 'other' } };
    expect(objectDiff(before, after)).toEqual([
      '~ metadata.labels.a: "1" -> "2"',
      '- metadata.labels.gone: "x"',
      '+ spec.models[1].name: "qwen2.5:7b"',
    ]);
  });

  it('shows every field of a new object as added, and nothing for an unchanged one', () => {
    expect(objectDiff(undefined, { metadata: { name: 'x' }, spec: { a: 1 } })).toEqual(['+ spec.a: 1']);
    expect(objectDiff({ spec: { a: 1 } }, { spec: { a: 1 } })).toEqual([]);
  });

  it('caps the lines and says how many more', () => {
    const spec = Object.fromEntries(Array.from({ length: 150 }, (_, i) => [`f${String(i).padStart(3, '0')}`, i]));
    const d = objectDiff(undefined, { spec });
    expect(d).toHaveLength(101);
    expect(d[100]).toBe('… 50 more changed fields');
  });
});
