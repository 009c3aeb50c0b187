import { describe, expect, it } from 'vitest';
import { laneUsage, laneUsageText } from './lane-usage.js';

describe('laneUsage', () => {
  it('adds up tokens and reads the budget, the exceeded condition and provider health', () => {
    const [e] = laneUsage([{
      kind: 'LanePolicy', metadata: { name: 'personal' },
      spec: { budget: { period: 'Monthly', maxCostUSD: '20.00' } },
      status: {
        namespaceCount: 2,
        spend: { periodStart: '2025-01-01T00:00:00Z', costUSD: '20.500000', percentOfBudget: 102, promptTokens: 1000, completionTokens: 500, requests: 7, fallbacks: 1 },
        providers: [{ name: 'claude', locality: 'cloud', ready: true }, { name: 'gemini', locality: 'cloud', ready: false, lastError: 'HTTP 401' }],
        conditions: [{ type: 'BudgetExceeded', status: 'True' }],
      },
    }]);
    expect(e).toMatchObject({ lane: 'personal', totalTokens: 1500, requests: 7, budgetExceeded: true, maxCostUSD: '20.00', namespaces: 2 });
    expect(laneUsageText([e])).toBe('personal: $20.500000 of $20.00 monthly (102%) EXCEEDED; 1500 tokens in 7 requests, 1 fallbacks; providers claude, gemini (not ready)');
  });

  it('reads a lane with no status as zero spend', () => {
    expect(laneUsage([{ kind: 'LanePolicy', metadata: { name: 'new' } }])[0]).toMatchObject({ costUSD: '0', totalTokens: 0, providers: [] });
  });
});
