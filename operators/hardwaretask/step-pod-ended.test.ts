// A check or command step whose pod already ended when the reconcile that records "Running" runs:
// the pod was created by a reconcile whose status write was lost (the operator SIGKILLed, or the
// leader replaced, between the apply and the write; with an issue, the forge calls sit between the
// two). The pod's end was the last event it sends, so the step must be finished from it at once;
// before, the step stayed Running with nothing left to requeue the task (the chaos runs' hang).
import { describe, expect, it } from 'vitest';
import type { HardwareTaskSpec, HardwareTaskStatus } from '../api/generated/hardwaretask.js';
import type { KubeObject } from '../runtime/kube.js';
import { reconcileOnce } from '../runtime/test-kit.js';
import { hardwareTaskController } from './controller.js';
import type { HardwareTaskObject, StepStatus } from './types.js';

const now = new Date('2026-03-01T10:00:00Z');
const task = (spec: Partial<HardwareTaskSpec>, status?: HardwareTaskStatus): HardwareTaskObject => ({
  apiVersion: 'agentlab.dev/v1alpha1', kind: 'HardwareTask',
  metadata: { name: 'disk', namespace: 'lab', uid: 'uid-1', generation: 1 },
  spec: { node: 'chief-horse', steps: [], ...spec },
  ...(status ? { status } : {}),
});
const pod = (name: string, status: Record<string, unknown>): KubeObject => ({
  apiVersion: 'v1', kind: 'Pod',
  metadata: { name, namespace: 'lab', labels: { 'app.kubernetes.io/managed-by': 'agentlab' }, ownerReferences: [{ apiVersion: 'agentlab.dev/v1alpha1', kind: 'HardwareTask', name: 'disk', uid: 'uid-1', controller: true }] },
  status,
});
const ended = (name: string, exitCode: number, message: unknown) => pod(name, { phase: exitCode === 0 ? 'Succeeded' : 'Failed', containerStatuses: [{ name: 'run', state: { terminated: { exitCode, message: JSON.stringify(message) } } }] });
const stepsOf = (run: { status: Record<string, unknown> }) => run.status.steps as StepStatus[];
const cond = (status: { conditions?: { type: string; status: string; reason: string }[] }, type: string) => status.conditions?.find((c) => c.type === type);

const apply = { name: 'apply', type: 'command' as const, command: { commands: ['echo applied'] } };
const out = { commands: [{ command: 'echo applied', exitCode: 0 }], output: 'applied\n' };

describe('hardwaretask controller: a step pod that ended before its Running status was written', () => {
  it('finishes the step from the ended pod in the same reconcile (command, Succeeded)', async () => {
    // As the lost write left it: the step not Running yet, its pod (run 1) already Succeeded.
    const run = await reconcileOnce(hardwareTaskController(), { object: task({ steps: [apply] }, { steps: [{ name: 'apply', phase: 'Pending' }] }), cache: [ended('disk-apply-1', 0, out)], now });
    expect(run.applied.map((a) => a.object.metadata?.name)).toEqual(['disk-apply-1']);
    expect(stepsOf(run)[0]).toMatchObject({ name: 'apply', phase: 'Succeeded', attempts: 1, podName: 'disk-apply-1', outputs: { stdout: 'applied\n', exitCode: '0' } });
    expect(run.status.phase).toBe('Succeeded');
    expect(cond(run.status, 'Ready')).toMatchObject({ status: 'True', reason: 'Succeeded' });
    expect(run.events.map((e) => e.reason)).toEqual(expect.arrayContaining(['StepStarted', 'StepSucceeded', 'TaskSucceeded']));
  });

  it('fails the step from a pod that already failed, and never runs it twice', async () => {
    const bad = { commands: [{ command: 'echo applied', exitCode: 3 }], output: 'boom\n' };
    const run = await reconcileOnce(hardwareTaskController(), { object: task({ steps: [apply] }, { steps: [{ name: 'apply', phase: 'Pending' }] }), cache: [ended('disk-apply-1', 1, bad)], now });
    expect(run.applied.map((a) => a.object.metadata?.name)).toEqual(['disk-apply-1']);
    expect(stepsOf(run)[0]).toMatchObject({ phase: 'Failed', attempts: 1, message: 'command 1 (echo applied) exited with code 3, expected 0: boom' });
    expect(run.status.phase).toBe('Failed');
  });

  it('after an approval given on the issue path too: the approved step whose pod ended is finished, not left Running', async () => {
    const approved = { ...apply, approval: { required: true, decision: 'Approved' as const, decidedBy: 'alice' } };
    const policy: KubeObject = { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingAdmissionPolicy', metadata: { name: 'agentlab-approvals' } };
    const binding = { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingAdmissionPolicyBinding', metadata: { name: 'agentlab-approvals' }, spec: { policyName: 'agentlab-approvals', validationActions: ['Deny'] } } as KubeObject;
    const waiting: HardwareTaskStatus = { steps: [{ name: 'apply', phase: 'AwaitingApproval', message: 'waiting for an approval' }] };
    const run = await reconcileOnce(hardwareTaskController(), { object: task({ steps: [approved] }, waiting), cache: [ended('disk-apply-1', 0, out)], server: [policy, binding], now });
    expect(stepsOf(run)[0]).toMatchObject({ phase: 'Succeeded', approvalDecision: 'Approved', approvedBy: 'alice' });
    expect(run.status.phase).toBe('Succeeded');
  });

  it('a pod just created (not ended) leaves the step Running, as before', async () => {
    const run = await reconcileOnce(hardwareTaskController(), { object: task({ steps: [apply] }), now });
    expect(stepsOf(run)[0]).toMatchObject({ phase: 'Running', attempts: 1, podName: 'disk-apply-1', message: 'running on node chief-horse in pod disk-apply-1' });
    expect(cond(run.status, 'Ready')).toMatchObject({ status: 'Unknown', reason: 'Running' });
  });
});
