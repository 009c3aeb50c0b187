import { describe, expect, it } from 'vitest';
import { flowUsage } from './usage.js';

const router = (p: number, c: number, cost: number) => ({ promptTokens: p, completionTokens: c, costUSD: cost, requests: 1, fallbacks: 0 });

describe('flowUsage', () => {
  it('sums child AgentRuns and the router usage of the flow token, with cost', () => {
    expect(flowUsage({
      agentRuns: [{ promptTokens: 100, completionTokens: 20, totalTokens: 120, costUSD: '0.001200' }, { totalTokens: 30, costUSD: '0.000300' }, undefined],
      router: router(40, 10, 0.0005), callNodes: [{ id: 'm', totalTokens: 50 }],
    })).toEqual({ promptTokens: 140, completionTokens: 30, totalTokens: 200, costUSD: '0.002000' });
  });

  it('counts the model nodes\' tokens until the router has written the flow\'s usage', () => {
    expect(flowUsage({ agentRuns: [], callNodes: [{ id: 'm', totalTokens: 15 }, { id: 'v', totalTokens: 5 }] })).toEqual({ totalTokens: 20, costUSD: '0.000000' });
    expect(flowUsage({ agentRuns: [], router: router(0, 0, 0), callNodes: [{ id: 'm', totalTokens: 15 }] })).toEqual({ totalTokens: 15, costUSD: '0.000000' });
  });

  it('is undefined before any token was used, and ignores garbled figures', () => {
    expect(flowUsage({ agentRuns: [], callNodes: [] })).toBeUndefined();
    expect(flowUsage({ agentRuns: [{ totalTokens: 10, costUSD: 'n/a' }], callNodes: [] })).toEqual({ totalTokens: 10, costUSD: '0.000000' });
  });
});
