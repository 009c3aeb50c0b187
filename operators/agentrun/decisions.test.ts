import { describe, expect, it } from 'vitest';
import { approvalVerdict } from './approval.js';
import { keyHolder, type KeyedRun } from './idempotency.js';
import { resolveLane } from './lane.js';
import { specProblems } from './spec.js';
import type { AgentRun } from './types.js';

const keyed = (name: string, created: string, status?: KeyedRun['status'], key = 'k'): KeyedRun => ({ metadata: { name, creationTimestamp: created }, spec: { idempotencyKey: key }, ...(status ? { status } : {}) });

describe('keyHolder', () => {
  const a = keyed('a', '2026-01-01T00:00:00Z');
  const b = keyed('b', '2026-01-01T00:00:01Z');
  it.each([
    ['the earliest holds the key', b, [a, b], 'a'],
    ['the earliest is not its own duplicate', a, [a, b], undefined],
    ['same second: the name breaks the tie', keyed('z', '2026-01-01T00:00:00Z'), [a], 'a'],
    ['a started run keeps its key even if an earlier one appears', keyed('c', '2026-01-01T00:00:05Z', { startTime: '2026-01-01T00:00:06Z' }), [a], undefined],
    ['a started later run holds the key against a not-started earlier one', a, [keyed('c', '2026-01-01T00:00:05Z', { phase: 'Running', startTime: 'x' })], 'c'],
    ['a duplicate never holds the key', b, [keyed('d', '2025-12-31T00:00:00Z', { phase: 'Failed', conditions: [{ type: 'Ready', status: 'False', reason: 'Duplicate' }] })], undefined],
    ['other keys do not matter', b, [keyed('x', '2025-01-01T00:00:00Z', undefined, 'other')], undefined],
    ['no key, no holder', { metadata: { name: 'n' }, spec: {} }, [a], undefined],
  ] as const)('%s', (_n, run, others, want) => {
    expect(keyHolder(run, [...others])).toBe(want);
  });
});

describe('resolveLane', () => {
  const lane = (name: string, spec: Record<string, unknown>) => ({ metadata: { name }, spec: { namespaceSelector: { matchLabels: { lane: name } }, ...spec } });
  const ollama = { name: 'ollama', cloud: { provider: 'ollama', baseURL: 'http://o:11434' }, models: { chat: 'llama3.1:8b' } };
  const claude = { name: 'claude', cloud: { provider: 'anthropic', secretRef: { name: 'k', namespace: 's' } }, models: { chat: 'claude-sonnet-4-5', big: 'claude-opus' } };
  const lanes = [lane('private', { providers: [ollama] }), lane('msp', { allowCloud: true, sensitiveData: 'LocalOnly', providers: [ollama, claude] })];
  const namespaces = [{ metadata: { name: 'fin', labels: { lane: 'private' } } }, { metadata: { name: 'msp', labels: { lane: 'msp' } } }, { metadata: { name: 'none' } }];
  it.each([
    ['the namespace lane', 'fin', {}, { ok: true, lane: 'private' }],
    ['spec.lane that selects the namespace', 'fin', { lane: 'private', model: 'chat' }, { ok: true, lane: 'private' }],
    ['spec.lane of another namespace', 'fin', { lane: 'msp' }, { ok: false, field: 'spec.lane', reason: 'NoLane' }],
    ['a namespace in no lane', 'none', {}, { ok: false, field: 'metadata.namespace', reason: 'NoLane' }],
    ['a model no provider maps', 'fin', { model: 'gpt-5' }, { ok: false, field: 'spec.model', reason: 'ModelNotInLane' }],
    ['a cloud model in a cloud lane', 'msp', { model: 'big' }, { ok: true, lane: 'msp' }],
    ['a sensitive run asking for a cloud-only model under LocalOnly', 'msp', { model: 'big', sensitive: true }, { ok: false, field: 'spec.model', reason: 'ModelNotInLane' }],
    ['a sensitive run with a local mapping', 'msp', { model: 'chat', sensitive: true }, { ok: true, lane: 'msp' }],
  ] as const)('%s', (_n, ns, spec, want) => {
    expect(resolveLane({ namespace: ns, spec: { model: 'chat', ...spec }, lanes, namespaces })).toMatchObject(want);
  });
});

const run = (spec: Partial<AgentRun['spec']>, labels?: Record<string, string>): AgentRun => ({ apiVersion: 'agentlab.dev/v1alpha1', kind: 'AgentRun', metadata: { name: 'r', namespace: 'ai', labels }, spec: { task: 't', ...spec } });

describe('approvalVerdict', () => {
  const now = new Date('2026-01-01T00:00:00Z');
  it.each([
    ['no gate', {}, 'installed', 'notRequired'],
    ['required: false', { approval: { required: false } }, 'missing', 'notRequired'],
    ['policy missing', { approval: { required: true } }, 'missing', 'policyMissing'],
    ['waiting', { approval: { required: true } }, 'installed', 'waiting'],
    ['decision without decidedBy', { approval: { required: true, decision: 'Approved' as const } }, 'installed', 'unverified'],
    ['approved', { approval: { required: true, decision: 'Approved' as const, decidedBy: 'alice' } }, 'installed', 'approved'],
    ['rejected', { approval: { required: true, decision: 'Rejected' as const, decidedBy: 'alice' } }, 'installed', 'rejected'],
  ] as const)('%s', (_n, spec, policy, kind) => {
    expect(approvalVerdict(run(spec), policy, now).kind).toBe(kind);
  });
  it('records flux as the channel, with the Kustomization', () => {
    const v = approvalVerdict(run({ approval: { required: true, decision: 'Approved', decidedBy: 'system:serviceaccount:flux-system:kustomize-controller' } }, { 'kustomize.toolkit.fluxcd.io/name': 'apps', 'kustomize.toolkit.fluxcd.io/namespace': 'flux-system' }), 'installed', now);
    expect(v).toMatchObject({ kind: 'approved', record: { via: 'flux', source: 'flux-system/apps', decidedAt: '2026-01-01T00:00:00Z' } });
  });
});

describe('specProblems', () => {
  it('names each field this version cannot run', () => {
    expect(specProblems(run({ tools: [{ name: 'files', files: { paths: ['/workspace'] } }, { name: 'github' }], runtime: { type: 'vm' } })).map((p) => p.field)).toEqual(['spec.tools[1]']);
    expect(specProblems({ ...run({}), metadata: { name: 'x'.repeat(64) } }).map((p) => p.field)).toEqual(['metadata.name']);
    expect(specProblems(run({ tools: [{ name: 'shell', shell: { allowCommands: ['git'] } }] }))).toEqual([]);
  });
});
