import { describe, it, expect } from 'vitest';
import { laneReport, providerHealth, providerState, unservedModels, type ProviderHealth } from './status.js';
import { periodStart } from '../model/lanes/period.js';
import { parseLaneSpec, type LaneSpec } from '../model/lanes/spec.js';
import { addUsage, currentUsage, emptyUsage, usageFromData, usageToData } from '../model/lanes/usage.js';

const now = new Date('2026-11-22T10:00:00Z');
const lane = (budget: Partial<LaneSpec['budget']> = {}): LaneSpec => ({
  name: 'enterprise', namespaceSelector: {}, allowCloud: true,
  providers: [{ name: 'local', type: 'ollama', locality: 'local', baseURL: 'http://x', models: {} }],
  fallback: { on: ['ServerError'], maxAttempts: 2, firstTokenTimeoutMs: 1000 },
  budget: { period: 'Monthly', warnAtPercent: 80, onExceeded: 'LocalOnly', ...budget }, sensitiveData: 'LocalOnly',
  egress: { policy: 'DenyExternal', allowCIDRs: [] },
});
const healthy: ProviderHealth[] = [{ name: 'local', locality: 'local', ready: true }];
const usage = (costUSD = 0) => ({ ...emptyUsage('2026-11-01T00:00:00Z'), costUSD });
const cond = (r: ReturnType<typeof laneReport>, type: string) => r.conditions.find((c) => c.type === type);

describe('periodStart', () => {
  it.each([
    ['Daily', '2026-11-22T00:00:00Z'],
    ['Weekly', '2026-11-16T00:00:00Z'], // 2026-11-22 is a Sunday; ISO weeks start on Monday
    ['Monthly', '2026-11-01T00:00:00Z'],
  ] as const)('%s', (p, want) => expect(periodStart(p, now)).toBe(want));
});

describe('laneReport', () => {
  it('is ready with bound namespaces, healthy providers and spend', () => {
    const r = laneReport({ parsed: { ok: true, lane: lane({ maxCostUSD: 10 }) }, bound: ['b', 'a'], conflicts: [], providers: healthy, usage: usage(2.5) });
    expect(r.outcome).toMatchObject({ kind: 'ready', reason: 'LaneActive' });
    expect(r.fields).toMatchObject({ boundNamespaces: ['a', 'b'], namespaceCount: 2, spend: { costUSD: '2.50', percentOfBudget: 25 } });
    expect(cond(r, 'ProvidersReady')?.status).toBe('True');
    expect(cond(r, 'BudgetExceeded')?.status).toBe('False');
    expect(cond(r, 'BudgetWarning')?.status).toBe('False');
  });

  it('stalls naming the conflicting namespace', () => {
    const r = laneReport({ parsed: { ok: true, lane: lane() }, bound: [], conflicts: [{ namespace: 'health', otherLanes: ['personal'] }], providers: healthy, usage: usage() });
    expect(r.outcome).toMatchObject({ kind: 'stalled', reason: 'NamespaceConflict' });
    expect(r.outcome.message).toContain('namespace health is also selected by LanePolicy personal');
    expect(r.fields.conflictingNamespaces).toEqual(['health']);
  });

  it('stalls with every spec error', () => {
    const parsed = parseLaneSpec({ metadata: { name: 'p' }, spec: { namespaceSelector: {}, providers: [{ name: 'c', cloud: { provider: 'anthropic', secretRef: { name: 'k', namespace: 'x' } } }] } });
    const r = laneReport({ parsed, bound: [], conflicts: [], providers: [], usage: usage() });
    expect(r.outcome.kind).toBe('stalled');
    expect(r.outcome.message).toContain('spec.providers[0]: cloud provider "c" is not allowed when spec.allowCloud is false');
  });

  it('reports BudgetWarning and BudgetExceeded', () => {
    const warn = laneReport({ parsed: { ok: true, lane: lane({ maxCostUSD: 10 }) }, bound: [], conflicts: [], providers: healthy, usage: usage(8.5) });
    expect(cond(warn, 'BudgetWarning')).toMatchObject({ status: 'True', message: '85% of the budget spent (warning at 80%)' });
    const over = laneReport({ parsed: { ok: true, lane: lane({ maxCostUSD: 10, onExceeded: 'Block' }) }, bound: [], conflicts: [], providers: healthy, usage: usage(10) });
    expect(cond(over, 'BudgetExceeded')).toMatchObject({ status: 'True', reason: 'BudgetExhausted' });
    expect(over.outcome).toMatchObject({ kind: 'ready', reason: 'BudgetExceeded' });
  });

  it('fails (and retries) while no provider is ready', () => {
    const r = laneReport({ parsed: { ok: true, lane: lane() }, bound: [], conflicts: [], providers: [{ name: 'local', locality: 'local', ready: false, lastError: 'ModelServer ai/gpu not found' }], usage: usage() });
    expect(r.outcome).toEqual({ kind: 'failed', reason: 'NoProviderReady', message: 'local: ModelServer ai/gpu not found' });
    expect(cond(r, 'ProvidersReady')).toMatchObject({ status: 'False', reason: 'NoProviderReady' });
  });
});

