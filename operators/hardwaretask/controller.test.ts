import { describe, expect, it } from 'vitest';
import { startFakeGitHub } from '../../hack/fakes/github.js';
import type { HardwareTaskSpec, HardwareTaskStatus } from '../api/generated/hardwaretask.js';
import type { KubeObject } from '../runtime/kube.js';
import { reconcileOnce } from '../runtime/test-kit.js';
import { analysisRetryDelayMs, hardwareTaskController, transientRouterStatus } from './controller.js';
import type { HardwareTaskObject, StepStatus } from './types.js';

const stepsOf = (run: { status: Record<string, unknown> }) => run.status.steps as StepStatus[];

/**
 * Reconciles until the first step is no longer Running: the model call runs in the background
 * and hands its answer to a later reconcile, so it is waited for, not given a fixed time.
 */
async function untilAnswered<R extends { status: Record<string, unknown> }>(reconcile: () => Promise<R>): Promise<R> {
  for (let i = 0; ; i++) {
    const r = await reconcile();
    if (stepsOf(r)[0].phase !== 'Running' || i >= 1000) return r;
    await new Promise((res) => setTimeout(res, 10));
  }
}

const now = new Date('2026-03-01T10:00:00Z');
const policy: KubeObject = { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingAdmissionPolicy', metadata: { name: 'agentlab-approvals' } };
const binding = { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingAdmissionPolicyBinding', metadata: { name: 'agentlab-approvals' }, spec: { policyName: 'agentlab-approvals', validationActions: ['Deny'] } } as KubeObject;
const ns = (labels: Record<string, string> = {}): KubeObject => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'lab', labels } });
const task = (spec: Partial<HardwareTaskSpec>, status?: HardwareTaskStatus, annotations?: Record<string, string>): HardwareTaskObject => ({
  apiVersion: 'agentlab.dev/v1alpha1', kind: 'HardwareTask',
  metadata: { name: 'disk', namespace: 'lab', uid: 'uid-1', generation: 1, ...(annotations ? { annotations } : {}) },
  spec: { node: 'chief-horse', steps: [], ...spec },
  ...(status ? { status } : {}),
});
const fit = { name: 'fit', type: 'human' as const, human: { instructions: 'Fit the disk. Analysis: ${steps.report.outputs.notes}', parts: [{ name: 'WD Red Plus 4 TB', quantity: 1, costUSD: '99.99', url: 'https://example.com/wd' }], links: [{ title: 'zpool-add', url: 'https://example.com/zpool' }] } };
const detect = { name: 'detect', type: 'check' as const, dependsOn: ['fit'], check: { commands: ['lsblk -J', 'smartctl -H /dev/sdb'], success: { outputContains: ['PASSED'], outputNotContains: ['FAILED'] } } };
const pod = (name: string, status: Record<string, unknown>): KubeObject => ({
  apiVersion: 'v1', kind: 'Pod',
  metadata: { name, namespace: 'lab', labels: { 'app.kubernetes.io/managed-by': 'agentlab' }, ownerReferences: [{ apiVersion: 'agentlab.dev/v1alpha1', kind: 'HardwareTask', name: 'disk', uid: 'uid-1', controller: true }] },
  status,
});
const ended = (name: string, exitCode: number, message: unknown) => pod(name, { phase: exitCode === 0 ? 'Succeeded' : 'Failed', containerStatuses: [{ name: 'run', state: { terminated: { exitCode, message: JSON.stringify(message) } } }] });
const cond = (status: { conditions?: { type: string; status: string; reason: string; message: string }[] }, type: string) => status.conditions?.find((c) => c.type === type);
const waitingFit: HardwareTaskStatus = { steps: [{ name: 'fit', phase: 'WaitingForHuman', startedAt: '2026-03-01T09:00:00Z' }, { name: 'detect', phase: 'Pending' }] };

