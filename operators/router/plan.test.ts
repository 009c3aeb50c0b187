import { describe, it, expect } from 'vitest';
import { planCandidates, logicalModels, mayFallBack } from './plan.js';
import type { LaneSpec, LaneProvider } from '../model/lanes/spec.js';

const local: LaneProvider = { name: 'local', type: 'ollama', locality: 'local', baseURL: 'http://o', models: { chat: 'llama3.1:8b', embed: 'nomic-embed-text' } };
const claude: LaneProvider = { name: 'claude', type: 'anthropic', locality: 'cloud', baseURL: 'http://a', models: { chat: 'claude-sonnet-4-5', 'claude-sonnet': 'claude-sonnet-4-5' } };
const lane = (p: LaneProvider[], allowCloud: boolean, maxAttempts = 5): LaneSpec => ({
  name: allowCloud ? 'enterprise' : 'private', namespaceSelector: {}, allowCloud, providers: p,
  fallback: { on: ['Unavailable', 'ServerError'], maxAttempts, firstTokenTimeoutMs: 1000 },
  budget: { period: 'Monthly', warnAtPercent: 80, onExceeded: 'LocalOnly' }, sensitiveData: 'LocalOnly', egress: { policy: 'DenyExternal', allowCIDRs: [] },
});

describe('planCandidates', () => {
  it('maps a logical model through every provider in lane order', () => {
    const r = planCandidates(lane([local, claude], true), { kind: 'chat', model: 'chat' });
    expect(r.ok && r.candidates.map((c) => [c.provider.name, c.model])).toEqual([['local', 'llama3.1:8b'], ['claude', 'claude-sonnet-4-5']]);
  });

  it('never plans a cloud provider for a private lane, even one smuggled into its spec', () => {
    const r = planCandidates(lane([local, claude], false), { kind: 'chat', model: 'claude-sonnet' });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatchObject({ category: 'policy', status: 403, message: 'model "claude-sonnet" is not available in lane private (a private lane: local providers only)' });
    const c = planCandidates(lane([local, claude], false), { kind: 'chat', model: 'chat' });
    expect(c.ok && c.candidates.map((x) => x.provider.name)).toEqual(['local']);
  });

  it('skips providers without embeddings and honours maxAttempts', () => {
    const r = planCandidates(lane([claude, local], true), { kind: 'embed', model: 'embed' });
    expect(r.ok && r.candidates.map((c) => c.provider.name)).toEqual(['local']);
    const m = planCandidates(lane([local, claude], true, 1), { kind: 'chat', model: 'chat' });
    expect(m.ok && m.candidates.length).toBe(1);
  });

  it('keeps sensitive requests local', () => {
    const r = planCandidates(lane([claude, local], true), { kind: 'chat', model: 'claude-sonnet' }, { localOnly: 'sensitive data' });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.message).toBe('model "claude-sonnet" is not available in lane enterprise (sensitive data: local providers only)');
  });

  it('refuses a model no provider of the lane maps with 404 model_not_found, naming the lane and its models', () => {
    for (const allowCloud of [true, false]) {
      const r = planCandidates(lane([local, claude], allowCloud), { kind: 'chat', model: 'code' });
      expect(r.ok).toBe(false);
      const models = allowCloud ? '"chat", "embed", "claude-sonnet"' : '"chat", "embed"';
      if (!r.ok) expect(r.error).toMatchObject({ category: 'validation', status: 404, code: 'model_not_found', message: `model "code" not found in lane ${allowCloud ? 'enterprise' : 'private'}: its models are ${models} (GET /v1/models or /api/tags lists them)` });
    }
    const empty = planCandidates(lane([], true), { kind: 'embed', model: 'embed' });
    if (!empty.ok) expect(empty.error.message).toBe('model "embed" not found in lane enterprise: it maps no model names');
    expect(empty.ok).toBe(false);
  });

  it('refuses embeddings from a model only providers without an embeddings API serve, naming the ones that have it', () => {
    const r = planCandidates(lane([local, claude], true), { kind: 'embed', model: 'claude-sonnet' });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatchObject({ status: 400, code: 'model_not_embedding', message: 'embedding model "claude-sonnet" in lane enterprise is served only by providers without an embeddings API (claude): use one of "chat", "embed"' });
  });

  it('passes names through a provider without a mapping', () => {
    const raw = { ...local, models: {} };
    const r = planCandidates(lane([raw], false), { kind: 'chat', model: 'qwen2.5:7b' });
    expect(r.ok && r.candidates[0].model).toBe('qwen2.5:7b');
  });
});

describe('policy helpers', () => {
  it('lists logical models', () => expect(logicalModels(lane([local, claude], true))).toEqual(['chat', 'embed', 'claude-sonnet']));
  it('falls back only on allowed classes', () => {
    const l = lane([local], true);
    expect(mayFallBack(l, 'ServerError')).toBe(true);
    expect(mayFallBack(l, 'RateLimited')).toBe(false);
    expect(mayFallBack(l, 'Unavailable')).toBe(true);
    expect(mayFallBack(l, 'Interrupted')).toBe(false);
  });
});
