import { describe, expect, it } from 'vitest';
import { capStructured, capText } from './cap.js';

describe('capStructured', () => {
  it('leaves a small answer alone', () => {
    const v = { items: [1, 2, 3] };
    expect(capStructured(v)).toEqual({ value: v, cuts: [] });
  });

  it('halves the largest array until the answer fits, and names the cut', () => {
    const items = Array.from({ length: 1000 }, (_, i) => ({ name: `item-${i}`, pad: 'x'.repeat(100) }));
    const { value, cuts } = capStructured({ kind: 'Pod', items, notes: [] }, 20_000);
    expect(Buffer.byteLength(JSON.stringify(value))).toBeLessThanOrEqual(20_000);
    expect(value.items[0]).toEqual(items[0]);
    expect(value.items.length).toBeLessThan(1000);
    expect(cuts).toEqual([`items: 1000 -> ${value.items.length}`]);
    expect(items).toHaveLength(1000);
  });

  it('cuts a long string when no array can shrink', () => {
    const { value, cuts } = capStructured({ flow: 'f', mermaid: 'y'.repeat(50_000) }, 10_000);
    expect(Buffer.byteLength(JSON.stringify(value))).toBeLessThanOrEqual(10_000);
    expect(value.mermaid.endsWith('… [truncated]')).toBe(true);
    expect(cuts[0]).toMatch(/^mermaid: 50000 -> \d+ characters$/);
  });
});

describe('capText', () => {
  it('cuts on a character boundary and marks the cut', () => {
    const t = capText('é'.repeat(100), 51);
    expect(Buffer.byteLength(t)).toBeLessThanOrEqual(51);
    expect(t.endsWith('… [truncated]')).toBe(true);
    expect(capText('short', 51)).toBe('short');
  });
});
