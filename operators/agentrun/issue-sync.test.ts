// The AgentRun controller with an issue tracker, one reconcile at a time (runtime test kit) against
// the fake Forgejo: approval from the issue, the gate when the forge is down, a rate limit, a
// Kubernetes decision after the issue decided.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeForgejo, type FakeForge } from '../../hack/fakes/forgejo.js';
import { startFakeGitHub } from '../../hack/fakes/github.js';
import { createIssueTracker } from '../issues/index.js';
import { statusMarker } from '../issues/workflow/markers.js';
import type { KubeObject } from '../runtime/kube.js';
import { reconcileOnce } from '../runtime/test-kit.js';
import { agentRunController } from './controller.js';
import type { AgentRun } from './types.js';

const router = { namespace: 'agentlab-system', podLabels: { 'app.kubernetes.io/name': 'agentlab-router' }, port: 8080 };
const lane: KubeObject = {
  apiVersion: 'agentlab.dev/v1alpha1', kind: 'LanePolicy', metadata: { name: 'private', uid: 'lane-uid', generation: 1 },
  spec: { namespaceSelector: { matchLabels: { lane: 'private' } }, allowCloud: false, providers: [{ name: 'ollama', cloud: { provider: 'ollama', baseURL: 'http://ollama:11434' }, models: { default: 'llama3.1:8b' } }] },
};
const namespace: KubeObject = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'ai', labels: { lane: 'private' } } };
const policy: KubeObject = { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingAdmissionPolicy', metadata: { name: 'agentlab-approvals' } };
const binding = { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingAdmissionPolicyBinding', metadata: { name: 'agentlab-approvals' }, spec: { policyName: 'agentlab-approvals', validationActions: ['Deny'] } } as KubeObject;
/** The forge token Secret, allowed (agentlab.dev/forge-url) for the fake forges and the unreachable address the tests name. */
const secret = (token: string): KubeObject => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'forge', namespace: 'ai', annotations: { 'agentlab.dev/forge-url': `${forge.url},${github.url},http://127.0.0.1:9,https://api.github.com` } }, data: { token: Buffer.from(token).toString('base64') } } as KubeObject);

let forge: FakeForge;
let github: FakeForge;
beforeAll(async () => {
  const users = [{ login: 'homelab', token: 'op-token' }, { login: 'alice', token: 'alice-token', permission: 'write' as const }, { login: 'rita', token: 'rita-token', permission: 'read' as const }];
  forge = await startFakeForgejo({ repositories: ['homelab/infra'], users });
  github = await startFakeGitHub({ repositories: ['homelab/infra'], users, issues: [{ repository: 'homelab/infra', number: 42, title: 'Disk full on node-2' }] });
});
afterAll(async () => { await forge.close(); await github.close(); });

let seq = 0;
function gatedRun(status?: AgentRun['status'], tracker: Record<string, unknown> = {}): AgentRun {
  const name = `gated-${++seq}`;
  return {
    apiVersion: 'agentlab.dev/v1alpha1', kind: 'AgentRun',
    metadata: { name, namespace: 'ai', uid: `${name}-uid-${Date.now()}`, generation: 1, creationTimestamp: '2026-01-15T11:59:00Z' },
    spec: {
      task: 'Summarise the README.', model: 'default', limits: { maxTurns: 5, maxTokens: 1000, timeout: '10m' }, approval: { required: true },
      issueTracker: { provider: 'forgejo', baseURL: forge.url, repository: 'homelab/infra', secretRef: { name: 'forge', key: 'token' }, ...tracker },
    } as AgentRun['spec'],
    ...(status ? { status } : {}),
  };
}

const ctl = agentRunController({ router, routerUrl: 'http://router.test:8080', newToken: () => 'tok-123', issuePollMs: 5000 });
const reconcile = (object: AgentRun, server: KubeObject[] = [policy, binding, secret('op-token')]) =>
  reconcileOnce(ctl, { object, cache: [lane, namespace], server });
