import { describe, expect, it } from 'vitest';
import { canAcquire, microTime } from './leader.js';
import { backoffDelay } from './backoff.js';
import { formatBytes, parseQuantity } from './quantity.js';

describe('leader election decisions', () => {
  it('acquires a free, own or expired lease only', () => {
    expect(canAcquire(undefined, 'a', 0, 0, 15_000)).toBe(true);
    expect(canAcquire({ holderIdentity: '' }, 'a', 0, 0, 15_000)).toBe(true);
    expect(canAcquire({ holderIdentity: 'a' }, 'a', 0, 1, 15_000)).toBe(true);
    expect(canAcquire({ holderIdentity: 'b' }, 'a', 1000, 15_999, 15_000)).toBe(false);
    expect(canAcquire({ holderIdentity: 'b' }, 'a', 1000, 16_000, 15_000)).toBe(true);
  });

  it('formats MicroTime with six fractional digits', () => {
    expect(microTime(Date.UTC(2026, 0, 2, 3, 4, 5, 678))).toBe('2026-01-02T03:04:05.678000Z');
  });
});

describe('backoffDelay', () => {
  it('doubles up to the cap with half jitter', () => {
    const o = { baseMs: 100, maxMs: 1000 };
    expect(backoffDelay(0, { ...o, random: () => 0 })).toBe(50);
    expect(backoffDelay(3, { ...o, random: () => 0.999999 })).toBeCloseTo(800, 0);
    expect(backoffDelay(50, { ...o, random: () => 0 })).toBe(500);
  });
});

describe('quantities', () => {
  it.each([
    ['12Gi', 12 * 2 ** 30], ['500m', 0.5], ['1k', 1000], ['1e3', 1000], ['8192Mi', 8 * 2 ** 30], [4, 4], ['.5', 0.5],
  ] as const)('parseQuantity(%j)', (q, want) => {
    expect(parseQuantity(q)).toBeCloseTo(want);
  });
  it('rejects nonsense with a clear message', () => {
    expect(() => parseQuantity('12 GB')).toThrow(/invalid quantity "12 GB"/);
  });
  it('formats bytes for people', () => {
    expect(formatBytes(12 * 2 ** 30)).toBe('12 GiB');
    expect(formatBytes(1.5 * 2 ** 20)).toBe('1.5 MiB');
  });
});
