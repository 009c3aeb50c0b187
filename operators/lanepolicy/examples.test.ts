import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, it, expect } from 'vitest';
import { parse } from 'yaml';
import { parseLaneSpec } from './spec.js';

const example = (name: string) => parse(readFileSync(fileURLToPath(new URL(`../../examples/lanepolicy-${name}.yaml`, import.meta.url)), 'utf8')) as unknown;

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
});