describe('laneReport while model servers roll out', () => {
  const ms = { name: 'local-llama', type: 'ollama' as const, locality: 'local' as const, modelServerRef: { name: 'gpu', namespace: 'ai' }, models: {} };
  const claude = { name: 'claude', type: 'anthropic' as const, locality: 'cloud' as const, secretRef: { name: 'k', namespace: 'x', key: 'apiKey' }, models: {} };
  const report = (...providers: ReturnType<typeof providerState>[]) => laneReport({ parsed: { ok: true, lane: lane() }, bound: [], conflicts: [], providers, usage: usage() });

  it('is progress, not a failure, while the only provider\'s ModelServer is starting', () => {
    for (const o of [{ found: true, starting: true }, { found: true, starting: true, reason: 'Pulling', message: 'pulling llama3.1:8b 40%' }]) {
      const r = report(providerState(ms, { modelServer: o }));
      expect(r.outcome).toMatchObject({ kind: 'progressing', reason: 'ProvidersStarting' });
      expect(r.outcome.message).toMatch(/^waiting for local-llama \(ModelServer ai\/gpu is not Ready/);
      expect(cond(r, 'ProvidersReady')).toMatchObject({ status: 'False', reason: 'ProvidersStarting' });
      expect(r.fields.providers).toEqual([{ name: 'local-llama', locality: 'local', ready: false, lastError: `ModelServer ai/gpu is not Ready${o.message ? `: ${o.message}` : ''}` }]);
    }
  });

  it('stays progress while one provider starts and another is misconfigured', () => {
    const r = report(providerState(ms, { modelServer: { found: true, starting: true, reason: 'Deploying' } }), providerState(claude, { secret: { found: false, hasKey: false } }));
    expect(r.outcome).toMatchObject({ kind: 'progressing', reason: 'ProvidersStarting' });
  });

  it('fails with a Ready message that names the failing state, not its changing details (one Warning per transition)', () => {
    const failing = (message: string) => report(providerState(ms, { modelServer: { found: true, ready: false, starting: false, reason: 'PullFailed', message } }));
    const a = failing('pull of llama3.1:8b failed: connection reset; retrying with backoff');
    const b = failing('pull of llama3.1:8b failed: i/o timeout; retrying with backoff');
    expect(a.outcome).toEqual({ kind: 'failed', reason: 'NoProviderReady', message: 'local-llama: ModelServer ai/gpu is not Ready (PullFailed)' });
    expect(b.outcome).toEqual(a.outcome);
    expect((a.fields.providers as ProviderHealth[])[0].lastError).toContain('connection reset');
    expect(cond(a, 'ProvidersReady')).toMatchObject({ status: 'False', reason: 'NoProviderReady' });
    const missing = report(providerState(ms, { modelServer: { found: false } }));
    expect(missing.outcome).toEqual({ kind: 'failed', reason: 'NoProviderReady', message: 'local-llama: ModelServer ai/gpu not found' });
  });

  it('waits for a ModelServer that does not exist yet while the lane is new (lanes are often applied before their servers)', () => {
    const r = report(providerState(ms, { modelServer: { found: false } }, undefined, { awaitMissing: true }));
    expect(r.outcome).toEqual({ kind: 'progressing', reason: 'ProvidersStarting', message: 'waiting for local-llama (ModelServer ai/gpu not found)' });
  });
});

describe('usage', () => {
  it('round-trips through ConfigMap data and ignores other periods', () => {
    const u = addUsage(undefined, { costUSD: 0.5, promptTokens: 10, completionTokens: 5, requests: 1, fallbacks: 0 }, '2026-11-01T00:00:00Z');
    expect(usageFromData(usageToData(u))).toEqual(u);
    expect(currentUsage(u, lane({ period: 'Daily' }), now)).toEqual(emptyUsage('2026-11-22T00:00:00Z'));
    expect(addUsage(u, { costUSD: 1, promptTokens: 1, completionTokens: 1, requests: 1, fallbacks: 1 }, '2026-12-01T00:00:00Z').costUSD).toBe(1);
    expect(usageFromData({ periodStart: 'x', costUSD: 'NaN' })?.costUSD).toBe(0);
  });
});

describe('providerHealth', () => {
  const ms = { name: 'ollama', type: 'ollama' as const, locality: 'local' as const, modelServerRef: { name: 'gpu', namespace: 'ai' }, models: {} };
  it.each([
    [{}, false, 'ModelServer ai/gpu not found'],
    [{ modelServer: { found: true, ready: false, message: 'pulling' } }, false, 'ModelServer ai/gpu is not Ready: pulling'],
    [{ modelServer: { found: true, ready: true } }, true, undefined],
  ])('ModelServer %j', (o, ready, lastError) => {
    expect(providerHealth(ms, o)).toEqual({ name: 'ollama', locality: 'local', ready, ...(lastError ? { lastError } : {}) });
  });
  it('is not ready when the lane maps a name the vLLM server does not serve, naming it and the served names', () => {
    const vllm = { name: 'local-qwen', type: 'openai-compatible' as const, locality: 'local' as const, modelServerRef: { name: 'vllm-3070', namespace: 'ai' }, models: { fast: 'Qwen/Qwen2.5-1.5B-Instruct', big: 'llama3.1:8b' } };
    const served = ['Qwen/Qwen2.5-1.5B-Instruct'];
    const lastError = 'ModelServer ai/vllm-3070 does not serve "llama3.1:8b" (it serves only "Qwen/Qwen2.5-1.5B-Instruct"); map spec.providers[].models to a served name, or add the name to the ModelServer (vLLM --served-model-name)';
    expect(providerHealth(vllm, { modelServer: { found: true, ready: true, servedModels: served } })).toEqual({ name: 'local-qwen', locality: 'local', ready: false, lastError });
    expect(providerHealth({ ...vllm, models: { fast: served[0], '*': served[0] } }, { modelServer: { found: true, ready: true, servedModels: served } }).ready).toBe(true);
    expect(providerHealth(vllm, { modelServer: { found: true, ready: true, servedModels: [] } }).lastError).toContain('(it serves no model name)');
    // Ollama serves any pulled model: no served list, nothing to check.
    expect(providerHealth(vllm, { modelServer: { found: true, ready: true } }).ready).toBe(true);
    // A wrong mapping does not fix itself: a failure even while the server rolls out, not progress.
    const r = laneReport({ parsed: { ok: true, lane: lane() }, bound: [], conflicts: [], usage: usage(), providers: [providerState(vllm, { modelServer: { found: true, starting: true, servedModels: served } })] });
    expect(r.outcome).toEqual({ kind: 'failed', reason: 'NoProviderReady', message: `local-qwen: ${lastError}` });
  });
  it.each([
    [{ a: 'x', b: 'y', '*': 'x' }, ['x'], ['y']],
    [{ a: 'x', b: 'x' }, ['y'], ['x']],
    [{ a: 'x' }, undefined, []],
  ])('unservedModels(%j, %j) = %j', (models, served, want) => {
    expect(unservedModels({ name: 'p', type: 'openai-compatible', locality: 'local', models }, served)).toEqual(want);
  });
  it('needs the key in the Secret', () => {
    const p = { name: 'claude', type: 'anthropic' as const, locality: 'cloud' as const, secretRef: { name: 'k', namespace: 'x', key: 'apiKey' }, models: {} };
    expect(providerHealth(p, { secret: { found: true, hasKey: false } }, 'https://api.anthropic.com')).toEqual({ name: 'claude', locality: 'cloud', ready: false, endpoint: 'https://api.anthropic.com', lastError: 'Secret x/k has no key "apiKey"' });
  });
});
