import { describe, expect, it } from 'vitest';
import { ApiError } from './errors.js';
import { budgetsFor, parseEviction, spendDisruption } from './eviction.js';
import type { KObject } from './types.js';

const pod = { metadata: { name: 'p', labels: { app: 'a' } } } as KObject;
const pdb = (status: Record<string, unknown>, selector: unknown = { matchLabels: { app: 'a' } }) =>
  ({ metadata: { name: 'budget', generation: 1 }, spec: { selector }, status }) as KObject;

function refusal(fn: () => unknown): ApiError {
  try { fn(); } catch (err) { if (err instanceof ApiError) return err; throw err; }
  throw new Error('expected an ApiError');
}

describe('eviction', () => {
  it('selects budgets by label; a budget without a selector protects nothing', () => {
    expect(budgetsFor([pdb({}), pdb({}, null), pdb({}, { matchLabels: { app: 'b' } }), pdb({}, {})], pod)).toHaveLength(2);
  });

  it('spends one disruption and records the pod', () => {
    const status = spendDisruption(pdb({ observedGeneration: 1, disruptionsAllowed: 2 }), 'p', '2026-01-01T00:00:00Z');
    expect(status).toMatchObject({ disruptionsAllowed: 1, disruptedPods: { p: '2026-01-01T00:00:00Z' } });
  });

  it('refuses with 429 when no disruption is allowed', () => {
    const err = refusal(() => spendDisruption(pdb({ observedGeneration: 1, disruptionsAllowed: 0, desiredHealthy: 1, currentHealthy: 1 }), 'p', ''));
    expect(err.status).toMatchObject({ code: 429, reason: 'TooManyRequests', message: "Cannot evict pod as it would violate the pod's disruption budget." });
    expect(err.status.details?.causes).toEqual([{ reason: 'DisruptionBudget', message: 'The disruption budget budget needs 1 healthy pods and has 1 currently' }]);
  });

  it('refuses with 429 and Retry-After while the budget status has not observed its generation', () => {
    const err = refusal(() => spendDisruption(pdb({ disruptionsAllowed: 1 }), 'p', ''));
    expect(err.code).toBe(429);
    expect(err.headers['Retry-After']).toBe('10');
  });

  it('requires an Eviction naming the pod', () => {
    expect(refusal(() => parseEviction({ kind: 'Eviction', metadata: { name: 'q' } }, 'p', () => ({ dryRun: false }))).status.message)
      .toBe('name in URL does not match name in Eviction object');
    expect(refusal(() => parseEviction({ kind: 'Pod' }, 'p', () => ({ dryRun: false }))).code).toBe(400);
  });
});
