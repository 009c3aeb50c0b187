import { afterEach, describe, expect, it, vi } from 'vitest';
import { nowRfc3339 } from './duration.js';

describe('nowRfc3339', () => {
  afterEach(() => { vi.useRealTimers(); });

  it('formats a given time to the second', () => {
    expect(nowRfc3339(new Date('2026-12-03T16:04:05.678Z'))).toBe('2026-12-03T16:04:05Z');
  });

  it('follows the clock from one second to the next', () => {
    vi.useFakeTimers();
    vi.setSystemTime(new Date('2026-12-03T16:04:05.001Z'));
    expect(nowRfc3339()).toBe('2026-12-03T16:04:05Z');
    vi.setSystemTime(new Date('2026-12-03T16:04:05.999Z'));
    expect(nowRfc3339()).toBe('2026-12-03T16:04:05Z');
    vi.setSystemTime(new Date('2026-12-03T16:04:06.000Z'));
    expect(nowRfc3339()).toBe('2026-12-03T16:04:06Z');
    vi.setSystemTime(new Date('2025-01-01T00:00:00.500Z'));
    expect(nowRfc3339()).toBe('2025-01-01T00:00:00Z');
  });
});
