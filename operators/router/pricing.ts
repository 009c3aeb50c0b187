import type { LaneProvider, Price } from '../lanepolicy/spec.js';
import type { Usage } from './canonical.js';

/** Price of one provider model: a lane entry for this provider first, then for the model alone. Local models cost nothing unless priced. */
export function priceFor(prices: Price[], provider: LaneProvider, model: string): Price | undefined {
  return prices.find((p) => p.model === model && p.provider === provider.name)
    ?? prices.find((p) => p.model === model && p.provider === undefined);
}

export function costUSD(price: Price | undefined, usage: Usage): number {
  if (!price) return 0;
  return (usage.inputTokens * price.inputUSDPerMTok + usage.outputTokens * price.outputUSDPerMTok) / 1_000_000;
}