describe('hardwaretask controller: plan', () => {
  it('stalls a dependsOn cycle with the field path', async () => {
    const run = await reconcileOnce(hardwareTaskController(), { object: task({ steps: [{ ...fit, human: { instructions: 'x' }, dependsOn: ['detect'] }, detect] }), now });
    expect(cond(run.status, 'Stalled')).toMatchObject({ status: 'True', reason: 'InvalidGraph', message: 'invalid step graph: spec.steps: dependsOn cycle: fit -> detect -> fit' });
    expect(run.applied).toEqual([]);
  });

  it('stalls a document step when the task names no issue tracker, saying what to set', async () => {
    const run = await reconcileOnce(hardwareTaskController(), { object: task({ steps: [{ name: 'report', type: 'document', document: { files: [{ path: 'a.md', content: 'x' }] } }, { ...fit, dependsOn: ['report'] }] }), now });
    const message = 'spec.steps[0].document: target Issue needs spec.issueTracker (or the deprecated spec.github) naming the repository and the token Secret; docs/hardwaretasks.md "The issue"';
    expect(cond(run.status, 'Stalled')).toMatchObject({ reason: 'IssueTrackerRequired', message });
    expect(stepsOf(run)).toEqual([{ name: 'report', phase: 'Pending', message }, { name: 'fit', phase: 'Pending' }]);
  });

  it('stalls a kubernetes step without spec.serviceAccountName, saying what to add, and applies nothing', async () => {
    const sc = { apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name: 'zfs' }, provisioner: 'zfs.csi.openebs.io' };
    const run = await reconcileOnce(hardwareTaskController(), { object: task({ steps: [{ name: 'storage', type: 'kubernetes', kubernetes: { manifests: [sc] } }] }), now });
    expect(cond(run.status, 'Stalled')).toMatchObject({ reason: 'ServiceAccountRequired', message: "spec.steps[0] (storage): a kubernetes step acts as a ServiceAccount of the task's namespace, never as the operator: set spec.serviceAccountName to a ServiceAccount whose RBAC allows these manifests" });
    expect(run.applied).toEqual([]);
  });
});

