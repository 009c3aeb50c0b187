import { describe, it, expect } from 'vitest';
import { modelServerAPI, parseLaneSpec, type ModelServerLike } from './spec.js';

const obj = (spec: unknown) => ({ metadata: { name: 'l' }, spec });
const ollama = { name: 'local', cloud: { provider: 'ollama', baseURL: 'http://ollama.lan:11434' } };

describe('parseLaneSpec', () => {
  it('reads a complete enterprise lane', () => {
    const r = parseLaneSpec(obj({
      namespaceSelector: { matchLabels: { lane: 'enterprise' } },
      allowCloud: true,
      providers: [
        { name: 'gpu', modelServerRef: { name: 'gpu', namespace: 'ai' }, models: { chat: 'llama3.1:8b' } },
        { name: 'claude', cloud: { provider: 'anthropic', secretRef: { name: 'anthropic', namespace: 'agentlab-system', key: 'apiKey' } }, models: { chat: 'claude-sonnet-4-5' }, costPerMillionTokens: { input: '3', output: '15.00' } },
      ],
      fallback: { onErrors: ['ServerError', 'Timeout'], maxAttempts: 2, timeout: '10s' },
      budget: { period: 'Daily', maxCostUSD: '5.00', maxTokensPerRun: 100000, onExceeded: 'Block' },
    }));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.lane.providers.map((p) => [p.name, p.type, p.locality])).toEqual([['gpu', 'ollama', 'local'], ['claude', 'anthropic', 'cloud']]);
    expect(r.lane.providers[1].secretRef).toEqual({ name: 'anthropic', namespace: 'agentlab-system', key: 'apiKey' });
    expect(r.lane.providers[1].price).toEqual({ input: 3, output: 15 });
    expect(r.lane.fallback).toEqual({ on: ['ServerError', 'Timeout'], maxAttempts: 2, firstTokenTimeoutMs: 10_000 });
    expect(r.lane.budget).toMatchObject({ period: 'Daily', maxCostUSD: 5, maxTokensPerRun: 100000, onExceeded: 'Block' });
  });

  it('applies the CRD defaults to a minimal private lane', () => {
    const r = parseLaneSpec(obj({ namespaceSelector: {}, providers: [ollama] }));
    expect(r.ok && r.lane).toMatchObject({
      allowCloud: false, sensitiveData: 'LocalOnly',
      fallback: { on: ['Unavailable', 'RateLimited', 'ServerError', 'Timeout'], maxAttempts: 3, firstTokenTimeoutMs: 60_000 },
      budget: { period: 'Monthly', onExceeded: 'LocalOnly', warnAtPercent: 80 },
      egress: { policy: 'DenyExternal', allowCIDRs: [] },
    });
  });

  it.each([
    [{ providers: [ollama] }, 'spec.namespaceSelector: required'],
    [{ namespaceSelector: {}, providers: [] }, 'spec.providers: at least one provider is required'],
    [{ namespaceSelector: {}, providers: [{ name: 'x' }] }, 'spec.providers[0]: set exactly one of modelServerRef (a local ModelServer) or cloud (a provider API)'],
    [{ namespaceSelector: {}, providers: [ollama, { name: 'g', cloud: { provider: 'gemini', secretRef: { name: 'g', namespace: 'n' } } }] }, 'spec.providers[1]: cloud provider "g" is not allowed when spec.allowCloud is false'],
    [{ namespaceSelector: {}, allowCloud: true, providers: [ollama, { name: 'o', cloud: { provider: 'openai' } }] }, 'spec.providers[1].cloud.secretRef: required for provider openai (keys come only from Secrets)'],
    [{ namespaceSelector: {}, allowCloud: true, providers: [ollama, { name: 'v', cloud: { provider: 'openai-compatible' } }] }, 'spec.providers[1].cloud.baseURL: required for provider openai-compatible'],
    [{ namespaceSelector: {}, providers: [{ name: 'x', cloud: { provider: 'ollama', baseURL: 'ftp://x' } }] }, 'spec.providers[0].cloud.baseURL: "ftp://x" is not an http(s) URL'],
    [{ namespaceSelector: {}, providers: [{ ...ollama, cloud: { ...ollama.cloud, apiKey: 'sk' } }] }, 'spec.providers[0]: API keys are never accepted in the spec; use cloud.secretRef'],
    [{ namespaceSelector: {}, providers: [ollama], fallback: { onErrors: ['Always'] } }, 'spec.fallback.onErrors[0]: "Always" is not one of Unavailable, RateLimited, ServerError, Timeout'],
    [{ namespaceSelector: {}, providers: [ollama], budget: { maxCostUSD: 'lots' } }, 'spec.budget.maxCostUSD: "lots" is not a non-negative number'],
    [{ namespaceSelector: {}, providers: [ollama], egress: { allowCIDRs: ['192.168.1.0/24'] } }, 'spec.egress.allowCIDRs: a private lane (allowCloud false) may not open egress outside the cluster'],
    [{ namespaceSelector: {}, providers: [ollama], egress: { policy: 'AllowAll' } }, 'spec.egress.policy: a private lane (allowCloud false) must keep DenyExternal'],
    [{ namespaceSelector: {}, allowCloud: true, providers: [{ name: 'c', cloud: { provider: 'anthropic', secretRef: { name: 'a', namespace: 'b' } } }] }, 'spec.providers: sensitiveData is LocalOnly, so at least one provider must be local'],
  ])('rejects %j', (spec, message) => {
    const r = parseLaneSpec(obj(spec));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors).toContain(message);
  });

  it('treats anthropic as cloud even when the spec claims local', () => {
    const r = parseLaneSpec(obj({ namespaceSelector: {}, providers: [ollama, { name: 'c', locality: 'local', cloud: { provider: 'anthropic', secretRef: { name: 'a', namespace: 'b' } } }] }));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors).toContain('spec.providers[1].locality: anthropic is always cloud; only ollama and openai-compatible endpoints may say local');
  });

  it('never throws on garbage', () => {
    for (const g of [null, 1, 'x', [], { spec: [] }, { spec: { providers: [null, 1, { name: 'a', modelServerRef: 1 }, { name: 'b', cloud: { provider: 7 } }] } }]) {
      expect(() => parseLaneSpec(g)).not.toThrow();
    }
  });
});

