// How AgentRuns start and end beyond the happy path, on the operator as `agentlab run` starts it,
// the node simulator running the real agent-runner image and the lane router: the task from a
// ConfigMap, the timeout (the runner's own and the pod's activeDeadlineSeconds), and a runner
// killed mid-run (docs/agents.md "Interruption").
import { beforeAll, describe, expect, it } from 'vitest';
import type { ScriptRule } from '../../hack/fakes/index.js';
import { useCluster } from '../harness/cluster.js';
import { TOOL_RULES } from '../lanes/support.js';
import { condition, simulatedPodPid, startAgentRunFixture, type AgentRunFixture } from './support.js';

const cluster = useCluster();
let f: AgentRunFixture;

/** A slow model that keeps listing the workspace: each answer takes `delayMs`. */
const looping = (when: string, delayMs: number): ScriptRule => ({
  when,
  delayMs,
  steps: Array.from({ length: 20 }, () => ({ toolCalls: [{ name: 'list_directory', arguments: { path: '.' } }] })),
});

beforeAll(async () => {
  f = await startAgentRunFixture(cluster);
  // Each answer well below the private lane's 5 s first-token fallback timeout: slow, not failing.
  f.lanes.ollama.setRules([looping('ends-e2e: slow', 2000), looping('ends-e2e: stuck', 2000), looping('ends-e2e: interrupt', 700), looping('ends-e2e: delete', 700), ...TOOL_RULES]);
});

const files = { name: 'files', files: { paths: ['/workspace'], readOnly: true } };
const FINAL = ['Succeeded', 'Failed', 'Cancelled'];

async function podLog(name: string): Promise<string> {
  return (await cluster.kubectl(['-n', f.ns, 'logs', `${name}-agent`], { allowFailure: true })).stdout;
}

async function transcriptTypes(name: string): Promise<string[]> {
  const cm = await cluster.core.readNamespacedConfigMap({ namespace: f.ns, name: `${name}-transcript` });
  return cm.data!['transcript.jsonl'].trim().split('\n').map((l) => (JSON.parse(l) as { type: string }).type);
}

/** Waits until the agent's log holds `n` tool results (turns completed), then finds its process. */
async function runnerAfterResults(name: string, n: number): Promise<number> {
  await cluster.waitFor(async () => (await podLog(name)).split('"type":"tool_result"').length - 1 >= n, { timeoutMs: 60_000, what: `${n} tool results in the log of ${name}-agent` });
  const pid = await simulatedPodPid(`${name}-agent`);
  expect(pid, `the runner process of ${name}-agent`).toBeDefined();
  return pid!;
}

describe.runIf(cluster.nodeSimulator)('AgentRun task from a ConfigMap', () => {
  it('reads spec.taskFrom.configMapKeyRef and runs that task', async () => {
    const task = 'What does the ConfigMap say about the backup window?';
    await cluster.core.createNamespacedConfigMap({ namespace: f.ns, body: { metadata: { name: 'tasks' }, data: { backup: task } } });
    await f.apply('task-from-cm', { taskFrom: { configMapKeyRef: { name: 'tasks', key: 'backup' } }, model: 'chat', limits: { maxTurns: 3 } });
    const run = await f.waitForPhase('task-from-cm', FINAL, 90_000);
    expect(run.status?.phase, JSON.stringify(run.status)).toBe('Succeeded');
    // No tools: the fake model's answer quotes the task it was given.
    expect(run.status?.result).toContain(task);
    const config = await cluster.core.readNamespacedConfigMap({ namespace: f.ns, name: 'task-from-cm-config' });
    expect(JSON.parse(config.data!['run.json'])).toMatchObject({ task });
  }, 120_000);

  it.each([
    ['a key the ConfigMap does not have', 'task-missing-key', { name: 'tasks', key: 'restore' }, 'ConfigMap tasks has no key "restore"'],
    ['a ConfigMap that does not exist', 'task-missing-cm', { name: 'no-such-tasks', key: 'backup' }, 'ConfigMap no-such-tasks not found'],
  ])('is Stalled naming spec.taskFrom.configMapKeyRef for %s, without a pod or token', async (_what, name, ref, message) => {
    await f.apply(name, { taskFrom: { configMapKeyRef: ref }, model: 'chat' });
    await cluster.kubectl(['-n', f.ns, 'wait', '--for=condition=Stalled', `agentrun/${name}`, '--timeout=60s']);
    const run = await f.get(name);
    expect(run.status?.phase).toBe('Pending');
    expect(condition(run, 'Stalled')).toMatchObject({ status: 'True', reason: 'TaskNotFound', message: expect.stringContaining('spec.taskFrom.configMapKeyRef') });
    expect(condition(run, 'Stalled')?.message).toContain(message);
    expect((await cluster.request({ path: `/api/v1/namespaces/${f.ns}/pods/${name}-agent` })).status).toBe(404);
    expect((await cluster.request({ path: `/api/v1/namespaces/${f.ns}/secrets/${name}-router-token` })).status).toBe(404);
  }, 90_000);
});