describe('hardwaretask controller: human steps', () => {
  it('waits for a person with the instructions, parts and links (WaitingForHuman condition, phase, currentStep)', async () => {
    const run = await reconcileOnce(hardwareTaskController(), { object: task({ steps: [{ ...fit, human: { ...fit.human, instructions: 'Fit the disk in bay 3.' } }, detect] }), now });
    expect(run.status).toMatchObject({ phase: 'WaitingForHuman', currentStep: 'fit' });
    expect(stepsOf(run)[0]).toMatchObject({ name: 'fit', phase: 'WaitingForHuman', startedAt: '2026-03-01T10:00:00Z', instructions: 'Fit the disk in bay 3.' });
    const c = cond(run.status, 'WaitingForHuman')!;
    expect(c.status).toBe('True');
    expect(c.message).toContain('step fit: Fit the disk in bay 3.\n\nParts (each option as listed; sum of all $99.99):\n- 1 x WD Red Plus 4 TB, $99.99: https://example.com/wd\n\nLinks:\n- zpool-add: https://example.com/zpool');
    expect(cond(run.status, 'Ready')).toMatchObject({ status: 'Unknown', reason: 'WaitingForHuman', message: 'waiting for a person: step fit' });
    expect(run.events.map((e) => e.reason)).toContain('WaitingForHuman');
    expect(run.applied).toEqual([]);
  });

  it('records who completed it (spec completed + completedBy), when and via what, and starts the next step', async () => {
    const t = task({ steps: [{ ...fit, human: { ...fit.human, instructions: 'x', completed: true, completedBy: 'alice', notes: 'serial WD-NEWDISK' } }, detect] }, waitingFit);
    const run = await reconcileOnce(hardwareTaskController(), { object: t, cache: [ns()], server: [policy, binding], now });
    expect(stepsOf(run)[0]).toMatchObject({ phase: 'Succeeded', completedBy: 'alice', completedAt: '2026-03-01T10:00:00Z', completedVia: 'spec', notes: 'serial WD-NEWDISK', outputs: { completedBy: 'alice', notes: 'serial WD-NEWDISK' } });
    expect(stepsOf(run)[1]).toMatchObject({ phase: 'Running', attempts: 1, podName: 'disk-detect-1' });
    expect(run.events.find((e) => e.reason === 'HumanStepCompleted')?.message).toBe('step fit done by alice via spec: serial WD-NEWDISK');
  });

  it('accepts the annotations complete-step + completed-by', async () => {
    const t = task({ steps: [{ ...fit, human: { instructions: 'x' } }] }, { steps: [{ name: 'fit', phase: 'WaitingForHuman', startedAt: '2026-03-01T09:00:00Z' }] }, { 'agentlab.dev/complete-step': 'fit', 'agentlab.dev/completed-by': 'bob' });
    const run = await reconcileOnce(hardwareTaskController(), { object: t, server: [policy, binding], now });
    expect(stepsOf(run)[0]).toMatchObject({ phase: 'Succeeded', completedBy: 'bob', completedVia: 'annotation' });
    expect(run.status.phase).toBe('Succeeded');
  });

  it('does not trust a completion without the admission policy, or without a name', async () => {
    const t = task({ steps: [{ ...fit, human: { instructions: 'x', completed: true, completedBy: 'alice' } }] }, { steps: [{ name: 'fit', phase: 'WaitingForHuman', startedAt: '2026-03-01T09:00:00Z' }] });
    const missing = await reconcileOnce(hardwareTaskController(), { object: t, now });
    expect(stepsOf(missing)[0]).toMatchObject({ phase: 'WaitingForHuman', message: expect.stringContaining('admission policy agentlab-approvals is not installed') });
    const nameless = task({ steps: [{ ...fit, human: { instructions: 'x', completed: true } }] });
    const run = await reconcileOnce(hardwareTaskController(), { object: nameless, server: [policy, binding], now });
    expect(stepsOf(run)[0].message).toContain('spec.steps[0].human.completedBy is empty, so who did it is unknown');
  });

  it('raises HumanDeadlineExceeded past the deadline, and otherwise requeues for it (at most 6 h ahead: timers overflow past 24.8 days)', async () => {
    const steps = [{ ...fit, human: { instructions: 'x', deadline: '24h' } }];
    const late = await reconcileOnce(hardwareTaskController(), { object: task({ steps }, { steps: [{ name: 'fit', phase: 'WaitingForHuman', startedAt: '2026-02-28T09:00:00Z' }] }), now });
    expect(cond(late.status, 'HumanDeadlineExceeded')).toMatchObject({ status: 'True', message: 'step fit has waited for a person since 2026-02-28T09:00:00Z, past its deadline 24h (2026-03-01T09:00:00Z)' });
    const early = await reconcileOnce(hardwareTaskController(), { object: task({ steps }, { steps: [{ name: 'fit', phase: 'WaitingForHuman', startedAt: '2026-03-01T09:00:00Z' }] }), now });
    expect(cond(early.status, 'HumanDeadlineExceeded')).toMatchObject({ status: 'False' });
    expect(early.result.requeueAfterMs).toBe(6 * 3600_000);
    const month = [{ ...fit, human: { instructions: 'x', deadline: '720h' } }];
    const far = await reconcileOnce(hardwareTaskController(), { object: task({ steps: month }, { steps: [{ name: 'fit', phase: 'WaitingForHuman', startedAt: '2026-03-01T09:59:00Z' }] }), now });
    expect(far.result.requeueAfterMs).toBe(6 * 3600_000);
    const soon = await reconcileOnce(hardwareTaskController(), { object: task({ steps: [{ ...fit, human: { instructions: 'x', deadline: '90m' } }] }, { steps: [{ name: 'fit', phase: 'WaitingForHuman', startedAt: '2026-03-01T09:00:00Z' }] }), now });
    expect(soon.result.requeueAfterMs).toBe(30 * 60_000);
  });
});

