import { describe, expect, it } from 'vitest';
import type { VerifiedCommand } from '../issues/workflow/index.js';
import type { IssueTrackerSpec } from '../model/issue-tracker-spec.js';
import { approvalFromComment, ignoredSpecDecision, issueStatusView, issueVerdict, lateCommands, lateReply, mayDecideFromIssue, milestoneFor, notApproverReply, refusedCommands, taskSummary } from './issue-view.js';
import type { AgentRun } from './types.js';

const tracker: IssueTrackerSpec = { provider: 'forgejo', baseURL: 'https://git.example.org', repository: 'homelab/infra', createIssue: { title: 'Expand storage', labels: [] }, commentProgress: true, closeOnSuccess: true, secretRef: { name: 'forge', key: 'token' }, block: 'issueTracker' };
const run = (spec: Partial<AgentRun['spec']> = {}): AgentRun => ({ metadata: { name: 'triage', namespace: 'lab', uid: 'u1' }, spec: { task: 'Triage issue #142.\nSecond line.', model: 'chat', approval: { required: true }, ...spec } as AgentRun['spec'] });
const cmd = (verb: 'approve' | 'reject', login: string, id: number, reason?: string): VerifiedCommand => ({
  command: verb === 'approve' ? { verb } : { verb, ...(reason ? { reason } : {}) }, login, permission: 'write', commentId: id,
  commentUrl: `https://git.example.org/homelab/infra/issues/7#issuecomment-${id}`, at: '2026-12-03T08:00:00Z',
});

describe('issueStatusView', () => {
  it('shows the phase, the task line, the steps with their states, usage, the decision and the transcript', () => {
    const v = issueStatusView(run(), tracker, {
      phase: 'Running', startTime: '2026-12-03T08:00:00Z', podName: 'triage-agent',
      approval: { decision: 'Approved', decidedBy: 'alice', via: 'forgejo', url: 'https://x/1' },
      usage: { totalTokens: 1234, costUSD: '0.001000' }, transcriptRef: { configMapName: 'triage-transcript', key: 'transcript.jsonl' },
    });
    expect(v).toMatchObject({
      title: 'Expand storage', phase: 'Running', summary: 'Task: Triage issue #142.',
      steps: [{ name: 'approval', state: 'done', note: 'Approved by alice via forgejo' }, { name: 'agent', state: 'running', note: 'pod triage-agent' }],
      usage: { totalTokens: 1234, costUSD: '0.001000' }, approval: { asked: true, decision: 'Approved', decidedBy: 'alice', via: 'forgejo', url: 'https://x/1' },
    });
    expect(v.links?.[0]?.url).toContain("kubectl -n lab get configmap triage-transcript -o jsonpath='{.data.transcript\\.jsonl}'");
  });

  it('is the same for the same run (no times), waits at the gate, and names the failure', () => {
    const fields = { phase: 'AwaitingApproval' as const };
    expect(issueStatusView(run(), tracker, fields)).toEqual(issueStatusView(run(), tracker, fields));
    expect(issueStatusView(run(), tracker, fields).steps?.[0]).toEqual({ name: 'approval', state: 'waiting' });
    const failed = issueStatusView(run({ approval: undefined }), tracker, { phase: 'Failed', startTime: 'x' }, { reason: 'MaxTokens', message: 'limit exceeded' });
    expect(failed.steps).toEqual([{ name: 'agent', state: 'failed' }]);
    expect(failed.result).toBe('MaxTokens: limit exceeded');
    expect(failed.approval).toBeUndefined();
  });

  it('never shows the task of a sensitive run', () => {
    expect(taskSummary(run({ sensitive: true }).spec)).not.toContain('142');
    expect(taskSummary(run({ task: 'x'.repeat(1000) }).spec).length).toBeLessThan(300);
  });
});

describe('milestoneFor', () => {
  it('asks for approval with the commands, reports the end once per kind', () => {
    expect(milestoneFor(run(), { phase: 'AwaitingApproval' })).toMatchObject({ key: 'approval-asked', body: expect.stringContaining('`/approve`') });
    expect(milestoneFor(run(), { phase: 'Succeeded', result: 'Done.' })).toMatchObject({ key: 'succeeded', body: expect.stringContaining('Done.') });
    expect(milestoneFor(run(), { phase: 'Failed' }, { reason: 'Timeout', message: 'too slow' })).toMatchObject({ key: 'failed', body: expect.stringContaining('(Timeout): too slow') });
    expect(milestoneFor(run(), { phase: 'Cancelled' })?.key).toBe('cancelled');
    expect(milestoneFor(run(), { phase: 'Running' })).toBeUndefined();
  });
});

