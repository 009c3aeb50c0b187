import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { addRunUsage, runUsageAfterWrite, runUsageCommitted, runUsageConfigMapName, runUsageFiguresFromData, runUsageFromConfigMap, runUsageMetadata, runUsageToData } from './usage.js';

describe('run usage ConfigMap', () => {
  it('is named <kind>-usage-<20 hex of sha256("<ns>/<run>")>: one per kind, namespace and name', () => {
    const hex = createHash('sha256').update('team-a/triage-42').digest('hex');
    expect(runUsageConfigMapName('team-a', 'AgentRun', 'triage-42')).toBe(`agentrun-usage-${hex.slice(0, 20)}`);
    expect(runUsageConfigMapName('team-a', 'Flow', 'triage-42')).toBe(`flow-usage-${hex.slice(0, 20)}`);
    expect(runUsageConfigMapName('team-a', 'HardwareTask', 'triage-42')).toBe(`hardwaretask-usage-${hex.slice(0, 20)}`);
    expect(runUsageConfigMapName('team-a', 'AgentRun', 'x')).not.toBe(runUsageConfigMapName('team-b', 'AgentRun', 'x'));
    // Fixed length whatever the names: always a valid ConfigMap name (DNS subdomain, at most 253).
    for (const kind of ['AgentRun', 'Flow', 'HardwareTask'] as const) {
      expect(runUsageConfigMapName('n'.repeat(63), kind, 'r'.repeat(253))).toMatch(/^[a-z]+-usage-[0-9a-f]{20}$/);
    }
  });

  it('labels the run only when its name fits a label value; annotations carry the full names', () => {
    expect(runUsageMetadata('ns', 'AgentRun', 'run-1')).toEqual({
      labels: { 'agentlab.dev/usage-run': 'true', 'agentlab.dev/run-namespace': 'ns', 'agentlab.dev/run-kind': 'AgentRun', 'agentlab.dev/run': 'run-1' },
      annotations: { 'agentlab.dev/run-namespace': 'ns', 'agentlab.dev/run-kind': 'AgentRun', 'agentlab.dev/run': 'run-1' },
    });
    const long = 'r'.repeat(64);
    expect(runUsageMetadata('ns', 'AgentRun', long).labels).not.toHaveProperty('agentlab.dev/run');
    expect(runUsageMetadata('ns', 'AgentRun', long).annotations['agentlab.dev/run']).toBe(long);
  });

  it('round-trips through ConfigMap data and reads totals', () => {
    const figures = { promptTokens: 120, completionTokens: 30, costUSD: 0.00081, requests: 2, fallbacks: 1, provider: 'claude', model: 'claude-sonnet-4-5' };
    const data = runUsageToData(figures, new Date('2026-12-01T10:00:00.123Z'));
    expect(data).toEqual({ promptTokens: '120', completionTokens: '30', totalTokens: '150', costUSD: '0.000810', requests: '2', fallbacks: '1', provider: 'claude', model: 'claude-sonnet-4-5', updatedAt: '2026-12-01T10:00:00Z' });
    const cm = { metadata: runUsageMetadata('ns', 'AgentRun', 'run-1'), data };
    expect(runUsageFromConfigMap(cm)).toEqual({ namespace: 'ns', kind: 'AgentRun', run: 'run-1', ...figures, totalTokens: 150, updatedAt: '2026-12-01T10:00:00Z' });
  });

  it('is not a run usage ConfigMap without its annotations; garbled numbers read as zero', () => {
    expect(runUsageFromConfigMap(undefined)).toBeUndefined();
    expect(runUsageFromConfigMap({ metadata: { annotations: { 'agentlab.dev/run': 'x' } }, data: {} })).toBeUndefined();
    expect(runUsageFiguresFromData({ promptTokens: 'lots', completionTokens: '-3', costUSD: '', requests: '2' })).toEqual({ promptTokens: 0, completionTokens: 0, costUSD: 0, requests: 2, fallbacks: 0 });
  });

  it('adds up: the sum of increments in any grouping is the same total, the last provider wins', () => {
    const delta = fc.record({ promptTokens: fc.nat(1e6), completionTokens: fc.nat(1e6), costUSD: fc.constant(0), requests: fc.nat(10), fallbacks: fc.nat(3), provider: fc.option(fc.constantFrom('a', 'b'), { nil: undefined }) });
    fc.assert(fc.property(fc.array(delta, { maxLength: 8 }), fc.nat(8), (ds, cut) => {
      const zero = runUsageFiguresFromData(undefined);
      const all = ds.reduce(addRunUsage, zero);
      const split = addRunUsage(ds.slice(0, cut).reduce(addRunUsage, zero), ds.slice(cut).reduce(addRunUsage, zero));
      expect(split).toEqual(all);
      const last = ds.findLast((d) => d.provider)?.provider;
      expect(all.provider).toBe(last);
    }));
  });

  describe('a run deleted and created again under the same name', () => {
    const now = new Date('2026-12-03T10:00:00Z');
    const one = { promptTokens: 10, completionTokens: 5, costUSD: 0, requests: 1, fallbacks: 0, provider: 'gpu-ollama', model: 'llama3.1:8b' };
    const old = runUsageToData({ ...one, requests: 3, promptTokens: 300 }, now, { kind: 'AgentRun', uid: 'old' });

    it('replaces the earlier run\'s figures instead of adding to them, and records the new UID', () => {
      const data = runUsageAfterWrite(old, one, { kind: 'AgentRun', uid: 'new' }, now);
      expect(runUsageFiguresFromData(data)).toEqual(one);
      expect(data).toMatchObject({ runKind: 'AgentRun', runUid: 'new', requests: '1', totalTokens: '15' });
    });

    it('adds to the run\'s own figures', () => {
      const mine = runUsageAfterWrite(undefined, one, { kind: 'Flow', uid: 'u' }, now);
      expect(runUsageAfterWrite(mine, one, { kind: 'Flow', uid: 'u' }, now)).toMatchObject({ requests: '2', promptTokens: '20', runKind: 'Flow', runUid: 'u' });
    });

    it('adds to figures without a UID (written before UIDs were recorded) and records it; a token without owner keeps the recorded one', () => {
      const legacy = runUsageToData(one, now);
      expect(legacy).not.toHaveProperty('runUid');
      expect(runUsageAfterWrite(legacy, one, { kind: 'AgentRun', uid: 'u' }, now)).toMatchObject({ requests: '2', runUid: 'u' });
      expect(runUsageAfterWrite(old, one, undefined, now)).toMatchObject({ requests: '4', runKind: 'AgentRun', runUid: 'old' });
    });

    it('counts nothing of another run\'s figures for the token limit or status.usage', () => {
      expect(runUsageCommitted(old, 'new')).toMatchObject({ promptTokens: 0, completionTokens: 0, requests: 0 });
      expect(runUsageCommitted(old, 'old')).toMatchObject({ promptTokens: 300, requests: 3 });
      const cm = { metadata: runUsageMetadata('ns', 'AgentRun', 'run-1'), data: old };
      expect(runUsageFromConfigMap(cm, 'new')).toBeUndefined();
      expect(runUsageFromConfigMap(cm, 'old')).toMatchObject({ runUid: 'old', requests: 3 });
      expect(runUsageFromConfigMap(cm)).toMatchObject({ runUid: 'old' });
    });
  });
});