describe('hardwaretask controller: check and command steps', () => {
  const running: HardwareTaskStatus = { steps: [{ name: 'detect', phase: 'Running', attempts: 1, podName: 'disk-detect-1', startedAt: '2026-03-01T09:59:00Z' }] };
  const only = { ...detect, dependsOn: undefined };

  it('creates a pod pinned to the node with tolerations, running the commands with the step runner', async () => {
    const run = await reconcileOnce(hardwareTaskController(), { object: task({ steps: [only] }), now });
    const p = run.applied[0].object as unknown as { metadata: { name: string }; spec: Record<string, any> };
    expect(p.metadata.name).toBe('disk-detect-1');
    expect(p.spec).toMatchObject({ nodeName: 'chief-horse', restartPolicy: 'Never', activeDeadlineSeconds: 600 });
    expect(p.spec.tolerations).toContainEqual({ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' });
    expect(p.spec.tolerations).toContainEqual({ key: 'node-role.kubernetes.io/control-plane', operator: 'Exists', effect: 'NoSchedule' });
    expect(p.spec.containers[0].env).toContainEqual({ name: 'AGENTLAB_COMMANDS', value: '["lsblk -J","smartctl -H /dev/sdb"]' });
    expect(p.spec.containers[0].securityContext).toEqual({ allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
    expect(run.status).toMatchObject({ phase: 'Running', currentStep: 'detect' });
  });

  it('succeeds by exit code and output, with the output in the step outputs', async () => {
    const out = { commands: [{ command: 'lsblk -J', exitCode: 0 }, { command: 'smartctl -H /dev/sdb', exitCode: 0 }], output: '$ smartctl -H /dev/sdb\nresult: PASSED\n' };
    const run = await reconcileOnce(hardwareTaskController(), { object: task({ steps: [only] }, running), cache: [ended('disk-detect-1', 0, out)], now });
    expect(stepsOf(run)[0]).toMatchObject({ phase: 'Succeeded', outputs: { stdout: out.output, exitCode: '0' }, message: '2 commands succeeded' });
    expect(cond(run.status, 'Ready')).toMatchObject({ status: 'True', reason: 'Succeeded' });
  });

  it('fails the task with the output when a command fails or the output says FAILED', async () => {
    const bad = { commands: [{ command: 'lsblk -J', exitCode: 0 }, { command: 'smartctl -H /dev/sdb', exitCode: 2 }], output: '/dev/sdb: Unable to detect device type\n' };
    const run = await reconcileOnce(hardwareTaskController(), { object: task({ steps: [only] }, running), cache: [ended('disk-detect-1', 1, bad)], now });
    expect(stepsOf(run)[0]).toMatchObject({ phase: 'Failed', message: 'command 2 (smartctl -H /dev/sdb) exited with code 2, expected 0: /dev/sdb: Unable to detect device type' });
    expect(cond(run.status, 'Stalled')).toMatchObject({ reason: 'StepFailed', message: expect.stringContaining('step detect failed: command 2') });
    const failedText = { commands: [{ command: 'lsblk -J', exitCode: 0 }, { command: 'smartctl -H /dev/sdb', exitCode: 0 }], output: 'result: PASSED\nattribute FAILED\n' };
    const run2 = await reconcileOnce(hardwareTaskController(), { object: task({ steps: [only] }, running), cache: [ended('disk-detect-1', 0, failedText)], now });
    expect(stepsOf(run2)[0].message).toBe('the output contains "FAILED": result: PASSED\nattribute FAILED');
  });

  it('runs a failed step again, in a new pod, when the retry annotation asks once', async () => {
    const failed: HardwareTaskStatus = { steps: [{ name: 'detect', phase: 'Failed', attempts: 1, podName: 'disk-detect-1' }] };
    const run = await reconcileOnce(hardwareTaskController(), { object: task({ steps: [only] }, failed, { 'agentlab.dev/retry-step': 'detect@1' }), now });
    expect(run.applied.map((a) => a.object.metadata?.name)).toEqual(['disk-detect-2']);
    expect(run.status).toMatchObject({ lastHandledRetry: 'detect@1', steps: [{ phase: 'Running', attempts: 2 }] });
    const again = await reconcileOnce(hardwareTaskController(), { object: task({ steps: [only] }, { ...failed, lastHandledRetry: 'detect@1' }, { 'agentlab.dev/retry-step': 'detect@1' }), now });
    expect(again.applied).toEqual([]);
  });

  it('never re-creates a command step pod that disappeared', async () => {
    const cmd = { name: 'expand', type: 'command' as const, command: { commands: ['zpool add tank /dev/sdb'] } };
    const gone: HardwareTaskStatus = { steps: [{ name: 'expand', phase: 'Running', attempts: 1, podName: 'disk-expand-1', startedAt: '2026-03-01T09:00:00Z' }] };
    const run = await reconcileOnce(hardwareTaskController(), { object: task({ steps: [cmd] }, gone), now });
    expect(run.applied).toEqual([]);
    expect(stepsOf(run)[0]).toMatchObject({ phase: 'Failed', message: expect.stringContaining('a command step is never re-run by itself') });
  });

  it('waits for a verified approval before a command with hostAccess, then runs it privileged and says so', async () => {
    const cmd = { name: 'expand', type: 'command' as const, approval: { required: true }, command: { hostAccess: true, commands: ['zpool add tank /dev/sdb'] } };
    const waiting = await reconcileOnce(hardwareTaskController(), { object: task({ steps: [cmd] }), cache: [ns()], now });
    expect(waiting.status).toMatchObject({ phase: 'AwaitingApproval', steps: [{ phase: 'AwaitingApproval' }] });
    expect(cond(waiting.status, 'ApprovalRequired')).toMatchObject({ status: 'True' });
    expect(waiting.applied).toEqual([]);
    const approved = { ...cmd, approval: { required: true, decision: 'Approved' as const, decidedBy: 'alice' } };
    const run = await reconcileOnce(hardwareTaskController(), { object: task({ steps: [approved] }, waiting.status as HardwareTaskStatus), cache: [ns()], server: [policy, binding], now });
    const spec = (run.applied[0].object as unknown as { spec: Record<string, any> }).spec;
    expect(spec.containers[0].securityContext).toEqual({ privileged: true });
    expect(spec.volumes.map((v: { hostPath: { path: string } }) => v.hostPath.path)).toEqual(['/dev', '/sys', '/run/udev']);
    expect(stepsOf(run)[0]).toMatchObject({ phase: 'Running', approvedBy: 'alice', approvalDecision: 'Approved' });
    expect(run.events.find((e) => e.reason === 'HostAccess')?.message).toContain('runs privileged on node chief-horse');
    const rejected = { ...cmd, approval: { required: true, decision: 'Rejected' as const, decidedBy: 'alice', reason: 'not today' } };
    const no = await reconcileOnce(hardwareTaskController(), { object: task({ steps: [rejected] }), cache: [ns()], server: [policy, binding], now });
    expect(stepsOf(no)[0]).toMatchObject({ phase: 'Failed', message: 'rejected by alice: not today' });
  });

  it('runs the step runner image it is given (agentlab run --step-runner-image)', async () => {
    const run = await reconcileOnce(hardwareTaskController({ stepRunnerImage: 'registry.lan:5000/step-runner:dev' }), { object: task({ steps: [only] }), now });
    expect((run.applied[0].object as unknown as { spec: { containers: { image: string }[] } }).spec.containers[0].image).toBe('registry.lan:5000/step-runner:dev');
  });

  it('runs a step with its own image: that image runs the commands with sh (privileged with hostAccess), the step runner collects the results', async () => {
    const own = { ...only, check: { ...only.check, image: 'docker.io/library/debian:12', hostAccess: true } };
    const run = await reconcileOnce(hardwareTaskController(), { object: task({ steps: [own] }), cache: [ns()], now });
    const spec = (run.applied[0].object as unknown as { spec: Record<string, any> }).spec;
    expect(spec.initContainers).toHaveLength(1);
    const [cmds] = spec.initContainers;
    expect(cmds).toMatchObject({ name: 'commands', image: 'docker.io/library/debian:12', securityContext: { privileged: true } });
    expect(cmds.command.slice(0, 2)).toEqual(['sh', '-c']);
    expect(cmds.command.slice(3)).toEqual(['agentlab-step', 'lsblk -J', 'smartctl -H /dev/sdb']);
    expect(cmds.volumeMounts.map((m: { mountPath: string }) => m.mountPath)).toEqual(['/agentlab/results', '/dev', '/sys', '/run/udev']);
    expect(spec.containers[0]).toMatchObject({ name: 'run', image: 'ghcr.io/agentlab/step-runner:0.1.0', securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } } });
    expect(spec.containers[0].env).toContainEqual({ name: 'AGENTLAB_STEP_ROLE', value: 'collect-commands' });
    expect(spec.containers[0].env).toContainEqual({ name: 'AGENTLAB_COMMANDS', value: '["lsblk -J","smartctl -H /dev/sdb"]' });
    expect(cond(run.status, 'Stalled')).toBeUndefined();
    // An image without sh: the commands container fails and the collector never runs.
    const noShell = pod('disk-detect-1', { phase: 'Failed', initContainerStatuses: [{ name: 'commands', state: { terminated: { exitCode: 128, reason: 'StartError', message: 'exec: "sh": executable file not found in $PATH' } } }],
      containerStatuses: [{ name: 'run', state: { waiting: { reason: 'PodInitializing' } } }] });
    const failed = await reconcileOnce(hardwareTaskController(), { object: task({ steps: [own] }, running), cache: [ns(), noShell], now });
    expect(stepsOf(failed)[0]).toMatchObject({ phase: 'Failed', message: 'container commands (docker.io/library/debian:12) exited with code 128 (StartError) before its results were collected: the step\'s image must have a POSIX sh (/bin/sh): exec: "sh": executable file not found in $PATH' });
  });

  it('stalls a hostAccess step in a namespace whose Pod Security level refuses privileged pods, naming the label', async () => {
    const hostCheck = { ...only, check: { ...only.check, hostAccess: true } };
    const run = await reconcileOnce(hardwareTaskController(), { object: task({ steps: [hostCheck] }), cache: [ns({ 'pod-security.kubernetes.io/enforce': 'baseline' })], now });
    expect(run.applied).toEqual([]);
    expect(cond(run.status, 'Stalled')).toMatchObject({ reason: 'HostAccessForbidden', message: expect.stringContaining('namespace lab enforces Pod Security level baseline') });
    expect(cond(run.status, 'Stalled')!.message).toContain('pod-security.kubernetes.io/enforce=privileged');
  });
});

describe('hardwaretask controller: analysis steps', () => {
  const node: KubeObject = { apiVersion: 'v1', kind: 'Node', metadata: { name: 'chief-horse', labels: { 'kubernetes.io/hostname': 'chief-horse' } }, status: { capacity: { cpu: '16' } } } as KubeObject;
  const analyze = { name: 'report', type: 'analysis' as const, analysis: { prompt: 'How much disk does the cache need?' } };
  const buy = { name: 'buy', type: 'human' as const, dependsOn: ['report'], human: { instructions: 'Buy it. Analysis: ${steps.report.outputs.report}' } };

  it('asks the model once through the lane router with the node facts; the answer is output report', async () => {
    const bodies: { messages: { role: string; content: string }[]; model: string }[] = [];
    const auth: string[] = [];
    const fakeFetch = (async (_url: string, init: RequestInit) => {
      bodies.push(JSON.parse(String(init.body)));
      auth.push(String((init.headers as Record<string, string>).authorization));
      return new Response(JSON.stringify({ choices: [{ message: { content: 'Buy a 4 TB disk.' } }], usage: { prompt_tokens: 10, completion_tokens: 5 } }), { status: 200 });
    }) as typeof fetch;
    const c = hardwareTaskController({ routerUrl: 'http://router.test', fetch: fakeFetch });
    const first = await reconcileOnce(c, { object: task({ steps: [analyze, buy] }), cache: [node], now });
    const secret = first.applied.find((a) => a.object.kind === 'Secret')!.object as KubeObject & { data: { token: string } };
    expect(secret.metadata).toMatchObject({ name: 'disk-router-token-hardwaretask', labels: { 'agentlab.dev/router-token': 'true', 'agentlab.dev/run': 'disk' } });
    expect(stepsOf(first)[0]).toMatchObject({ phase: 'Running', attempts: 1 });
    const second = await untilAnswered(() => reconcileOnce(c, { object: task({ steps: [analyze, buy] }, first.status as HardwareTaskStatus), cache: [node, secret], server: [secret], now }));
    expect(bodies).toHaveLength(1);
    expect(bodies[0].model).toBe('default');
    expect(bodies[0].messages[1].content).toBe('How much disk does the cache need?\n\nNode chief-horse:\n- capacity: cpu=16\n- allocatable: none\n- labels: kubernetes.io/hostname=chief-horse\n- disk inventory: not known to Kubernetes (run a check step with lsblk for it)');
    expect(auth[0]).toBe(`Bearer ${Buffer.from(secret.data.token, 'base64').toString('utf8')}`);
    expect(stepsOf(second)[0]).toMatchObject({ phase: 'Succeeded', outputs: { report: 'Buy a 4 TB disk.' } });
    expect(stepsOf(second)[1]).toMatchObject({ phase: 'WaitingForHuman', instructions: 'Buy it. Analysis: Buy a 4 TB disk.' });
    expect(bodies).toHaveLength(1);
  });

  it('fails the step with the router\'s answer, and says what to set without a router URL', async () => {
    const refusing = (async () => new Response(JSON.stringify({ error: { message: 'lane private: provider openai is cloud' } }), { status: 403 })) as unknown as typeof fetch;
    const c = hardwareTaskController({ routerUrl: 'http://router.test', fetch: refusing });
    const first = await reconcileOnce(c, { object: task({ steps: [analyze] }), cache: [node], now });
    const second = await untilAnswered(() => reconcileOnce(c, { object: task({ steps: [analyze] }, first.status as HardwareTaskStatus), cache: [node], now }));
    expect(stepsOf(second)[0]).toMatchObject({ phase: 'Failed', message: 'the lane router answered 403: lane private: provider openai is cloud' });
    const none = await reconcileOnce(hardwareTaskController(), { object: task({ steps: [analyze] }), now });
    expect(stepsOf(none)[0].message).toContain('the operator has no lane router URL: start it with agentlab run --router-url <url>');
  });

  it('asks again after a transient router failure (a model server still starting), with back-off, then succeeds', async () => {
    let calls = 0;
    const flaky = (async () => {
      calls++;
      return calls === 1
        ? new Response(JSON.stringify({ error: { message: 'local-llama: ServerError (HTTP 503)' } }), { status: 502 })
        : new Response(JSON.stringify({ choices: [{ message: { content: 'Buy 4 TB.' } }] }), { status: 200 });
    }) as unknown as typeof fetch;
    const c = hardwareTaskController({ routerUrl: 'http://router.test', fetch: flaky });
    const tick = () => new Promise((r) => setTimeout(r, 20));
    const first = await reconcileOnce(c, { object: task({ steps: [analyze] }), cache: [node], now });
    await tick();
    const failedOnce = await reconcileOnce(c, { object: task({ steps: [analyze] }, first.status as HardwareTaskStatus), cache: [node], now });
    expect(stepsOf(failedOnce)[0]).toMatchObject({ phase: 'Running', attempts: 2, message: 'model call 1 of at most 8 failed: the lane router answered 502: local-llama: ServerError (HTTP 503); asking again in 5s' });
    expect(failedOnce.result.requeueAfterMs).toBe(5000);
    const early = await reconcileOnce(c, { object: task({ steps: [analyze] }, failedOnce.status as HardwareTaskStatus), cache: [node], now: new Date(now.getTime() + 2000) });
    expect(calls).toBe(1);
    expect(early.result.requeueAfterMs).toBe(3000);
    const second = await reconcileOnce(c, { object: task({ steps: [analyze] }, early.status as HardwareTaskStatus), cache: [node], now: new Date(now.getTime() + 5000) });
    expect(stepsOf(second)[0]).toMatchObject({ phase: 'Running', attempts: 2, message: 'waiting for model default (call 2)' });
    await tick();
    const done = await reconcileOnce(c, { object: task({ steps: [analyze] }, second.status as HardwareTaskStatus), cache: [node], now: new Date(now.getTime() + 6000) });
    expect(stepsOf(done)[0]).toMatchObject({ phase: 'Succeeded', attempts: 2, outputs: { report: 'Buy 4 TB.' } });
    expect(calls).toBe(2);
  });

  it('retries only what may pass later, 5 s doubling to 2 minutes', () => {
    expect([1, 2, 3, 4, 5, 6, 7].map(analysisRetryDelayMs)).toEqual([5000, 10_000, 20_000, 40_000, 80_000, 120_000, 120_000]);
    expect([0, 422, 429, 500, 502, 503].every(transientRouterStatus)).toBe(true);
    expect([400, 401, 403, 404].some(transientRouterStatus)).toBe(false);
  });
});

describe('hardwaretask controller: the issue', () => {
  const secret = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'gh', namespace: 'lab' }, data: { token: Buffer.from('tok-operator').toString('base64') } } as KubeObject;
  const forgeSecret = (url: string) => ({ ...secret, metadata: { ...secret.metadata, annotations: { 'agentlab.dev/forge-url': url } } }) as KubeObject;
  const expand = { name: 'expand', type: 'command' as const, approval: { required: true }, command: { commands: ['zpool add tank sdb'] } };

  it('a forge that is down never approves: the step keeps waiting, IssueTrackerUnavailable says why, the issue is polled again', async () => {
    const forge = await startFakeGitHub({ repositories: ['homelab/infra'], users: [{ login: 'homelab', token: 'tok-operator' }] });
    const url = forge.url;
    await forge.close();
    const t = task({ issueTracker: { provider: 'github', baseURL: url, repository: 'homelab/infra', secretRef: { name: 'gh' } }, steps: [expand] } as Partial<HardwareTaskSpec>,
      { phase: 'AwaitingApproval', steps: [{ name: 'expand', phase: 'AwaitingApproval' }], issue: { provider: 'github', number: 3, url: 'https://github.example/homelab/infra/issues/3' } });
    const run = await reconcileOnce(hardwareTaskController({ issuePollMs: 5000 }), { object: t, server: [forgeSecret(url), policy, binding], now });
    expect(run.applied).toEqual([]);
    expect(stepsOf(run)[0]).toMatchObject({ phase: 'AwaitingApproval' });
    expect(cond(run.status, 'IssueTrackerUnavailable')).toMatchObject({ status: 'True', reason: 'ForgeUnreachable', message: expect.stringContaining('spec.issueTracker.baseURL: github did not answer') });
    expect(run.status.issue).toMatchObject({ number: 3 });
    expect(run.result.requeueAfterMs).toBe(5000);
  });

  it('tells kubectl once when its decision comes after the issue\'s: the first decision stands', async () => {
    const decided: HardwareTaskStatus = { phase: 'Running', steps: [{ name: 'expand', phase: 'Running', attempts: 1, podName: 'disk-expand-1', startedAt: '2026-03-01T09:59:59Z', approvalDecision: 'Approved', approvedBy: 'alice', approvedVia: 'github', approvalURL: 'https://github.example/c/7' }] };
    const t = task({ steps: [{ ...expand, approval: { required: true, decision: 'Rejected' as const, decidedBy: 'bob' } }] }, decided);
    const c = hardwareTaskController();
    const first = await reconcileOnce(c, { object: t, server: [policy, binding], now });
    expect(first.events.filter((e) => e.reason === 'ApprovalAlreadyDecided').map((e) => e.message)).toEqual(['step expand: spec.steps[0].approval.decision Rejected by bob changes nothing: Approved by alice via github came first (https://github.example/c/7)']);
    expect(stepsOf(first)[0]).toMatchObject({ phase: 'Running', approvalDecision: 'Approved', approvedBy: 'alice' });
    const again = await reconcileOnce(c, { object: t, server: [policy, binding], now });
    expect(again.events.filter((e) => e.reason === 'ApprovalAlreadyDecided')).toEqual([]);
  });

  it('a missing token Secret is IssueTrackerUnavailable naming it; a document step waits for the tracker and says so', async () => {
    const doc = { name: 'docs', type: 'document' as const, document: { target: 'Repository' as const, files: [{ path: 'a.md', content: 'x' }] } };
    const t = task({ issueTracker: { provider: 'forgejo', baseURL: 'https://git.example', repository: 'homelab/infra', secretRef: { name: 'nope' } }, steps: [doc] } as Partial<HardwareTaskSpec>);
    const run = await reconcileOnce(hardwareTaskController(), { object: t, now });
    const message = 'spec.issueTracker.secretRef: Secret lab/nope not found; create it with: kubectl -n lab create secret generic nope --from-literal=token=<token>, then allow it for the forge: kubectl -n lab annotate secret nope agentlab.dev/forge-url=https://git.example (docs/issues.md: tokens with least privilege)';
    expect(cond(run.status, 'IssueTrackerUnavailable')).toMatchObject({ status: 'True', message });
    expect(stepsOf(run)[0]).toEqual({ name: 'docs', phase: 'Pending', message: `waiting for the issue tracker: ${message}` });
    expect(cond(run.status, 'Stalled')).toBeUndefined();
    expect(run.events.filter((e) => e.reason === 'IssueTrackerUnavailable')).toHaveLength(1);
  });
});