describe('approval from the issue', () => {
  it('records a verified /approve or /reject as status.approval with via, login and comment URL', () => {
    expect(approvalFromComment(cmd('reject', 'bob', 9, ' not now '), 'github')).toEqual({
      decision: 'Rejected', decidedBy: 'bob', decidedAt: '2026-12-03T08:00:00Z', via: 'github', url: 'https://git.example.org/homelab/infra/issues/7#issuecomment-9', reason: 'not now',
    });
  });

  it('the first decision wins: the first comment, unless spec already decided; a recorded one stands', () => {
    const cmds = [cmd('approve', 'alice', 5), cmd('reject', 'bob', 6)];
    expect(issueVerdict(run(), undefined, cmds, 'forgejo')).toMatchObject({ kind: 'approved', record: { decidedBy: 'alice', via: 'forgejo' } });
    expect(issueVerdict(run({ approval: { required: true, decision: 'Rejected', decidedBy: 'carol' } }), undefined, cmds, 'forgejo')).toBeUndefined();
    expect(issueVerdict(run(), { decision: 'Approved', decidedBy: 'dave', via: 'kubectl' }, cmds, 'forgejo')).toBeUndefined();
    const recorded = { decision: 'Rejected' as const, decidedBy: 'bob', via: 'github' as const, url: 'u' };
    expect(issueVerdict(run(), recorded, [], 'github')).toEqual({ kind: 'rejected', record: recorded });
    expect(issueVerdict(run({ approval: { required: false } }), undefined, cmds, 'forgejo')).toBeUndefined();
    expect(issueVerdict(run({ approval: undefined }), undefined, cmds, 'forgejo')).toBeUndefined();
    expect(issueVerdict(run(), undefined, [], 'forgejo')).toBeUndefined();
  });

  it('with spec.approval.approvers, only logins listed as <provider>:<login> decide from the issue; the others are answered', () => {
    const listed = run({ approval: { required: true, approvers: ['oncall', 'forgejo:Alice', 'github:bob'] } });
    const cmds = [cmd('approve', 'bob', 4), cmd('approve', 'alice', 5)];
    expect(mayDecideFromIssue(listed, cmds[0]!, 'forgejo')).toBe(false);
    expect(mayDecideFromIssue(listed, cmds[1]!, 'forgejo')).toBe(true);
    expect(mayDecideFromIssue(listed, cmds[0]!, 'github')).toBe(true);
    expect(mayDecideFromIssue(run(), cmds[0]!, 'forgejo')).toBe(true);
    expect(issueVerdict(listed, undefined, cmds, 'forgejo')).toMatchObject({ kind: 'approved', record: { decidedBy: 'alice' } });
    expect(issueVerdict(listed, undefined, [cmds[0]!], 'forgejo')).toBeUndefined();
    expect(refusedCommands(listed, cmds, 'forgejo').map((c) => c.login)).toEqual(['bob']);
    expect(notApproverReply(cmds[0]!, 'forgejo')).toBe('@bob your `/approve` was not applied: this run\'s spec.approval.approvers does not list `forgejo:bob`, which approving from the issue needs.');
    const recorded = approvalFromComment(cmds[1]!, 'forgejo')!;
    expect(lateCommands(listed, recorded, cmds, 'forgejo'), 'a refused comment is not also a late one').toEqual([]);
  });

  it('answers every other decision comment once a decision is recorded, and notes an ignored kubectl decision', () => {
    const cmds = [cmd('approve', 'alice', 5), cmd('reject', 'bob', 6)];
    const recorded = approvalFromComment(cmds[0]!, 'forgejo')!;
    expect(lateCommands(run(), recorded, cmds, 'forgejo').map((c) => c.commentId)).toEqual([6]);
    expect(lateCommands(run(), undefined, cmds, 'forgejo')).toEqual([]);
    expect(lateReply(cmds[1]!, recorded)).toBe(`@bob this run was already Approved by alice via forgejo (${cmds[0]!.commentUrl}); your \`/reject\` was not applied: the first decision wins.`);
    expect(ignoredSpecDecision(run({ approval: { required: true, decision: 'Rejected', decidedBy: 'carol' } }), recorded)).toContain('spec.approval.decision Rejected by carol was not used: the run was already Approved by alice via forgejo');
    expect(ignoredSpecDecision(run(), recorded)).toBeUndefined();
    expect(ignoredSpecDecision(run({ approval: { required: true, decision: 'Approved', decidedBy: 'carol' } }), { decision: 'Approved', decidedBy: 'carol', via: 'kubectl' })).toBeUndefined();
  });
});
