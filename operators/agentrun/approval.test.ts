import { describe, expect, it } from 'vitest';
import { approvalChannel, approvalVerdict, decisionManager, isRecorded, type ManagedFieldsEntry } from './approval.js';
import type { AgentRun } from './types.js';

const decision = { 'f:spec': { 'f:approval': { 'f:decision': {}, 'f:decidedBy': {} } } };
const entry = (manager: string, time: string, fieldsV1: Record<string, unknown> = decision): ManagedFieldsEntry => ({ manager, operation: 'Update', time, fieldsV1 });
const flux = { 'kustomize.toolkit.fluxcd.io/name': 'apps', 'kustomize.toolkit.fluxcd.io/namespace': 'flux-system' };

describe('decisionManager', () => {
  it('names the manager owning f:spec.f:approval.f:decision, the newest when several do', () => {
    expect(decisionManager([
      entry('kubectl-client-side-apply', '2026-01-01T00:00:00Z', { 'f:spec': { 'f:task': {}, 'f:approval': { 'f:required': {} } } }),
      entry('kubectl-patch', '2026-01-01T00:01:00Z'),
      entry('agentlab-mcp', '2026-01-01T00:02:00Z'),
      entry('agentlab', '2026-01-01T00:03:00Z', { 'f:status': { 'f:approval': { 'f:decision': {} } } }),
    ])).toBe('agentlab-mcp');
  });
  it('is undefined without managedFields or without an owner of the decision', () => {
    expect(decisionManager(undefined)).toBeUndefined();
    expect(decisionManager([entry('kubectl-client-side-apply', '2026-01-01T00:00:00Z', { 'f:spec': { 'f:task': {} } })])).toBeUndefined();
  });
});

describe('approvalChannel', () => {
  it.each([
    ['agentlab-mcp', {}, { via: 'mcp' }],
    ['kubectl-patch', {}, { via: 'kubectl' }],
    ['kubectl-edit', {}, { via: 'kubectl' }],
    ['agentlab-cli', {}, { via: 'kubectl' }],
    ['kustomize-controller', flux, { via: 'flux', source: 'flux-system/apps' }],
    ['k9s', {}, { via: 'kubectl', source: 'k9s' }],
    [undefined, flux, { via: 'flux', source: 'flux-system/apps' }],
    [undefined, {}, { via: 'kubectl' }],
  ] as const)('%s', (manager, labels, want) => {
    expect(approvalChannel(manager, labels)).toEqual(want);
  });
});

describe('approvalVerdict channel', () => {
  const now = new Date('2026-01-01T00:00:00Z');
  const run = (status?: AgentRun['status']): AgentRun => ({ apiVersion: 'agentlab.dev/v1alpha1', kind: 'AgentRun', metadata: { name: 'r', namespace: 'ai' }, spec: { task: 't', approval: { required: true, decision: 'Approved', decidedBy: 'alice' } }, status });
  it('records the channel of the manager that wrote a new decision', () => {
    const r = run();
    expect(isRecorded(r)).toBe(false);
    expect(approvalVerdict(r, 'installed', now, 'agentlab-mcp')).toMatchObject({ kind: 'approved', record: { via: 'mcp', decidedBy: 'alice' } });
  });
  it('keeps the recorded channel once the status holds the decision (managedFields are not read again)', () => {
    const r = run({ approval: { decision: 'Approved', decidedBy: 'alice', decidedAt: '2025-12-31T00:00:00Z', via: 'mcp' } });
    expect(isRecorded(r)).toBe(true);
    expect(approvalVerdict(r, 'installed', now)).toMatchObject({ record: { via: 'mcp', decidedAt: '2025-12-31T00:00:00Z' } });
  });
});
