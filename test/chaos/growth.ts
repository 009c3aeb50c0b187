// Whether a series sampled once a minute (RSS, heap) keeps growing or levels off (pure).

export interface GrowthVerdict { growing: boolean; firstHalf: number; secondHalf: number }

/**
 * Growth that does not level off: over the second half of the samples the series still rose by
 * more than `minGrowth` and by more than half of what it rose over the first half (warm-up, caches
 * filling, JIT). Fewer than 4 samples cannot tell and are never flagged.
 */
export function growthVerdict(samples: number[], minGrowth: number): GrowthVerdict {
  if (samples.length < 4) return { growing: false, firstHalf: 0, secondHalf: 0 };
  const mid = Math.floor(samples.length / 2);
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  // Means of the first two and last two samples of each half damp the GC sawtooth.
  const start = mean(samples.slice(0, 2));
  const middle = mean(samples.slice(mid - 1, mid + 1));
  const end = mean(samples.slice(-2));
  const firstHalf = middle - start;
  const secondHalf = end - middle;
  return { growing: secondHalf > minGrowth && secondHalf > firstHalf / 2, firstHalf, secondHalf };
}
