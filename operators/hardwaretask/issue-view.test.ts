import { describe, expect, it } from 'vitest';
import type { VerifiedCommand } from '../issues/workflow/index.js';
import { forgeApprovers, issueApproval, issueCompletion, issueStatusView, milestonesDue } from './issue-view.js';
import type { HardwareStep, HardwareTaskObject, StepStatus } from './types.js';

const expand: HardwareStep = { name: 'expand', type: 'command', approval: { required: true, approvers: ['homelab-admin', 'user:Alice', 'group:ops'] }, command: { hostAccess: true, commands: ['zpool add tank sdb'] } };
const task: HardwareTaskObject = {
  apiVersion: 'agentlab.dev/v1alpha1', kind: 'HardwareTask', metadata: { name: 'disk', namespace: 'lab', uid: 'u1' },
  spec: { node: 'chief-horse', summary: 'Add a disk', steps: [{ name: 'report', type: 'analysis', analysis: { prompt: 'p' } }, { name: 'fit', type: 'human', human: { instructions: 'Fit it.' } }, expand] },
};
const cmd = (id: number, login: string, command: VerifiedCommand['command']): VerifiedCommand => ({ command, login, permission: 'write', commentId: id, commentUrl: `https://forge/c/${id}`, at: '2026-03-01T10:00:00Z' });

describe('the issue of a HardwareTask', () => {
  it('shows every step with its state, who did it, the analysis and the approval', () => {
    const steps: StepStatus[] = [
      { name: 'report', phase: 'Succeeded', outputs: { report: 'Buy 4 TB.' }, message: 'report of 9 characters' },
      { name: 'fit', phase: 'Succeeded', completedBy: 'alice', completedVia: 'forgejo', notes: 'WD-1' },
      { name: 'expand', phase: 'AwaitingApproval', message: 'waits' },
    ];
    const view = issueStatusView(task, steps, 'AwaitingApproval', 'waiting for an approval: step expand');
    expect(view).toEqual({
      title: 'Add a disk', phase: 'AwaitingApproval', summary: 'Node `chief-horse`.\n\n**Analysis:** Buy 4 TB.',
      steps: [
        { name: 'report', state: 'done', note: 'report of 9 characters' },
        { name: 'fit', state: 'done', note: 'done by alice (forgejo): WD-1' },
        { name: 'expand', state: 'waiting', note: 'waiting for approval: comment `/approve` or `/reject <reason>`' },
      ],
      approval: { asked: true }, result: 'waiting for an approval: step expand',
    });
    const approved = issueStatusView(task, [{ ...steps[2]!, phase: 'Running', approvalDecision: 'Approved', approvedBy: 'homelab-admin', approvedVia: 'github' }], 'Running', undefined);
    expect(approved.approval).toEqual({ asked: true, decision: 'Approved', decidedBy: 'homelab-admin', via: 'github' });
  });

  it('calls for each milestone the state needs: a person, an approval (naming the approvers), done, failed with the retry line', () => {
    const due = milestonesDue(task, [{ name: 'fit', phase: 'WaitingForHuman' }, { name: 'expand', phase: 'AwaitingApproval' }], 'WaitingForHuman', () => 'Fit it.\n\nParts:\n- 1 x disk');
    expect(due.map((m) => m.key)).toEqual(['waiting:fit', 'approval:expand']);
    expect(due[0]!.body).toContain('Fit it.\n\nParts:\n- 1 x disk');
    expect(due[0]!.body).toContain('`/done fit [notes]`');
    expect(due[1]!.body).toContain('One of: homelab-admin, user:Alice, group:ops. It runs privileged on the node.');
    expect(milestonesDue(task, [{ name: 'fit', phase: 'Succeeded' }], 'Succeeded', () => undefined).map((m) => m.key)).toEqual(['succeeded']);
    const failed = milestonesDue(task, [{ name: 'expand', phase: 'Failed', message: 'exit 1' }], 'Failed', () => undefined);
    expect(failed[0]!.body).toContain('at step `expand`: exit 1');
    expect(failed[0]!.body).toContain('agentlab.dev/retry-step=expand@');
  });

  it('takes /approve or /reject only from a listed approver (forge logins, case-insensitive, groups never match)', () => {
    expect(forgeApprovers(expand)).toEqual(['homelab-admin', 'alice']);
    expect(issueApproval(expand, [])).toEqual({ kind: 'none' });
    expect(issueApproval(expand, [cmd(1, 'mallory', { verb: 'approve' })])).toMatchObject({ kind: 'refused', message: 'mallory is not among the approvers of step expand (homelab-admin, user:Alice, group:ops)' });
    expect(issueApproval(expand, [cmd(2, 'ALICE', { verb: 'reject', reason: 'not today' })])).toMatchObject({ kind: 'decided', decision: 'Rejected', reason: 'not today' });
    const open: HardwareStep = { ...expand, approval: { required: true } };
    expect(issueApproval(open, [cmd(3, 'done-first', { verb: 'done', step: 'fit' }), cmd(4, 'bob', { verb: 'approve' })])).toMatchObject({ kind: 'decided', decision: 'Approved', command: { login: 'bob' } });
  });

  it('finds the /done for a step, with its notes', () => {
    const cs = [cmd(1, 'bob', { verb: 'done', step: 'other' }), cmd(2, 'alice', { verb: 'done', step: 'fit', notes: 'WD-1 in bay 3' })];
    expect(issueCompletion('fit', cs)).toMatchObject({ login: 'alice', notes: 'WD-1 in bay 3', commentUrl: 'https://forge/c/2' });
    expect(issueCompletion('expand', cs)).toBeUndefined();
  });
});
