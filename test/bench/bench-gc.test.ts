import { describe, expect, it } from 'vitest';
import { countGc, fullGc, gcDelta } from './bench-gc.js';

describe('bench-gc', () => {
  it('gives the pauses between two readings and the later reading\'s longest pause', () => {
    const a = { minor: 3, minorMs: 4.5, major: 1, majorMs: 10, maxMs: 9 };
    const b = { minor: 7, minorMs: 10.5, major: 2, majorMs: 25, maxMs: 15 };
    expect(gcDelta(a, b)).toEqual({ minor: 4, minorMs: 6, major: 1, majorMs: 15, maxMs: 15 });
  });

  it('counts a full collection (fullGc, without --expose-gc) as a mark-compact, and starts the longest pause over at each reading', async () => {
    const read = countGc();
    const before = read();
    fullGc();
    let after = read();
    // perf_hooks hands gc entries to the observer a tick or more after the pause.
    while (after.major === before.major) {
      await new Promise((r) => setTimeout(r, 10));
      after = read();
    }
    expect(after.major).toBe(before.major + 1);
    expect(after.majorMs).toBeGreaterThan(before.majorMs);
    expect(after.maxMs).toBeGreaterThan(0);
    expect(read().maxMs).toBe(0);
  });
});