const cond = (status: { conditions?: { type: string }[] }, type: string) => status.conditions?.find((c) => c.type === type) as { status: string; reason: string; message: string } | undefined;
const next = (run: AgentRun, status: Record<string, unknown>): AgentRun => ({ ...run, status: status as AgentRun['status'] });
const comment = (token: string, n: number, body: string) => createIssueTracker({ provider: 'forgejo', baseURL: forge.url, repository: 'homelab/infra', token }).createComment(n, body);

describe('AgentRun with an issue tracker', () => {
  it('opens the issue and asks; a reader\'s /approve does nothing; a writer\'s /approve is recorded via forgejo with the comment URL and starts the run', async () => {
    const run = gatedRun();
    const first = await reconcile(run);
    expect(first.thrown).toBeUndefined();
    expect(first.status.phase).toBe('AwaitingApproval');
    const issue = first.status.issue as { number: number; url: string; milestones: string[]; statusCommentId: number };
    expect(issue).toMatchObject({ provider: 'forgejo', url: `${forge.webUrl}/homelab/infra/issues/${issue.number}`, milestones: ['approval-asked'] });
    expect(first.result.requeueAfterMs, 'the poll').toBe(5000);
    expect(forge.comments('homelab/infra', issue.number).filter((c) => c.body.startsWith(statusMarker(run.metadata.uid!)))).toHaveLength(1);

    await comment('rita-token', issue.number, '/approve');
    const second = await reconcile(next(run, first.status));
    expect(second.status.phase).toBe('AwaitingApproval');
    expect(second.status.approval).toBeUndefined();

    const alice = await comment('alice-token', issue.number, '/approve');
    const third = await reconcile(next(run, second.status));
    expect(third.status.phase).toBe('Running');
    expect(third.status.approval).toMatchObject({ decision: 'Approved', decidedBy: 'alice', via: 'forgejo', url: alice.url });
    expect(cond(third.status, 'ApprovalRequired')).toMatchObject({ status: 'False', reason: 'Approved', message: 'Approved by alice via forgejo' });
    expect(forge.comments('homelab/infra', issue.number).find((c) => c.id === alice.id)!.reactions.map((r) => r.content)).toEqual(['+1']);
  });

  it('with spec.approval.approvers, a writer not listed as forgejo:<login> is answered and decides nothing', async () => {
    const base = gatedRun();
    const run = { ...base, spec: { ...base.spec, approval: { required: true, approvers: ['oncall'] } } };
    const first = await reconcile(run);
    const n = (first.status.issue as { number: number }).number;
    const alice = await comment('alice-token', n, '/approve');
    const second = await reconcile(next(run, first.status));
    expect(second.status.phase).toBe('AwaitingApproval');
    expect(second.status.approval).toBeUndefined();
    const answers = forge.comments('homelab/infra', n).filter((c) => c.user.login === 'homelab' && c.body.includes('@alice'));
    expect(answers.map((c) => c.body.split('\n')[1])).toEqual(['@alice your `/approve` was not applied: this run\'s spec.approval.approvers does not list `forgejo:alice`, which approving from the issue needs.']);
    expect(forge.comments('homelab/infra', n).find((c) => c.id === alice.id)!.reactions.map((r) => r.content)).toEqual(['confused']);
    const listed = { ...run, spec: { ...run.spec, approval: { required: true, approvers: ['oncall', 'forgejo:alice'] } } };
    await comment('alice-token', n, '/approve');
    const third = await reconcile(next(listed, second.status));
    expect(third.status.approval).toMatchObject({ decision: 'Approved', decidedBy: 'alice', via: 'forgejo' });
  });

  it('a kubectl decision first: a later /reject on the issue is answered and changes nothing', async () => {
    const run = gatedRun();
    const first = await reconcile(run);
    const n = (first.status.issue as { number: number }).number;
    const approved = { ...run, spec: { ...run.spec, approval: { required: true, decision: 'Approved' as const, decidedBy: 'bob' } } };
    const started = await reconcile(next(approved, first.status));
    expect(started.status.approval).toMatchObject({ decidedBy: 'bob', via: 'kubectl' });
    const late = await comment('alice-token', n, '/reject too risky');
    const r = await reconcile(next(approved, started.status));
    expect(r.status.approval).toEqual(started.status.approval);
    const answers = forge.comments('homelab/infra', n).filter((c) => c.user.login === 'homelab' && c.body.includes('@alice'));
    expect(answers.map((c) => c.body.split('\n')[1])).toEqual(['@alice this run was already Approved by bob via kubectl; your `/reject` was not applied: the first decision wins.']);
    expect(forge.comments('homelab/infra', n).find((c) => c.id === late.id)!.reactions.map((x) => x.content)).toEqual(['confused']);
  });

  it('commentProgress false: no status comment, the milestones still come', async () => {
    const run = gatedRun(undefined, { commentProgress: false });
    const r = await reconcile(run);
    const issue = r.status.issue as { number: number; statusCommentId?: number; milestones: string[] };
    expect(issue.statusCommentId).toBeUndefined();
    expect(issue.milestones).toEqual(['approval-asked']);
    expect(forge.comments('homelab/infra', issue.number).map((c) => c.body.split('\n')[0])).toEqual([expect.stringContaining('agentlab:milestone')]);
  });

  it('the deprecated github block links the named issue and also writes status.github', async () => {
    const ctlGitHub = agentRunController({ router, routerUrl: 'http://router.test:8080', newToken: () => 'tok-123', issuePollMs: 5000, issueTrackers: (c) => createIssueTracker({ ...c, baseURL: github.url }) });
    const base = gatedRun();
    const run = { ...base, spec: { ...base.spec, issueTracker: undefined, github: { repository: 'homelab/infra', issue: 42, secretRef: { name: 'forge' } } } } as AgentRun;
    const r = await reconcileOnce(ctlGitHub, { object: run, cache: [lane, namespace], server: [policy, binding, secret('op-token')] });
    expect(r.status.issue).toMatchObject({ provider: 'github', number: 42, url: `${github.webUrl}/homelab/infra/issues/42` });
    expect(r.status.github).toEqual({ issueNumber: 42, issueURL: `${github.webUrl}/homelab/infra/issues/42` });
    expect(github.repo('homelab/infra').issues.size, 'no new issue').toBe(1);
  });

  it('a deleted issue is said once in status.issue.message and never called again; the gate still works from Kubernetes', async () => {
    const run = gatedRun();
    const first = await reconcile(run);
    const n = (first.status.issue as { number: number }).number;
    forge.deleteIssue('homelab/infra', n);
    const gone = await reconcile(next(run, first.status));
    expect(gone.thrown).toBeUndefined();
    expect((gone.status.issue as { message?: string }).message).toMatch(new RegExp(`^issue #${n} of homelab/infra was deleted on the forge`));
    expect(gone.result.requeueAfterMs, 'no poll of a deleted issue').toBeUndefined();
    const calls = forge.requests.length;
    const approved = { ...run, spec: { ...run.spec, approval: { required: true, decision: 'Approved' as const, decidedBy: 'bob' } } };
    const after = await reconcile(next(approved, gone.status));
    expect(after.status.phase).toBe('Running');
    expect(forge.requests.length, 'no forge call').toBe(calls);
    expect(after.status.issue).toEqual(gone.status.issue);
  });

  it('a /reject with a reason cancels the run and posts the cancelled milestone; the issue stays open', async () => {
    const run = gatedRun();
    const first = await reconcile(run);
    const n = (first.status.issue as { number: number }).number;
    await comment('alice-token', n, '/reject not during the freeze');
    const second = await reconcile(next(run, first.status));
    expect(second.status.phase).toBe('Cancelled');
    expect(second.status.approval).toMatchObject({ decision: 'Rejected', decidedBy: 'alice', via: 'forgejo', reason: 'not during the freeze' });
    expect(cond(second.status, 'Ready')).toMatchObject({ reason: 'Rejected', message: 'rejected by alice: not during the freeze' });
    expect((second.status.issue as { milestones: string[] }).milestones).toContain('cancelled');
    expect(forge.repo('homelab/infra').issues.get(n)!.state).toBe('open');
  });

  it('a forge that does not answer never opens the gate: the run waits, the condition says why, the poll goes on', async () => {
    const run = gatedRun(undefined, { baseURL: 'http://127.0.0.1:9' });
    const r = await reconcile(run);
    expect(r.thrown).toBeUndefined();
    expect(r.status.phase).toBe('AwaitingApproval');
    expect(cond(r.status, 'IssueTrackerUnavailable')).toMatchObject({ status: 'True', reason: 'ForgeUnreachable', message: expect.stringContaining('spec.issueTracker.baseURL') });
    expect(r.result.requeueAfterMs).toBe(5000);
    expect(r.status.approval).toBeUndefined();
  });

  it('a missing Secret is IssueTrackerUnavailable naming it and its key; the kubectl path still decides', async () => {
    const run = gatedRun();
    const r = await reconcile(run, [policy, binding]);
    expect(cond(r.status, 'IssueTrackerUnavailable')).toMatchObject({ status: 'True', reason: 'IssueTrackerUnavailable', message: expect.stringContaining('spec.issueTracker.secretRef: Secret ai/forge not found') });
    expect(r.events).toContainEqual(expect.objectContaining({ type: 'Warning', reason: 'IssueTrackerUnavailable' }));
    const approved = { ...run, spec: { ...run.spec, approval: { required: true, decision: 'Approved' as const, decidedBy: 'bob' } } };
    const k = await reconcile(next(approved, r.status), [policy, binding]);
    expect(k.status.phase).toBe('Running');
    expect(k.status.approval).toMatchObject({ decision: 'Approved', decidedBy: 'bob', via: 'kubectl' });
  });

  it('a rate limit requeues after Retry-After without a condition, and nothing is lost', async () => {
    const run = gatedRun();
    const first = await reconcile(run);
    forge.setRateLimit({ kind: 'secondary', retryAfterSeconds: 7 });
    const limited = await reconcile(next(run, first.status));
    forge.setRateLimit(undefined);
    expect(limited.thrown).toBeUndefined();
    expect(cond(limited.status, 'IssueTrackerUnavailable')).toBeUndefined();
    expect(limited.result.requeueAfterMs).toBeGreaterThan(5000);
    expect(limited.result.requeueAfterMs).toBeLessThanOrEqual(7000);
    expect(limited.status.issue).toEqual(first.status.issue);
  });

  it('a Kubernetes decision after the issue decided is not used: a Warning event and the condition say so', async () => {
    const run = gatedRun();
    const first = await reconcile(run);
    const n = (first.status.issue as { number: number }).number;
    await comment('alice-token', n, '/approve');
    const approved = await reconcile(next(run, first.status));
    expect(approved.status.approval).toMatchObject({ via: 'forgejo', decidedBy: 'alice' });
    const late = { ...run, spec: { ...run.spec, approval: { required: true, decision: 'Rejected' as const, decidedBy: 'bob' } } };
    const r = await reconcile(next(late, approved.status));
    expect(r.status.approval).toEqual(approved.status.approval);
    expect(r.events).toContainEqual({ type: 'Warning', reason: 'ApprovalAlreadyDecided', message: expect.stringContaining('spec.approval.decision Rejected by bob was not used: the run was already Approved by alice via forgejo') });
    // Said once: the next reconcile finds it in the condition.
    const again = await reconcile(next(late, r.status));
    expect(again.events.filter((e) => e.reason === 'ApprovalAlreadyDecided')).toEqual([]);
  });
});