describe('a modelServerRef provider speaks its ModelServer runtime', () => {
  // As examples/modelserver-*.yaml declare them; the lane maps names to what each server serves.
  const servers: Record<string, ModelServerLike> = {
    'ai-models/ollama-3060': { spec: { runtime: 'ollama', models: [{ name: 'llama3.1:8b' }] } },
    'ai-models/vllm-3070': { spec: { runtime: 'vllm', models: [{ name: 'Qwen/Qwen2.5-1.5B-Instruct' }] } },
  };
  const lookup = (ns: string, name: string) => servers[`${ns}/${name}`];
  const lane = obj({
    namespaceSelector: {},
    providers: [
      { name: 'local-llama', modelServerRef: { name: 'ollama-3060', namespace: 'ai-models' }, models: { default: 'llama3.1:8b' } },
      { name: 'local-qwen', modelServerRef: { name: 'vllm-3070', namespace: 'ai-models' }, models: { fast: 'Qwen/Qwen2.5-1.5B-Instruct' } },
      { name: 'not-yet', modelServerRef: { name: 'later', namespace: 'ai-models' } },
    ],
  });

  it('is OpenAI-compatible on a vLLM server and Ollama on an Ollama server', () => {
    const r = parseLaneSpec(lane, { modelServer: lookup });
    expect(r.ok && r.lane.providers.map((p) => [p.name, p.type, p.locality])).toEqual([
      ['local-llama', 'ollama', 'local'],
      ['local-qwen', 'openai-compatible', 'local'],
      ['not-yet', 'ollama', 'local'],
    ]);
  });

  it("maps vLLM to /v1 with health at /health and the served model name, Ollama to its root", () => {
    expect(modelServerAPI(servers['ai-models/vllm-3070'])).toEqual({ type: 'openai-compatible', basePath: '/v1', healthPath: '/health', servedModels: ['Qwen/Qwen2.5-1.5B-Instruct'] });
    expect(modelServerAPI(servers['ai-models/ollama-3060'])).toEqual({ type: 'ollama', basePath: '', healthPath: '/api/version' });
    expect(modelServerAPI({ spec: { models: [{ name: 'x' }] } }).type).toBe('ollama'); // runtime defaults to ollama, as in the CRD
  });

  it.each([
    [['--served-model-name', 'qwen', 'qwen-small'], ['qwen', 'qwen-small']],
    [['--served-model-name=qwen'], ['qwen']],
    [['--enforce-eager'], ['Qwen/Qwen2.5-1.5B-Instruct']],
  ])('takes --served-model-name from spec.vllm.extraArgs %j', (extraArgs, served) => {
    expect(modelServerAPI({ spec: { runtime: 'vllm', models: [{ name: 'Qwen/Qwen2.5-1.5B-Instruct' }], vllm: { extraArgs } } }).servedModels).toEqual(served);
  });
});
