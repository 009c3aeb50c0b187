// AgentRuns end to end: the controller, the node simulator running the real agent-runner image,
// the lane router and the fake Ollama's scripted triage (list the workspace, fail to read a file, answer).
import { beforeAll, describe, expect, it } from 'vitest';
import { useCluster } from '../harness/cluster.js';
import { condition, startAgentRunFixture, type AgentRunFixture } from './support.js';

const cluster = useCluster();
let f: AgentRunFixture;

beforeAll(async () => {
  f = await startAgentRunFixture(cluster);
});

const TRIAGE = 'Triage issue #142: read what the workspace holds and answer.';
const files = { name: 'files', files: { paths: ['/workspace'], readOnly: true } };

describe.runIf(cluster.nodeSimulator)('AgentRun life cycle', () => {
  it('runs to Succeeded with usage from the router, the result, a transcript and the token revoked', async () => {
    await f.apply('triage-ok', { task: TRIAGE, model: 'chat', tools: [files], limits: { maxTurns: 10, maxTokens: 100000, timeout: '5m' } });
    const run = await f.waitForPhase('triage-ok', ['Succeeded', 'Failed', 'Cancelled'], 90_000);
    expect(run.status?.phase, JSON.stringify(run.status)).toBe('Succeeded');
    expect(condition(run, 'Ready')).toMatchObject({ status: 'True', reason: 'Succeeded' });
    expect(run.status).toMatchObject({ lane: f.lanes.lane('private'), podName: 'triage-ok-agent', transcriptRef: { configMapName: 'triage-ok-transcript', key: 'transcript.jsonl' } });
    expect(run.status?.result).toMatch(/^Summary: /);
    expect(run.status?.startTime).toBeDefined();
    expect(run.status?.completionTime).toBeDefined();
    expect(run.status?.usage).toMatchObject({ turns: 3, toolCalls: 2, toolErrors: 1 });
    // Usage is the router's count of the run's token (flushed a moment after the last request).
    const withUsage = await cluster.waitFor(async () => {
      const r = await f.get('triage-ok');
      return (r.status?.usage?.totalTokens ?? 0) > 0 ? r : undefined;
    }, { timeoutMs: 40_000, what: 'status.usage from the router' });
    expect(withUsage.status?.usage).toMatchObject({ provider: 'gpu-ollama', model: 'llama3.1:8b', costUSD: '0.000000' });
    expect(withUsage.status!.usage!.totalTokens).toBe(withUsage.status!.usage!.promptTokens! + withUsage.status!.usage!.completionTokens!);

    const cm = await cluster.core.readNamespacedConfigMap({ namespace: f.ns, name: 'triage-ok-transcript' });
    const lines = cm.data!['transcript.jsonl'].trim().split('\n').map((l) => JSON.parse(l) as { type: string });
    expect(lines.map((l) => l.type)).toEqual(['start', 'assistant', 'tool_call', 'tool_result', 'tool_call', 'tool_result', 'assistant', 'end']);
    expect(cm.data!['transcript.jsonl']).not.toContain(TRIAGE);

    const secret = await cluster.core.readNamespacedSecret({ namespace: f.ns, name: 'triage-ok-router-token' });
    expect(secret.metadata?.annotations?.['agentlab.dev/revoked']).toBe('true');
    const token = Buffer.from(secret.data!.token, 'base64').toString();
    expect(JSON.stringify(withUsage)).not.toContain(token);
    expect(cm.data!['transcript.jsonl']).not.toContain(token);

    const pod = await cluster.core.readNamespacedPod({ namespace: f.ns, name: 'triage-ok-agent' });
    expect(pod.metadata?.ownerReferences).toEqual([expect.objectContaining({ kind: 'AgentRun', name: 'triage-ok', controller: true })]);
    expect(pod.spec?.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    expect(pod.spec?.activeDeadlineSeconds).toBe(315);

    // The Ready transition's event is written after the status (operators/runtime/runtime.ts): waited for, not read once.
    const events = await cluster.waitFor(async () => {
      const e = await cluster.kubectl(['-n', f.ns, 'get', 'events', '--field-selector', 'involvedObject.kind=AgentRun,involvedObject.name=triage-ok', '-o', 'jsonpath={range .items[*]}{.reason}{"\\n"}{end}']);
      return ['Started', 'Succeeded'].every((r) => e.stdout.split('\n').includes(r)) ? e : undefined;
    }, { what: 'the Started and Succeeded events of triage-ok', intervalMs: 300 });
    expect(events.stdout.split('\n')).toEqual(expect.arrayContaining(['Started', 'Succeeded']));
  }, 150_000);

  it('shows phase, model, tokens, cost and age in kubectl get, lane and status with -o wide', async () => {
    const out = await cluster.kubectl(['-n', f.ns, 'get', 'agentruns', 'triage-ok']);
    const [header, row] = out.stdout.trim().split('\n');
    expect(header.split(/\s+/)).toEqual(['NAME', 'PHASE', 'MODEL', 'TOKENS', 'COST', 'AGE']);
    expect(row).toMatch(/^triage-ok\s+Succeeded\s+chat\s+\d+\s+0\.000000\s+\S+$/);
    const wide = await cluster.kubectl(['-n', f.ns, 'get', 'agentruns', 'triage-ok', '-o', 'wide']);
    expect(wide.stdout.split('\n')[0].split(/\s+/)).toEqual(['NAME', 'PHASE', 'MODEL', 'TOKENS', 'COST', 'AGE', 'LANE', 'READY', 'STATUS', 'ISSUE']);
  });

  it('ends Failed naming spec.limits.maxTurns when the agent runs out of turns', async () => {
    await f.apply('triage-turns', { task: TRIAGE, model: 'chat', tools: [files], limits: { maxTurns: 1 } });
    const run = await f.waitForPhase('triage-turns', ['Succeeded', 'Failed', 'Cancelled'], 90_000);
    expect(run.status?.phase).toBe('Failed');
    expect(condition(run, 'Ready')).toMatchObject({ status: 'False', reason: 'MaxTurns', message: expect.stringContaining('spec.limits.maxTurns (1)') });
    expect(condition(run, 'Stalled')).toMatchObject({ status: 'True', reason: 'MaxTurns' });
  }, 120_000);

  it('ends Failed naming spec.limits.maxTokens when the router refuses past the token limit', async () => {
    await f.apply('triage-tokens', { task: TRIAGE, model: 'chat', tools: [files], limits: { maxTokens: 1 } });
    const run = await f.waitForPhase('triage-tokens', ['Succeeded', 'Failed', 'Cancelled'], 90_000);
    expect(run.status?.phase).toBe('Failed');
    expect(condition(run, 'Ready')).toMatchObject({ reason: 'MaxTokens', message: expect.stringContaining('spec.limits.maxTokens (1)') });
  }, 120_000);

  it('cancel: true stops the pod, keeps the transcript so far, ends Cancelled', async () => {
    f.lanes.ollama.setFaults({ firstTokenDelayMs: 20_000 });
    try {
      await f.apply('triage-cancel', { task: TRIAGE, model: 'chat', tools: [files] });
      await cluster.waitFor(async () => {
        const logs = await cluster.kubectl(['-n', f.ns, 'logs', 'triage-cancel-agent'], { allowFailure: true });
        return logs.stdout.includes('"type":"start"');
      }, { timeoutMs: 60_000, what: 'the runner to start' });
      await cluster.kubectl(['-n', f.ns, 'patch', 'agentrun/triage-cancel', '--type', 'merge', '-p', '{"spec":{"cancel":true}}']);
      const run = await f.waitForPhase('triage-cancel', ['Succeeded', 'Failed', 'Cancelled'], 60_000);
      expect(run.status?.phase).toBe('Cancelled');
      expect(condition(run, 'Ready')).toMatchObject({ status: 'False', reason: 'Cancelled' });
      const cm = await cluster.core.readNamespacedConfigMap({ namespace: f.ns, name: 'triage-cancel-transcript' });
      expect(cm.data!['transcript.jsonl']).toContain('"type":"start"');
      await cluster.waitFor(async () => {
        const r = await cluster.request({ path: `/api/v1/namespaces/${f.ns}/pods/triage-cancel-agent` });
        return r.status === 404;
      }, { timeoutMs: 60_000, what: 'the cancelled pod to be gone' });
      // A finished run is never restarted.
      const again = await f.get('triage-cancel');
      expect(again.status?.phase).toBe('Cancelled');
      expect((await cluster.request({ path: `/api/v1/namespaces/${f.ns}/pods/triage-cancel-agent` })).status).toBe(404);
    } finally {
      f.lanes.ollama.setFaults({});
    }
  }, 150_000);

  it('refuses a second run with the same idempotencyKey, naming the first, without starting it', async () => {
    await f.apply('key-first', { task: TRIAGE, model: 'chat', tools: [files], idempotencyKey: 'issue-142' });
    await f.waitForPhase('key-first', ['Running', 'Succeeded']);
    await f.apply('key-second', { task: TRIAGE, model: 'chat', tools: [files], idempotencyKey: 'issue-142' });
    await cluster.kubectl(['-n', f.ns, 'wait', '--for=condition=Stalled', 'agentrun/key-second', '--timeout=60s']);
    const second = await f.get('key-second');
    expect(condition(second, 'Stalled')).toMatchObject({ reason: 'Duplicate', message: expect.stringContaining('AgentRun key-first') });
    expect(second.status?.phase).toBe('Failed');
    expect((await cluster.request({ path: `/api/v1/namespaces/${f.ns}/pods/key-second-agent` })).status).toBe(404);
    expect((await cluster.request({ path: `/api/v1/namespaces/${f.ns}/secrets/key-second-router-token` })).status).toBe(404);
  }, 120_000);

  it.each([
    // A RuntimeClass no test creates: whatever else the cluster serves (a kata RuntimeClass, the
    // VirtualMachineInstance CRD from kubevirt.test.ts), the answer is the same.
    ['runtime.type vm with a RuntimeClass the cluster lacks', 'stalled-vm', { runtime: { type: 'vm', vm: { engine: 'kata', runtimeClassName: 'no-such-runtime-class' } } }, 'RuntimeClassNotFound', 'spec.runtime.vm.runtimeClassName: RuntimeClass "no-such-runtime-class" not found'],
    ['a model the private lane cannot serve', 'stalled-model', { model: 'claude-sonnet' }, 'ModelNotInLane', `spec.model: lane`],
    ['a lane that does not select the namespace', 'stalled-lane', { lane: 'no-such-lane' }, 'NoLane', 'spec.lane: LanePolicy no-such-lane does not select namespace'],
  ])('is Stalled for %s, naming the field', async (_what, name, spec, reason, message) => {
    await f.apply(name, { task: 'Say hello.', model: 'chat', ...spec });
    await cluster.kubectl(['-n', f.ns, 'wait', '--for=condition=Stalled', `agentrun/${name}`, '--timeout=60s']);
    const run = await f.get(name);
    expect(run.status?.phase).toBe('Pending');
    expect(condition(run, 'Stalled')).toMatchObject({ status: 'True', reason, message: expect.stringContaining(message) });
    expect((await cluster.request({ path: `/api/v1/namespaces/${f.ns}/pods/${name}-agent` })).status).toBe(404);
  }, 90_000);

  it('is Stalled in a namespace that is in no lane', async () => {
    const lonely = await cluster.newNamespace('agentrun-nolane');
    // The operator only sees the fixture's namespaces: a second one for this namespace.
    const { startOperator } = await import('../../operators/manager.js');
    const { testLogger } = await import('../modelserver/support.js');
    const op = await startOperator({ kubeConfig: cluster.kc, logger: testLogger(), namespaces: [lonely], labelSelector: f.lanes.selector, controllers: ['agentrun'], routerUrl: f.lanes.router.url });
    try {
      await f.apply('no-lane', { task: 'Say hello.' }, lonely);
      await cluster.kubectl(['-n', lonely, 'wait', '--for=condition=Stalled', 'agentrun/no-lane', '--timeout=60s']);
      const run = await f.get('no-lane', lonely);
      expect(condition(run, 'Stalled')).toMatchObject({ reason: 'NoLane', message: expect.stringContaining(`namespace ${lonely} is in no LanePolicy`) });
    } finally {
      await op.stop();
    }
  }, 90_000);
});
