import type { LaneProvider } from '../model/lanes/spec.js';
import type { Usage } from './canonical.js';

/** USD for a usage at a provider's price (spec.providers[].costPerMillionTokens); unpriced is free. */
export function costUSD(provider: Pick<LaneProvider, 'price'>, usage: Usage): number {
  const p = provider.price;
  if (!p) return 0;
  return (usage.inputTokens * p.input + usage.outputTokens * p.output) / 1_000_000;
}
