import { describe, expect, it } from 'vitest';
import { reconcileOnce } from '../runtime/test-kit.js';
import type { KubeObject } from '../runtime/kube.js';
import { runUsageConfigMapName } from '../model/agentrun/usage.js';
import { agentRunController } from './controller.js';
import type { AgentRun } from './types.js';

const router = { namespace: 'agentlab-system', podLabels: { 'app.kubernetes.io/name': 'agentlab-router' }, port: 8080 };
const now = new Date('2026-01-15T12:00:00Z');
const lane: KubeObject = {
  apiVersion: 'agentlab.dev/v1alpha1', kind: 'LanePolicy', metadata: { name: 'private', uid: 'lane-uid', generation: 1 },
  spec: { namespaceSelector: { matchLabels: { lane: 'private' } }, allowCloud: false, providers: [{ name: 'ollama', cloud: { provider: 'ollama', baseURL: 'http://ollama:11434' }, models: { default: 'llama3.1:8b' } }] },
};
const namespace: KubeObject = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'ai', labels: { lane: 'private' } } };
const policy: KubeObject = { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingAdmissionPolicy', metadata: { name: 'agentlab-approvals' } };
const binding: KubeObject = { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingAdmissionPolicyBinding', metadata: { name: 'agentlab-approvals' }, spec: { policyName: 'agentlab-approvals', validationActions: ['Deny'] } } as KubeObject;

function agentRun(spec: Partial<AgentRun['spec']> = {}, status?: AgentRun['status'], name = 'triage'): AgentRun {
  return {
    apiVersion: 'agentlab.dev/v1alpha1', kind: 'AgentRun',
    metadata: { name, namespace: 'ai', uid: `${name}-uid`, generation: 1, creationTimestamp: '2026-01-15T11:59:00Z' },
    spec: { task: 'Summarise the README.', model: 'default', limits: { maxTurns: 5, maxTokens: 1000, timeout: '10m' }, ...spec },
    ...(status ? { status } : {}),
  };
}

const ctl = (opts: Parameters<typeof agentRunController>[0] = {}) => agentRunController({ router, routerUrl: 'http://router.test:8080', newToken: () => 'tok-123', readLog: async () => ({ text: '{"type":"start","turn":0}\n{"type":"tool_call","turn":1,"name":"files"}\n', limitReached: false }), ...opts });
const cond = (status: { conditions?: { type: string }[] }, type: string) => status.conditions?.find((c) => c.type === type) as { status: string; reason: string; message: string } | undefined;

describe('AgentRun controller', () => {
  it('starts a run: config, token Secret (created, not applied), NetworkPolicy and the hardened pod', async () => {
    const run = await reconcileOnce(ctl(), { object: agentRun(), cache: [lane, namespace], now });
    expect(run.thrown).toBeUndefined();
    expect(run.status.phase).toBe('Running');
    expect(run.status).toMatchObject({ lane: 'private', podName: 'triage-agent', startTime: '2026-01-15T12:00:00Z', transcriptRef: { configMapName: 'triage-transcript', key: 'transcript.jsonl' } });
    expect(cond(run.status, 'Ready')).toMatchObject({ status: 'Unknown', reason: 'Running' });
    expect(run.applied.map((a) => `${a.via} ${a.object.kind}/${a.object.metadata?.name}`)).toEqual([
      'ctx.apply ConfigMap/triage-config', 'client.create Secret/triage-router-token', 'ctx.apply NetworkPolicy/triage-agent', 'ctx.apply Pod/triage-agent',
    ]);
    const pod = run.applied.find((a) => a.object.kind === 'Pod')!.object as KubeObject & { spec: Record<string, any> };
    expect(pod.metadata?.ownerReferences).toEqual([expect.objectContaining({ kind: 'AgentRun', name: 'triage', controller: true })]);
    expect(pod.spec).toMatchObject({ restartPolicy: 'Never', activeDeadlineSeconds: 615, automountServiceAccountToken: false, securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } } });
    expect(pod.spec.containers[0].securityContext).toEqual({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' } });
    expect(pod.spec.containers[0].env).toContainEqual({ name: 'AGENTLAB_ROUTER_TOKEN', valueFrom: { secretKeyRef: { name: 'triage-router-token', key: 'token' } } });
    expect(JSON.stringify(pod)).not.toContain('tok-123');
    const secret = run.applied.find((a) => a.object.kind === 'Secret')!.object as KubeObject & { type: string; data: Record<string, string> };
    expect(secret.type).toBe('agentlab.dev/router-token');
    expect(Buffer.from(secret.data.token, 'base64').toString()).toBe('tok-123');
    expect(secret.metadata?.labels).toMatchObject({ 'agentlab.dev/router-token': 'true', 'agentlab.dev/run': 'triage' });
    expect(secret.metadata?.annotations).toMatchObject({ 'agentlab.dev/max-tokens': '1000', 'agentlab.dev/lane': 'private', 'agentlab.dev/sensitive': 'false' });
    expect(secret.metadata?.ownerReferences).toEqual([expect.objectContaining({ kind: 'AgentRun', name: 'triage', controller: true })]);
    expect(run.events).toContainEqual({ type: 'Normal', reason: 'Started', message: 'started pod triage-agent in lane private' });
  });

  it.each([
    ['the github tool without an issue tracker', { tools: [{ name: 'github' as const }] }, 'InvalidSpec', 'spec.tools[0]: the github tool works on the run\'s issue tracker; set spec.issueTracker (or spec.github)'],
    ['a model the private lane cannot serve', { model: 'claude' }, 'ModelNotInLane', 'spec.model: lane private cannot serve model "claude"'],
    ['a lane that does not select the namespace', { lane: 'enterprise' }, 'NoLane', 'spec.lane: LanePolicy enterprise does not select namespace ai'],
  ])('stalls %s, naming the field, and starts nothing', async (_n, spec, reason, message) => {
    const run = await reconcileOnce(ctl(), { object: agentRun(spec), cache: [lane, namespace], now });
    expect(run.status.phase).toBe('Pending');
    expect(cond(run.status, 'Stalled')).toMatchObject({ status: 'True', reason });
    expect(cond(run.status, 'Ready')!.message).toContain(message);
    expect(run.applied).toEqual([]);
  });

  it('stalls a run in a namespace without a lane', async () => {
    const run = await reconcileOnce(ctl(), { object: agentRun(), cache: [lane, { ...namespace, metadata: { name: 'ai' } }], now });
    expect(cond(run.status, 'Stalled')).toMatchObject({ reason: 'NoLane', message: expect.stringContaining('namespace ai is in no LanePolicy') });
  });

  it('refuses a second run with the same idempotencyKey, naming the first, and never starts it', async () => {
    const first = agentRun({ idempotencyKey: 'k1' }, { phase: 'Running', startTime: '2026-01-15T11:59:30Z' }, 'first');
    const second = { ...agentRun({ idempotencyKey: 'k1' }, undefined, 'second') };
    const run = await reconcileOnce(ctl(), { object: second, cache: [first, lane, namespace], now });
    expect(run.status.phase).toBe('Failed');
    expect(cond(run.status, 'Stalled')).toMatchObject({ reason: 'Duplicate', message: expect.stringContaining('already used by AgentRun first') });
    expect(run.applied).toEqual([]);
  });

  it('waits for approval; stalls with the policy named when it is not installed', async () => {
    const spec = { approval: { required: true } };
    const missing = await reconcileOnce(ctl(), { object: agentRun(spec), cache: [lane, namespace], now });
    expect(missing.status.phase).toBe('AwaitingApproval');
    expect(cond(missing.status, 'Stalled')).toMatchObject({ reason: 'ApprovalPolicyMissing', message: expect.stringContaining('approval policy agentlab-approvals is not installed') });
    const waiting = await reconcileOnce(ctl(), { object: agentRun(spec), cache: [lane, namespace], server: [policy, binding], now });
    expect(waiting.status.phase).toBe('AwaitingApproval');
    expect(cond(waiting.status, 'ApprovalRequired')).toMatchObject({ status: 'True', reason: 'WaitingForApproval' });
    expect(waiting.applied).toEqual([]);
  });

  it('copies a verified approval and starts; a rejection cancels', async () => {
    const approved = await reconcileOnce(ctl(), { object: agentRun({ approval: { required: true, decision: 'Approved', decidedBy: 'alice', reason: 'looks fine' } }), cache: [lane, namespace], server: [policy, binding], now });
    expect(approved.status.phase).toBe('Running');
    expect(approved.status.approval).toEqual({ decision: 'Approved', decidedBy: 'alice', decidedAt: '2026-01-15T12:00:00Z', via: 'kubectl', reason: 'looks fine' });
    const rejected = await reconcileOnce(ctl(), { object: agentRun({ approval: { required: true, decision: 'Rejected', decidedBy: 'bob' } }), cache: [lane, namespace], server: [policy, binding], now });
    expect(rejected.status.phase).toBe('Cancelled');
    expect(cond(rejected.status, 'Ready')).toMatchObject({ status: 'False', reason: 'Rejected', message: 'rejected by bob' });
    expect(rejected.applied).toEqual([]);
  });

  const runningStatus = { phase: 'Running' as const, lane: 'private', podName: 'triage-agent', startTime: '2026-01-15T11:59:10Z' };
  const pod = (state: Record<string, unknown>, podPhase = 'Running'): KubeObject => ({
    apiVersion: 'v1', kind: 'Pod', metadata: { name: 'triage-agent', namespace: 'ai', labels: { 'app.kubernetes.io/managed-by': 'agentlab' }, ownerReferences: [{ apiVersion: 'agentlab.dev/v1alpha1', kind: 'AgentRun', name: 'triage', uid: 'triage-uid', controller: true }] },
    status: { phase: podPhase, containerStatuses: [{ name: 'agent', state }] },
  } as KubeObject);
  const secret: KubeObject = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'triage-router-token', namespace: 'ai', ownerReferences: [{ apiVersion: 'agentlab.dev/v1alpha1', kind: 'AgentRun', name: 'triage', uid: 'triage-uid', controller: true }] } };
  const usage: KubeObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: runUsageConfigMapName('ai', 'AgentRun', 'triage'), namespace: 'agentlab-system', annotations: { 'agentlab.dev/run-namespace': 'ai', 'agentlab.dev/run': 'triage' } }, data: { promptTokens: '300', completionTokens: '50', costUSD: '0.000000', provider: 'ollama', model: 'llama3.1:8b', fallbacks: '0' } } as KubeObject;

  it('ends Succeeded from the termination message, with usage from the router, transcript, and the token revoked', async () => {
    const message = JSON.stringify({ outcome: 'Succeeded', reason: 'Completed', message: '', result: 'README summarised', turns: 2, toolCalls: 1, toolErrors: 0 });
    const run = await reconcileOnce(ctl(), { object: agentRun({}, runningStatus), cache: [lane, namespace, pod({ terminated: { exitCode: 0, reason: 'Completed', message } }, 'Succeeded'), secret], server: [usage], now });
    expect(run.status).toMatchObject({ phase: 'Succeeded', completionTime: '2026-01-15T12:00:00Z', result: 'README summarised' });
    expect(run.status.usage).toEqual({ promptTokens: 300, completionTokens: 50, totalTokens: 350, costUSD: '0.000000', turns: 2, toolCalls: 1, toolErrors: 0, fallbacks: 0, provider: 'ollama', model: 'llama3.1:8b' });
    expect(cond(run.status, 'Ready')).toMatchObject({ status: 'True', reason: 'Succeeded' });
    expect(run.applied.map((a) => `${a.via} ${a.object.kind}/${a.object.metadata?.name}`)).toEqual(['ctx.apply ConfigMap/triage-transcript', 'client.apply Secret/triage-router-token']);
    expect(run.applied[1].object.metadata?.annotations).toEqual({ 'agentlab.dev/revoked': 'true' });
    expect((run.applied[1].object as { data?: unknown }).data).toBeUndefined();
  });

  it('stops a run the router counted past maxTokens and ends it Failed naming the limit', async () => {
    const over = { ...usage, data: { ...(usage as { data: Record<string, string> }).data, promptTokens: '900', completionTokens: '200' } } as KubeObject;
    const run = await reconcileOnce(ctl(), { object: agentRun({}, runningStatus), cache: [lane, namespace, pod({ running: {} }), secret], server: [over], now });
    expect(run.deleted).toContainEqual(expect.objectContaining({ name: 'triage-agent' }));
    expect(run.status.phase).toBe('Failed');
    expect(cond(run.status, 'Stalled')).toMatchObject({ reason: 'MaxTokens', message: 'limit spec.limits.maxTokens (1000) exceeded: the lane router counted 1100 tokens' });
  });

  it('cancels a running run: deletes the pod, keeps the transcript so far', async () => {
    const run = await reconcileOnce(ctl(), { object: agentRun({ cancel: true }, runningStatus), cache: [lane, namespace, pod({ running: {} }), secret], now });
    expect(run.deleted).toContainEqual(expect.objectContaining({ name: 'triage-agent' }));
    expect(run.applied[0].object.metadata?.name).toBe('triage-transcript');
    expect(run.status).toMatchObject({ phase: 'Cancelled', usage: { toolCalls: 1 } });
    expect(cond(run.status, 'Stalled')).toMatchObject({ reason: 'Cancelled' });
  });

  it('does not write a second token when the Secret exists (operator restart, stale cache)', async () => {
    const existing: KubeObject = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'triage-router-token', namespace: 'ai' } };
    const run = await reconcileOnce(ctl(), { object: agentRun(), cache: [lane, namespace], server: [existing], now });
    expect(run.thrown).toBeUndefined();
    expect(run.applied.filter((a) => a.object.kind === 'Secret')).toEqual([]);
    expect(run.status.phase).toBe('Running');
  });

  it('never restarts a finished run', async () => {
    const done = agentRun({}, { ...runningStatus, phase: 'Failed', completionTime: '2026-01-15T11:00:00Z', conditions: [{ type: 'Ready', status: 'False', reason: 'MaxTurns', message: 'limit', lastTransitionTime: '2026-01-15T11:00:00Z' }] });
    const run = await reconcileOnce(ctl(), { object: done, cache: [lane, namespace], now });
    expect(run.applied).toEqual([]);
    expect(run.status.phase).toBe('Failed');
    expect(cond(run.status, 'Stalled')).toMatchObject({ reason: 'MaxTurns' });
  });

  it('reads the log of a pod being deleted under it (not cancelled): the turns and transcript so far are kept before the pod is gone', async () => {
    const deleting = { ...pod({ running: {} }), metadata: { ...pod({ running: {} }).metadata, deletionTimestamp: '2026-01-15T11:59:55Z' } } as KubeObject;
    const run = await reconcileOnce(ctl(), { object: agentRun({}, runningStatus), cache: [lane, namespace, deleting, secret], now });
    expect(run.status.phase).toBe('Running');
    expect(run.applied.map((a) => a.object.metadata?.name)).toEqual(['triage-transcript']);
    expect(run.status.usage).toMatchObject({ turns: 1, toolCalls: 1 });
    expect(run.deleted).toEqual([]);
  });

  it('reads no log while the pod is Pending (the agent container has not started: nothing to read)', async () => {
    let reads = 0;
    const readLog = async () => { reads++; return { text: '', limitReached: false }; };
    for (const pending of [pod({ waiting: { reason: 'ContainerCreating' } }, 'Pending'), { ...pod({}), status: undefined } as KubeObject]) {
      const run = await reconcileOnce(ctl({ readLog }), { object: agentRun({}, runningStatus), cache: [lane, namespace, pending, secret], server: [usage], now });
      expect(run.status.phase).toBe('Running');
      expect(run.status.usage).toMatchObject({ totalTokens: 350 });
    }
    expect(reads).toBe(0);
    await reconcileOnce(ctl({ readLog }), { object: agentRun({}, runningStatus), cache: [lane, namespace, pod({ running: {} }), secret], now });
    expect(reads).toBe(1);
  });

  it('reads the transcript and counts of a running run every refresh from its start, not on each pod change or router flush', async () => {
    // Started 5 s ago, agent running, router usage flushed: a pod change or a flush now writes nothing.
    const recent = { ...runningStatus, startTime: '2026-01-15T11:59:55Z', usage: { promptTokens: 0, completionTokens: 0, totalTokens: 0, costUSD: '0.000000', turns: 0, fallbacks: 0, toolCalls: 0, toolErrors: 0 } };
    let reads = 0;
    const readLog = async () => { reads++; return { text: '{"type":"start","turn":0}\n{"type":"tool_call","turn":1,"name":"files"}\n', limitReached: false }; };
    const c = ctl({ readLog, refreshMs: 15_000 });
    const early = await reconcileOnce(c, { object: agentRun({}, recent), cache: [lane, namespace, pod({ running: {} }), secret], server: [usage], now });
    expect(early.applied).toEqual([]);
    expect(reads).toBe(0);
    expect(early.status.usage).toEqual(recent.usage);
    expect(early.result?.requeueAfterMs).toBe(10_000); // the refresh comes 15 s after the start
    // 15 s after the start: the transcript, the counts and the router's usage.
    const due = await reconcileOnce(c, { object: agentRun({}, recent), cache: [lane, namespace, pod({ running: {} }), secret], server: [usage], now: new Date(now.getTime() + 10_000) });
    expect(due.applied.map((a) => a.object.metadata?.name)).toEqual(['triage-transcript']);
    expect(due.status.usage).toMatchObject({ totalTokens: 350, toolCalls: 1 });
    expect(due.result?.requeueAfterMs).toBe(15_000);
    // A pod being deleted under the run is read at once, whenever it happens (Interruption).
    const deleting = { ...pod({ running: {} }), metadata: { ...pod({ running: {} }).metadata, deletionTimestamp: '2026-01-15T11:59:58Z' } } as KubeObject;
    const interrupted = await reconcileOnce(ctl({ readLog }), { object: agentRun({}, recent), cache: [lane, namespace, deleting, secret], now });
    expect(interrupted.applied.map((a) => a.object.metadata?.name)).toEqual(['triage-transcript']);
  });

  it('runs as many reconciles at once as the ModelServer controller (the operator-wide cap still applies)', () => {
    expect(ctl().maxConcurrentReconciles).toBe(16);
  });

  it('fails an interrupted run whose pod is gone', async () => {
    const run = await reconcileOnce(ctl(), { object: agentRun({}, runningStatus), cache: [lane, namespace, secret], now });
    expect(run.status.phase).toBe('Failed');
    expect(cond(run.status, 'Stalled')).toMatchObject({ reason: 'RunnerInterrupted' });
  });
});
