import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, it, expect } from 'vitest';
import { parse } from 'yaml';
import { modelServerAPI, parseLaneSpec, type ModelServerLike } from './spec.js';

const example = (name: string) => parse(readFileSync(fileURLToPath(new URL(`../../../examples/lanepolicy-${name}.yaml`, import.meta.url)), 'utf8')) as unknown;
const modelServer = (file: string) => parse(readFileSync(fileURLToPath(new URL(`../../../examples/${file}`, import.meta.url)), 'utf8')) as ModelServerLike & { metadata: { name: string; namespace: string } };

describe('the seed lanes in examples/', () => {
  it('enterprise: local first, Claude as fallback, sensitive data local, over budget local only', () => {
    const r = parseLaneSpec(example('enterprise'));
    expect(r.ok ? [] : r.errors).toEqual([]);
    if (!r.ok) return;
    expect(r.lane.providers.map((p) => [p.name, p.locality])).toEqual([['local-llama', 'local'], ['claude', 'cloud']]);
    expect(r.lane).toMatchObject({ allowCloud: true, sensitiveData: 'LocalOnly', budget: { maxCostUSD: 100, onExceeded: 'LocalOnly' } });
  });

  it('personal: Claude or Gemini, blocked when the budget is spent', () => {
    const r = parseLaneSpec(example('personal'));
    expect(r.ok ? [] : r.errors).toEqual([]);
    if (r.ok) expect(r.lane.providers.map((p) => p.type)).toEqual(['anthropic', 'gemini']);
    if (r.ok) expect(r.lane.budget.onExceeded).toBe('Block');
  });

  it('private: local providers only, egress denied', () => {
    const r = parseLaneSpec(example('private'));
    expect(r.ok ? [] : r.errors).toEqual([]);
    if (!r.ok) return;
    expect(r.lane.allowCloud).toBe(false);
    expect(r.lane.providers.every((p) => p.locality === 'local')).toBe(true);
    expect(r.lane.egress).toEqual({ policy: 'DenyExternal', allowCIDRs: [] });
  });

  it("private: each ModelServer is spoken to in its runtime's API, and the lane maps to the names the server answers to", () => {
    const servers = [modelServer('modelserver-ollama-rtx3060.yaml'), modelServer('modelserver-vllm-rtx3070.yaml')];
    const r = parseLaneSpec(example('private'), { modelServer: (ns, name) => servers.find((s) => s.metadata.namespace === ns && s.metadata.name === name) });
    expect(r.ok ? [] : r.errors).toEqual([]);
    if (!r.ok) return;
    expect(r.lane.providers.map((p) => [p.name, p.type])).toEqual([['local-llama', 'ollama'], ['local-qwen', 'openai-compatible']]);
    const qwen = r.lane.providers[1];
    const served = modelServerAPI(servers.find((s) => s.metadata.name === qwen.modelServerRef!.name)!).servedModels;
    for (const [logical, model] of Object.entries(qwen.models)) expect(served, `models.${logical}`).toContain(model);
  });
});
