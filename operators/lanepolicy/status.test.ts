import { describe, it, expect } from 'vitest';
import { laneStatus, providerHealth, budgetExceeded } from './status.js';
import { periodStart } from './period.js';
import { parseLaneSpec, type LaneSpec } from './spec.js';

const now = new Date('2026-11-22T10:00:00Z');
const lane = (budget: Partial<LaneSpec['budget']> = {}): LaneSpec => ({
  name: 'enterprise', namespaceSelector: {}, allowCloud: true,
  providers: [{ name: 'local', type: 'ollama', locality: 'local', baseURL: 'http://x', models: {} }],
  fallback: { on: ['ServerError'], maxAttempts: 2, firstTokenTimeoutMs: 1000 },
  budget: { period: 'Monthly', defaultMaxTokens: 100, ...budget }, prices: [], egress: { allowedCIDRs: [] }, logPrompts: false,
});
const healthy = [{ name: 'local', type: 'ollama', locality: 'local', healthy: true, reason: 'Configured', message: '' }];
const byType = (s: ReturnType<typeof laneStatus>) => Object.fromEntries(s.conditions.map((c) => [c.type, c]));

describe('periodStart', () => {
  it.each([
    ['Daily', '2026-11-22T00:00:00Z'],
    ['Weekly', '2026-11-16T00:00:00Z'], // 2026-11-22 is a Sunday; ISO weeks start Monday
    ['Monthly', '2026-11-01T00:00:00Z'],
  ] as const)('%s', (p, want) => expect(periodStart(p, now)).toBe(want));
});

describe('laneStatus', () => {
  it('is Ready with bound namespaces and healthy providers', () => {
    const s = laneStatus({ generation: 3, parsed: { ok: true, lane: lane() }, bound: ['b', 'a'], conflicts: [], providers: healthy, now });
    expect(s.boundNamespaces).toEqual(['a', 'b']);
    expect(s.observedGeneration).toBe(3);
    const c = byType(s);
    expect(c.Ready.status).toBe('True');
    expect(c.ProvidersReady.status).toBe('True');
    expect(c.BudgetExceeded.status).toBe('False');
    expect(c.Stalled).toBeUndefined();
  });

  it('is Stalled naming the conflicting namespace', () => {
    const s = laneStatus({ generation: 1, parsed: { ok: true, lane: lane() }, bound: [], conflicts: [{ namespace: 'health', otherLanes: ['personal'] }], providers: healthy, now });
    const c = byType(s);
    expect(c.Stalled).toMatchObject({ status: 'True', reason: 'NamespaceConflict' });
    expect(c.Stalled.message).toContain('namespace health is also matched by LanePolicy personal');
    expect(c.Ready.status).toBe('False');
    expect(s.conflictingNamespaces).toEqual(['health']);
  });

  it('is Stalled with every spec error', () => {
    const parsed = parseLaneSpec({ metadata: { name: 'p' }, spec: { namespaceSelector: {}, providers: [{ type: 'anthropic', secretRef: { name: 'k', namespace: 'x' } }] } });
    const s = laneStatus({ generation: 1, parsed, bound: [], conflicts: [], providers: [], now });
    expect(byType(s).Stalled.message).toContain('spec.providers[0]: cloud provider "anthropic" is not allowed when spec.allowCloud is false');
  });

  it('reports BudgetExceeded from the current period only', () => {
    const usage = { periodStart: '2026-11-01T00:00:00Z', costUSD: '10.5', inputTokens: 1, outputTokens: 1, requests: 1 };
    const s = laneStatus({ generation: 1, parsed: { ok: true, lane: lane({ maxCostUSD: 10 }) }, bound: [], conflicts: [], providers: healthy, previous: { usage }, now });
    expect(byType(s).BudgetExceeded.status).toBe('True');
    expect(byType(s).Ready).toMatchObject({ status: 'False', reason: 'BudgetExceeded' });
    expect(s.usage).toEqual(usage);
    expect(budgetExceeded(lane({ maxCostUSD: 10 }), { ...usage, periodStart: '2026-10-01T00:00:00Z' }, now)).toBeUndefined();
  });

  it('keeps lastTransitionTime while a condition holds', () => {
    const first = laneStatus({ generation: 1, parsed: { ok: true, lane: lane() }, bound: [], conflicts: [], providers: healthy, now });
    const later = laneStatus({ generation: 1, parsed: { ok: true, lane: lane() }, bound: [], conflicts: [], providers: healthy, previous: first, now: new Date('2026-11-22T11:00:00Z') });
    expect(byType(later).Ready.lastTransitionTime).toBe('2026-11-22T10:00:00Z');
  });
});

describe('providerHealth', () => {
  const ms = { name: 'ollama', type: 'ollama' as const, locality: 'local' as const, modelServerRef: { name: 'gpu', namespace: 'ai' }, models: {} };
  it.each([
    [{}, false, 'ModelServerNotFound'],
    [{ modelServer: { found: true, ready: false, message: 'pulling' } }, false, 'ModelServerNotReady'],
    [{ modelServer: { found: true, ready: true } }, true, 'ModelServerReady'],
  ])('ModelServer %j', (o, healthyWant, reason) => {
    expect(providerHealth(ms, o)).toMatchObject({ healthy: healthyWant, reason });
  });
  it('needs the key in the Secret', () => {
    const p = { name: 'claude', type: 'anthropic' as const, locality: 'cloud' as const, secretRef: { name: 'k', namespace: 'x', key: 'apiKey' }, models: {} };
    expect(providerHealth(p, { secret: { found: true, hasKey: false } })).toMatchObject({ healthy: false, message: 'Secret x/k has no key "apiKey"' });
  });
});
