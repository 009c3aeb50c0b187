import { describe, expect, it } from 'vitest';
import { durationSeconds } from './duration.js';

describe('durationSeconds', () => {
  it.each([
    ['10s', 10], ['1h30m', 5400], ['500ms', 1], ['1500ms', 2], ['24h', 86_400], ['0s', 1], ['2m5s', 125],
  ])('%s = %i s', (text, want) => expect(durationSeconds(text)).toBe(want));
});
