import { describe, expect, it } from 'vitest';
import { parseDuration } from './duration.js';

describe('parseDuration', () => {
  it.each([
    ['2m', 120_000], ['500ms', 500], ['1h30m', 5_400_000], ['90s', 90_000], ['1m1s1ms', 61_001], ['0s', 0],
    ['', undefined], ['2', undefined], ['2 m', undefined], ['-1s', undefined], ['1d', undefined], ['1.5s', undefined],
  ])('%j -> %s', (text, ms) => expect(parseDuration(text)).toBe(ms));
});
