import { describe, expect, it } from 'vitest';
import { growthVerdict } from './growth.js';

describe('growthVerdict', () => {
  it.each([
    ['too few samples', [100, 200, 300], false],
    ['flat', [100, 101, 99, 100, 101, 100], false],
    ['warm-up that levels off', [100, 150, 180, 190, 191, 190, 192, 191], false],
    ['a steady leak', [100, 110, 120, 130, 140, 150, 160, 170], true],
    ['growth that speeds up', [100, 101, 102, 103, 120, 140, 160, 180], true],
    ['a small rise under the threshold', [100, 100, 100, 100, 101, 102, 103, 104], false],
  ])('%s', (_name, samples, growing) => {
    expect(growthVerdict(samples, 5).growing).toBe(growing);
  });
});
