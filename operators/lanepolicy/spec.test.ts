import { describe, it, expect } from 'vitest';
import { parseLaneSpec } from './spec.js';

const obj = (spec: unknown) => ({ metadata: { name: 'l' }, spec });

describe('parseLaneSpec', () => {
  it('reads a complete enterprise lane', () => {
    const r = parseLaneSpec(obj({
      namespaceSelector: { matchLabels: { lane: 'enterprise' } },
      allowCloud: true,
      providers: [
        { name: 'local', modelServerRef: { name: 'gpu', namespace: 'ai' }, models: [{ name: 'chat', providerModel: 'llama3.1:8b' }] },
        { name: 'claude', type: 'anthropic', secretRef: { name: 'anthropic', namespace: 'agentlab-system' }, models: [{ name: 'chat', providerModel: 'claude-sonnet-4-5' }] },
      ],
      fallback: { on: ['ServerError', 'Timeout'], maxAttempts: 2, firstTokenTimeout: '10s' },
      budget: { period: 'Daily', maxCostUSD: '5.00', maxTokensPerRun: 100000 },
      prices: [{ model: 'claude-sonnet-4-5', inputUSDPerMTok: '3', outputUSDPerMTok: 15 }],
    }));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.lane.providers.map((p) => [p.name, p.type, p.locality])).toEqual([['local', 'ollama', 'local'], ['claude', 'anthropic', 'cloud']]);
    expect(r.lane.providers[1].secretRef).toEqual({ name: 'anthropic', namespace: 'agentlab-system', key: 'apiKey' });
    expect(r.lane.fallback).toEqual({ on: ['ServerError', 'Timeout'], maxAttempts: 2, firstTokenTimeoutMs: 10_000 });
    expect(r.lane.budget).toMatchObject({ period: 'Daily', maxCostUSD: 5, maxTokensPerRun: 100000 });
    expect(r.lane.prices[0]).toEqual({ model: 'claude-sonnet-4-5', inputUSDPerMTok: 3, outputUSDPerMTok: 15 });
  });

  it.each([
    [{ providers: [{ type: 'ollama', baseURL: 'http://x' }] }, 'spec.namespaceSelector: required'],
    [{ namespaceSelector: {}, providers: [] }, 'spec.providers: at least one provider is required'],
    [{ namespaceSelector: {}, providers: [{ type: 'gemini', secretRef: { name: 'g', namespace: 'n' } }] }, 'spec.providers[0]: cloud provider "gemini" is not allowed when spec.allowCloud is false'],
    [{ namespaceSelector: {}, allowCloud: true, providers: [{ type: 'openai' }] }, 'spec.providers[0].secretRef: required for type openai (keys come only from Secrets)'],
    [{ namespaceSelector: {}, allowCloud: true, providers: [{ type: 'openai-compatible', secretRef: { name: 'a', namespace: 'b' } }] }, 'spec.providers[0].baseURL: required for type openai-compatible'],
    [{ namespaceSelector: {}, providers: [{ type: 'ollama', baseURL: 'ftp://x' }] }, 'spec.providers[0].baseURL: "ftp://x" is not an http(s) URL'],
    [{ namespaceSelector: {}, providers: [{ type: 'ollama', baseURL: 'http://x', apiKey: 'sk' }] }, 'spec.providers[0].apiKey: keys are never accepted in the spec; use secretRef'],
    [{ namespaceSelector: {}, providers: [{ type: 'ollama', baseURL: 'http://x' }], fallback: { on: ['Always'] } }, 'spec.fallback.on[0]: "Always" is not one of ConnectionRefused, ServerError, RateLimited, Timeout'],
    [{ namespaceSelector: {}, providers: [{ type: 'ollama', baseURL: 'http://x' }], budget: { maxCostUSD: 'lots' } }, 'spec.budget.maxCostUSD: "lots" is not a non-negative number'],
    [{ namespaceSelector: {}, providers: [{ type: 'ollama', baseURL: 'http://x' }], egress: { allowedCIDRs: ['0.0.0.0/0'] } }, 'spec.egress.allowedCIDRs: a lane with allowCloud false may not open egress outside the cluster'],
  ])('rejects %j', (spec, message) => {
    const r = parseLaneSpec(obj(spec));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors).toContain(message);
  });

  it('treats anthropic as cloud even when the spec claims local', () => {
    const r = parseLaneSpec(obj({ namespaceSelector: {}, providers: [{ type: 'anthropic', locality: 'local', secretRef: { name: 'a', namespace: 'b' } }] }));
    expect(r.ok).toBe(false);
  });

  it('never throws on garbage', () => {
    for (const g of [null, 1, 'x', [], { spec: [] }, { spec: { providers: [null, 1, { modelServerRef: 1 }] } }]) {
      expect(() => parseLaneSpec(g)).not.toThrow();
    }
  });
});