// The runs below are independent (a run each, by name) and mostly wait (the stuck runner 18 s for its
// pod's deadline): they run at once, each test in its own run.
describe.runIf(cluster.nodeSimulator).concurrent('AgentRun limits.timeout', () => {
  it('a slow model: the runner stops at its timeout and the run is Failed naming spec.limits.timeout', async () => {
    await f.apply('slow-model', { task: 'ends-e2e: slow', model: 'chat', tools: [files], limits: { timeout: '3s' } });
    const run = await f.waitForPhase('slow-model', FINAL, 90_000);
    expect(run.status?.phase).toBe('Failed');
    expect(condition(run, 'Ready')).toMatchObject({ status: 'False', reason: 'Timeout', message: expect.stringContaining('spec.limits.timeout (3s)') });
    expect(condition(run, 'Stalled')).toMatchObject({ status: 'True', reason: 'Timeout' });
    const pod = await cluster.core.readNamespacedPod({ namespace: f.ns, name: 'slow-model-agent' });
    // The backstop for a runner that does not stop itself: the timeout plus 15 s.
    expect(pod.spec?.activeDeadlineSeconds).toBe(18);
    expect(JSON.parse(pod.status!.containerStatuses![0].state!.terminated!.message!)).toMatchObject({ outcome: 'LimitExceeded', reason: 'Timeout' });
    expect(await transcriptTypes('slow-model')).toEqual(expect.arrayContaining(['start', 'limit', 'end']));
  }, 120_000);

  it('a runner that cannot stop itself is ended by the pod\'s activeDeadlineSeconds: Failed naming spec.limits.timeout', async () => {
    await f.apply('stuck-runner', { task: 'ends-e2e: stuck', model: 'chat', tools: [files], limits: { timeout: '3s' } });
    const pid = await cluster.waitFor(() => simulatedPodPid('stuck-runner-agent'), { timeoutMs: 60_000, intervalMs: 100, what: 'the runner process of stuck-runner-agent' });
    // Frozen (as a runner stuck in a syscall would be): it never reaches its own deadline.
    process.kill(pid, 'SIGSTOP');
    try {
      const run = await f.waitForPhase('stuck-runner', FINAL, 90_000);
      expect(run.status?.phase).toBe('Failed');
      expect(condition(run, 'Ready')).toMatchObject({ status: 'False', reason: 'Timeout', message: expect.stringContaining('spec.limits.timeout (3s)') });
      const pod = await cluster.core.readNamespacedPod({ namespace: f.ns, name: 'stuck-runner-agent' });
      expect(pod.status).toMatchObject({ phase: 'Failed', reason: 'DeadlineExceeded' });
    } finally {
      try { process.kill(pid, 'SIGKILL'); } catch { /* already gone */ }
    }
  }, 120_000);
});

describe.runIf(cluster.nodeSimulator).concurrent('AgentRun interrupted', () => {
  it('the runner killed mid-run (SIGKILL): Failed/RunnerInterrupted with the turns and transcript so far', async () => {
    await f.apply('killed-runner', { task: 'ends-e2e: interrupt', model: 'chat', tools: [files], limits: { maxTurns: 20 } });
    const pid = await runnerAfterResults('killed-runner', 2);
    process.kill(pid, 'SIGKILL');
    const run = await f.waitForPhase('killed-runner', FINAL, 60_000);
    expect(run.status?.phase).toBe('Failed');
    expect(condition(run, 'Ready')).toMatchObject({ status: 'False', reason: 'RunnerInterrupted', message: expect.stringContaining('runs are not resumed') });
    expect(condition(run, 'Stalled')).toMatchObject({ status: 'True', reason: 'RunnerInterrupted' });
    expect(run.status?.usage?.turns).toBeGreaterThanOrEqual(2);
    expect(run.status?.usage?.toolCalls).toBeGreaterThanOrEqual(2);
    const types = await transcriptTypes('killed-runner');
    expect(types.filter((t) => t === 'tool_result').length).toBeGreaterThanOrEqual(2);
    expect(types).not.toContain('end');
    // Not resumed: the same pod, terminated, and no other.
    const pods = await cluster.core.listNamespacedPod({ namespace: f.ns, labelSelector: 'agentlab.dev/run=killed-runner' });
    expect(pods.items.map((p) => p.metadata?.name)).toEqual(['killed-runner-agent']);
    expect(pods.items[0].status?.containerStatuses?.[0].state?.terminated?.exitCode).toBe(137);
  }, 120_000);

  it('the pod deleted mid-run: Failed/RunnerInterrupted, not Cancelled, and not restarted', async () => {
    await f.apply('deleted-pod', { task: 'ends-e2e: delete', model: 'chat', tools: [files], limits: { maxTurns: 20 } });
    await runnerAfterResults('deleted-pod', 1);
    await cluster.kubectl(['-n', f.ns, 'delete', 'pod', 'deleted-pod-agent', '--wait=false']);
    const run = await f.waitForPhase('deleted-pod', FINAL, 60_000);
    expect(run.status?.phase).toBe('Failed');
    expect(condition(run, 'Ready')).toMatchObject({ reason: 'RunnerInterrupted' });
    expect(run.status?.usage?.turns).toBeGreaterThanOrEqual(1);
    await cluster.waitFor(async () => (await cluster.request({ path: `/api/v1/namespaces/${f.ns}/pods/deleted-pod-agent` })).status === 404, { timeoutMs: 60_000, what: 'the deleted pod to be gone' });
    // Give a wrong controller a chance to recreate it (it looks again every 15 s while the run is recent).
    await new Promise((r) => setTimeout(r, 2000));
    expect((await cluster.request({ path: `/api/v1/namespaces/${f.ns}/pods/deleted-pod-agent` })).status).toBe(404);
    expect((await f.get('deleted-pod')).status?.phase).toBe('Failed');
  }, 120_000);
});
