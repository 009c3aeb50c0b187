import { describe, expect, it } from 'vitest';
import { formatRoundRatios, roundRatios } from './round-ratios.js';

describe('roundRatios', () => {
  it('gives the median and quartiles of the per-round ratios', () => {
    const r = roundRatios([10, 12, 14, 30], [10, 10, 10, 10]);
    expect(r!.median).toBeCloseTo(1.3);
    expect(r).toMatchObject({ q1: 1, q3: 1.4, rounds: 4 });
    expect(formatRoundRatios(r)).toBe('1.30x (quartiles 1.00-1.40x, 4 rounds)');
  });

  it('is not moved by one outlying round, unlike the ratio of the totals', () => {
    const router = [13, 13, 13, 13, 100];
    const bare = [10, 10, 10, 10, 10];
    expect(roundRatios(router, bare)!.median).toBeCloseTo(1.3);
    expect(router.reduce((s, x) => s + x) / bare.reduce((s, x) => s + x)).toBeGreaterThan(2.9);
  });

  it('skips rounds without a figure and says n/a when none is left', () => {
    expect(roundRatios([5, 6], [0, 3])).toEqual({ median: 2, q1: 2, q3: 2, rounds: 1 });
    expect(roundRatios([], [])).toBeUndefined();
    expect(formatRoundRatios(undefined)).toBe('n/a');
  });
});
