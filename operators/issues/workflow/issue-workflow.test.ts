// The IssueWorkflow engine against both fake forges (one table): each client talks HTTP to a fake
// speaking its forge's wire protocol, so the engine's requests are checked as the forge sees them.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { FakeForge } from '../../../hack/fakes/forge.js';
import { startFakeForgejo } from '../../../hack/fakes/forgejo.js';
import { startFakeGitHub } from '../../../hack/fakes/github.js';
import type { IssueTrackerSpec } from '../../model/issue-tracker-spec.js';
import { IssueTrackerError } from '../errors.js';
import { createIssueTracker } from '../factory.js';
import type { IssueProvider, IssueTracker } from '../types.js';
import { IssueWorkflow, WorkflowMemory, recordMilestone, searchSince, withIssueRef, type IssueRecord, type StatusView, type WorkflowSubject } from './issue-workflow.js';
import { statusMarker } from './markers.js';

const REPO = 'agentlab/homelab';
const TOKEN = 'tok-operator-0123456789';
const USERS = [
  { login: 'agentlab', token: TOKEN },
  { login: 'alice', token: 'tok-alice', permission: 'write' as const },
  { login: 'bob', token: 'tok-bob', permission: 'read' as const },
  { login: 'renovate[bot]', token: 'tok-bot', bot: true },
];

const CASES: { provider: IssueProvider; start(): Promise<FakeForge> }[] = [
  { provider: 'github', start: () => startFakeGitHub({ repositories: [REPO], users: USERS, issues: [{ repository: REPO, number: 7, title: 'Existing issue' }] }) },
  { provider: 'forgejo', start: () => startFakeForgejo({ repositories: [REPO], users: USERS, issues: [{ repository: REPO, number: 7, title: 'Existing issue' }] }) },
];

let uidSeq = 0;
const newSubject = (): WorkflowSubject => ({ kind: 'AgentRun', namespace: 'team-a', name: `run-${++uidSeq}`, uid: `0a1b2c3d-0000-4000-8000-${String(uidSeq).padStart(12, '0')}` });
const VIEW: StatusView = { title: 'Expand storage on node-2', phase: 'Pending', summary: 'Plan: add a 4 TB disk.', steps: [{ name: 'plan', state: 'done' }, { name: 'buy-disk', state: 'waiting' }] };

async function failure(p: Promise<unknown>): Promise<IssueTrackerError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(IssueTrackerError);
    return e as IssueTrackerError;
  }
  throw new Error('expected the call to fail');
}

describe.each(CASES)('IssueWorkflow against the fake $provider', (c) => {
  let fake: FakeForge;
  let tracker: IssueTracker;
  let subject: WorkflowSubject;
  let memory: WorkflowMemory;
  const spec = (over: Partial<IssueTrackerSpec> = {}): IssueTrackerSpec => ({
    provider: c.provider, baseURL: fake.url, repository: REPO, createIssue: { title: '', labels: ['agentlab'] }, commentProgress: true, closeOnSuccess: true,
    secretRef: { name: 'forge-token', key: 'token' }, block: 'issueTracker', ...over,
  });
  const as = (token: string): IssueTracker => createIssueTracker({ provider: c.provider, baseURL: fake.url, repository: REPO, token });
  const engine = (over: Partial<IssueTrackerSpec> = {}, mem = memory): IssueWorkflow => new IssueWorkflow(tracker, subject, spec(over), { memory: mem });
  const requestsSince = (n: number) => fake.requests.slice(n).map((r) => `${r.method} ${r.path.replace(/^\/api\/v1/, '')}`);

  beforeAll(async () => {
    fake = await c.start();
  });
  afterAll(() => fake.close());
  beforeEach(() => {
    fake.setRateLimit(undefined);
    tracker = as(TOKEN);
    subject = newSubject();
    memory = new WorkflowMemory();
  });

  it('creates the issue once, with the labels, even when ensureIssue is called again without a record (restart)', async () => {
    const first = await engine().ensureIssue(VIEW);
    expect(first).toEqual({ provider: c.provider, number: first.number, url: `${fake.webUrl}/${REPO}/issues/${first.number}` });
    const issue = fake.repo(REPO).issues.get(first.number)!;
    expect(issue.title).toBe('Expand storage on node-2');
    expect(issue.labels.map((l) => l.name)).toEqual(['agentlab']);
    expect(issue.body.split('\n')[0]).toBe(`<!-- agentlab:issue ${subject.uid} -->`);

    // The operator crashed before writing status.issue: a fresh engine with no memory finds it by marker.
    const again = await engine({}, new WorkflowMemory()).ensureIssue(VIEW);
    expect(again).toEqual(first);
    expect([...fake.repo(REPO).issues.values()].filter((i) => i.body.includes(subject.uid))).toHaveLength(1);
    // With the record, nothing is asked of the forge.
    const n = fake.requests.length;
    expect(await engine().ensureIssue(VIEW, first)).toBe(first);
    expect(fake.requests.length).toBe(n);
  });

  it('searches only issues updated since the resource was created (less an hour), when the subject says when', async () => {
    const rec = await engine().ensureIssue(VIEW);
    const created = new Date(Date.now() - 10_000).toISOString();
    const n = fake.requests.length;
    const again = await new IssueWorkflow(tracker, { ...subject, createdAt: created }, spec(), { memory: new WorkflowMemory() }).ensureIssue(VIEW);
    expect(again).toEqual(rec);
    const list = fake.requests.slice(n).find((r) => r.method === 'GET' && /\/issues$/.test(r.path))!;
    expect(Date.parse(list.query.since!)).toBe(Date.parse(created) - 3_600_000);
    // A cluster clock 30 minutes ahead of the forge: within the hour allowed, the issue is still found.
    const skewed = new Date(Date.now() + 30 * 60_000).toISOString();
    expect(await new IssueWorkflow(tracker, { ...subject, createdAt: skewed }, spec(), { memory: new WorkflowMemory() }).ensureIssue(VIEW)).toEqual(rec);
  });

  it('ignores an issue someone else wrote with our marker (never adopts a spoof)', async () => {
    const alice = as('tok-alice');
    const spoof = await alice.createIssue({ title: 'spoof', body: `<!-- agentlab:issue ${subject.uid} -->` });
    const rec = await engine().ensureIssue(VIEW);
    expect(rec.number).not.toBe(spoof.number);
  });

  it('titles the issue from createIssue.title when given, and links spec.issue instead of creating', async () => {
    const titled = await engine({ createIssue: { title: 'Fix the login page', labels: [] } }).ensureIssue(VIEW);
    expect(fake.repo(REPO).issues.get(titled.number)!.title).toBe('Fix the login page');
    const before = fake.repo(REPO).issues.size;
    subject = newSubject();
    expect(await engine({ issue: 7, createIssue: undefined }).ensureIssue(VIEW)).toEqual({ provider: c.provider, number: 7, url: `${fake.webUrl}/${REPO}/issues/7` });
    expect(fake.repo(REPO).issues.size).toBe(before);
  });

  it('keeps one status comment, edited in place; an unchanged body sends no request', async () => {
    const wf = engine();
    let rec = await wf.ensureIssue(VIEW);
    rec = await wf.syncStatus(rec, VIEW);
    expect(rec.statusCommentId).toBeGreaterThan(0);
    const comments = () => fake.comments(REPO, rec.number);
    expect(comments()).toHaveLength(1);
    expect(comments()[0]!.body.split('\n')[0]).toBe(statusMarker(subject.uid));

    const n = fake.requests.length;
    expect(await wf.syncStatus(rec, VIEW)).toEqual(rec);
    expect(fake.requests.length).toBe(n);

    const running: StatusView = { ...VIEW, phase: 'Running', steps: [{ name: 'plan', state: 'done' }, { name: 'buy-disk', state: 'running' }] };
    expect(await wf.syncStatus(rec, running)).toEqual(rec);
    expect(requestsSince(n)).toEqual([`PATCH /repos/${REPO}/issues/comments/${rec.statusCommentId}`]);
    expect(comments()).toHaveLength(1);
    expect(comments()[0]!.body).toContain('**Running**');
    expect(comments()[0]!.body).toContain('⏳ `buy-disk`');

    // A restart before status.issue.statusCommentId was written: found by marker, not posted again.
    const { statusCommentId: _, ...noId } = rec;
    const restarted = await engine({}, new WorkflowMemory()).syncStatus(noId, { ...running, phase: 'Succeeded' });
    expect(restarted.statusCommentId).toBe(rec.statusCommentId);
    expect(comments()).toHaveLength(1);
    expect(comments()[0]!.body).toContain('**Succeeded**');
  });

  it('posts a new status comment when the old one was deleted', async () => {
    const wf = engine();
    let rec = await wf.ensureIssue(VIEW);
    rec = await wf.syncStatus(rec, VIEW);
    fake.repo(REPO).comments.delete(rec.statusCommentId!);
    const again = await engine({}, new WorkflowMemory()).syncStatus(rec, { ...VIEW, phase: 'Running' });
    expect(again.statusCommentId).not.toBe(rec.statusCommentId);
    expect(fake.comments(REPO, rec.number)).toHaveLength(1);
  });

  it('posts a milestone once across repeated calls and a fresh engine', async () => {
    const wf = engine();
    let rec = await wf.ensureIssue(VIEW);
    rec = await wf.milestone(rec, 'approval-asked', 'Approval asked: comment `/approve` or `/reject <reason>`.');
    expect(rec.milestones).toEqual(['approval-asked']);
    const n = fake.requests.length;
    expect(await wf.milestone(rec, 'approval-asked', 'again')).toEqual(rec);
    expect(fake.requests.length).toBe(n);
    // The record was lost (crash before the status write): the marker finds the comment.
    const { milestones: _, ...lost } = rec;
    expect((await engine({}, new WorkflowMemory()).milestone(lost, 'approval-asked', 'again')).milestones).toEqual(['approval-asked']);
    const bodies = fake.comments(REPO, rec.number).map((x) => x.body);
    expect(bodies).toHaveLength(1);
    expect(bodies[0]).toBe(`<!-- agentlab:milestone ${subject.uid} approval-asked -->\nApproval asked: comment \`/approve\` or \`/reject <reason>\`.`);
    rec = await wf.milestone(rec, 'succeeded', 'Done.');
    expect(rec.milestones).toEqual(['approval-asked', 'succeeded']);
    expect(fake.comments(REPO, rec.number)).toHaveLength(2);
  });

  it('reads a writer\'s /approve and ignores a reader, a bot and our own token', async () => {
    const wf = engine();
    const rec = await wf.ensureIssue(VIEW);
    await tracker.createComment(rec.number, '/approve'); // our own token: never a command (no loops)
    await as('tok-bob').createComment(rec.number, '/approve'); // read access only
    await as('tok-bot').createComment(rec.number, '/approve'); // a bot
    await as('tok-alice').createComment(rec.number, 'Looks good.\n\nnot a command: /approve');
    const approve = await as('tok-alice').createComment(rec.number, '/approve');
    const commands = await wf.readCommands(rec);
    expect(commands).toEqual([{ command: { verb: 'approve' }, login: 'alice', permission: 'write', commentId: approve.id, commentUrl: approve.url, at: approve.createdAt }]);
    // Permission asked once per author: bob and alice (never for our own login or the bot).
    const asked = fake.requests.filter((r) => r.path.includes('/collaborators/')).map((r) => r.path.split('/').at(-2));
    expect(asked.sort()).toEqual(['alice', 'bob']);
    // Seen commands are not returned again; a new /reject is.
    const reject = await as('tok-alice').createComment(rec.number, '/reject the disk is the wrong size');
    expect(await wf.readCommands(rec)).toEqual([expect.objectContaining({ command: { verb: 'reject', reason: 'the disk is the wrong size' }, commentId: reject.id })]);
    // After a restart (fresh memory) every command is read again: the caller's status decides.
    expect((await engine({}, new WorkflowMemory()).readCommands(rec)).map((x) => x.commentId)).toEqual([approve.id, reject.id]);
  });

  it('asks who the token is again when the tracker (token) changes', async () => {
    const rec = await engine().ensureIssue(VIEW);
    const approve = await as('tok-alice').createComment(rec.number, '/approve');
    expect((await engine().readCommands(rec)).map((x) => x.login)).toEqual(['alice']);
    // The Secret now holds alice's token: her new comments are our own, never commands.
    await as('tok-alice').createComment(rec.number, '/approve');
    expect(await new IssueWorkflow(as('tok-alice'), subject, spec(), { memory }).readCommands(rec)).toEqual([]);
    expect(approve.id).toBeGreaterThan(0);
  });

  it('polls with a conditional request: an unchanged issue answers 304 and asks nothing else', async () => {
    const wf = engine();
    const rec = await wf.ensureIssue(VIEW);
    await as('tok-alice').createComment(rec.number, 'hello');
    expect(await wf.readCommands(rec)).toEqual([]);
    const first = fake.requests.at(-1)!;
    expect(first.headers['if-none-match']).toBeUndefined();

    const results: boolean[] = [];
    const counting: IssueTracker = { ...tracker, listComments: async (n, o) => { const r = await tracker.listComments(n, o); results.push(r.notModified); return r; } };
    const n = fake.requests.length;
    expect(await new IssueWorkflow(counting, subject, spec(), { memory }).readCommands(rec)).toEqual([]);
    expect(results).toEqual([true]);
    expect(fake.requests.length).toBe(n + 1);
    expect(fake.requests.at(-1)!.headers['if-none-match']).toMatch(/^W\/".+"$/);

    const done = await as('tok-alice').createComment(rec.number, '/done buy-disk bought a 4 TB WD Red');
    expect((await wf.readCommands(rec)).map((x) => x.command)).toEqual([{ verb: 'done', step: 'buy-disk', notes: 'bought a 4 TB WD Red' }]);
    expect(done.id).toBeGreaterThan(0);
  });

  it('asks only for newer comments once an issue is long', async () => {
    const wf = engine();
    const rec = await wf.ensureIssue(VIEW);
    for (let i = 0; i < 55; i++) await tracker.createComment(rec.number, `log ${i}`);
    expect(await wf.readCommands(rec)).toEqual([]);
    const approve = await as('tok-alice').createComment(rec.number, '/approve');
    expect((await wf.readCommands(rec)).map((x) => x.commentId)).toEqual([approve.id]);
    expect(fake.requests.filter((r) => r.path.endsWith(`/issues/${rec.number}/comments`) && r.method === 'GET').at(-1)!.query.since).toMatch(/^\d{4}-/);
  });

  it('surfaces a rate limit as RateLimited; a later call succeeds and nothing is lost', async () => {
    const wf = engine();
    const rec = await wf.ensureIssue(VIEW);
    const approve = await as('tok-alice').createComment(rec.number, '/approve');
    fake.setRateLimit({ kind: 'secondary', count: 1, retryAfterSeconds: 2, status: 429 });
    const e = await failure(wf.readCommands(rec));
    expect(e.kind).toBe('RateLimited');
    expect(e.retryAfterMs).toBe(2_000);
    // Limited in the middle of a poll (the permission check): the command is not marked seen.
    let calls = 0;
    const midway: IssueTracker = { ...tracker, permission: async (login) => { calls++; if (calls === 1) { fake.setRateLimit({ kind: 'secondary', count: 1, retryAfterSeconds: 1, status: 429 }); } return tracker.permission(login); } };
    expect((await failure(new IssueWorkflow(midway, subject, spec(), { memory }).readCommands(rec))).kind).toBe('RateLimited');
    expect((await wf.readCommands(rec)).map((x) => x.commentId)).toEqual([approve.id]);

    fake.setRateLimit({ kind: 'primary', count: 1, resetInSeconds: 1 });
    expect((await failure(wf.syncStatus(rec, VIEW))).kind).toBe('RateLimited');
    const synced = await wf.syncStatus(rec, VIEW);
    expect(fake.comments(REPO, rec.number).filter((x) => x.body.startsWith(statusMarker(subject.uid)))).toHaveLength(1);
    expect(synced.statusCommentId).toBeGreaterThan(0);
  });

  it('surfaces a revoked token as Unauthorized, without the token in the message', async () => {
    fake.addUser({ login: 'agentlab', token: 'tok-soon-revoked' });
    tracker = as('tok-soon-revoked');
    const wf = engine();
    const rec = await wf.ensureIssue(VIEW);
    fake.revokeToken('tok-soon-revoked');
    for (const call of [() => wf.syncStatus(rec, VIEW), () => wf.readCommands(rec), () => wf.milestone(rec, 'failed', 'x')]) {
      const e = await failure(call());
      expect(e.kind).toBe('Unauthorized');
      expect(e.message).not.toContain('tok-soon-revoked');
    }
  });

  it('commits a documentation file exactly once across retries, linked to the issue', async () => {
    fake.createBranch(REPO, 'docs');
    const wf = engine();
    const rec = await wf.ensureIssue(VIEW);
    const f = { branch: 'docs', path: `hardware/${subject.name}.md`, content: '# node-2\n\n4 TB disk added.\n', message: 'docs: node-2 storage' };
    const first = await wf.commitFile(rec, f);
    expect(first.unchanged).toBe(false);
    expect(first.commitSha).toMatch(/^[0-9a-f]{40}$/);
    expect(first.commitUrl).toBe(`${fake.webUrl}/${REPO}/commit/${first.commitSha}`);
    expect(await wf.commitFile(rec, f)).toEqual({ unchanged: true });
    expect(await engine({}, new WorkflowMemory()).commitFile(rec, f)).toEqual({ unchanged: true });
    const commits = fake.repo(REPO).commits.filter((x) => x.path === f.path);
    expect(commits.map((x) => x.message)).toEqual([`docs: node-2 storage (#${rec.number})`]);
    expect(fake.file(REPO, 'docs', f.path)).toBe(f.content);
  });

  it('handles a stale sha: someone committed between the read and the write', async () => {
    const wf = engine();
    const rec = await wf.ensureIssue(VIEW);
    const path = `hardware/${subject.name}-race.md`;
    await tracker.putFile({ path, branch: 'main', content: 'v1', message: 'v1' });
    // The first getFile sees v1; before our putFile lands, alice commits v2 (a real race, through the forge).
    let raced = false;
    const racing: IssueTracker = {
      ...tracker,
      getFile: async (p, b) => {
        const f = await tracker.getFile(p, b);
        if (!raced) {
          raced = true;
          await as('tok-alice').putFile({ path, branch: 'main', content: 'v2', message: 'v2 by alice', sha: f!.sha });
        }
        return f;
      },
    };
    const out = await new IssueWorkflow(racing, subject, spec(), { memory }).commitFile(rec, { branch: 'main', path, content: 'v3', message: 'docs: v3' });
    expect(out.unchanged).toBe(false);
    expect(fake.file(REPO, 'main', path)).toBe('v3');
    expect(fake.repo(REPO).commits.filter((x) => x.path === path).map((x) => x.message)).toEqual(['v1', 'v2 by alice', `docs: v3 (#${rec.number})`]);

    // The race where the other writer wrote exactly our content: no commit of ours at all.
    raced = false;
    const same: IssueTracker = {
      ...tracker,
      getFile: async (p, b) => {
        const f = await tracker.getFile(p, b);
        if (!raced) {
          raced = true;
          await as('tok-alice').putFile({ path, branch: 'main', content: 'v4', message: 'v4 by alice', sha: f!.sha });
        }
        return f;
      },
    };
    expect(await new IssueWorkflow(same, subject, spec(), { memory }).commitFile(rec, { branch: 'main', path, content: 'v4', message: 'docs: v4' })).toEqual({ unchanged: true });
    expect(fake.repo(REPO).commits.filter((x) => x.path === path)).toHaveLength(4);
  });

  it('reacts to a comment once and closes the issue', async () => {
    const wf = engine();
    const rec = await wf.ensureIssue(VIEW);
    const approve = await as('tok-alice').createComment(rec.number, '/approve');
    await wf.acknowledge(approve.id, '+1');
    await wf.acknowledge(approve.id, '+1');
    expect(fake.repo(REPO).comments.get(approve.id)!.reactions.map((r) => [r.user.login, r.content])).toEqual([['agentlab', '+1']]);
    await wf.close(rec);
    expect(fake.repo(REPO).issues.get(rec.number)!.state).toBe('closed');
  });
});

describe('withIssueRef', () => {
  it.each([
    ['docs: node-2', 12, 'docs: node-2 (#12)'],
    ['docs: node-2\n\nbody', 12, 'docs: node-2 (#12)\n\nbody'],
    ['docs: fixes #12', 12, 'docs: fixes #12'],
    ['docs: see #123', 12, 'docs: see #123 (#12)'],
    ['docs: no issue', undefined, 'docs: no issue'],
  ] as const)('%j, #%s -> %j', (message, issue, want) => {
    expect(withIssueRef(message, issue)).toBe(want);
  });
});

describe('recordMilestone', () => {
  it('keeps a set of at most 16 keys, newest last, and leaves out keys too long for status', () => {
    expect(recordMilestone(undefined, 'a')).toEqual(['a']);
    expect(recordMilestone(['a', 'b'], 'a')).toEqual(['b', 'a']);
    const many = Array.from({ length: 16 }, (_, i) => `step:${i}`);
    expect(recordMilestone(many, 'succeeded')).toEqual([...many.slice(1), 'succeeded']);
    expect(recordMilestone(['a'], 'x'.repeat(257))).toEqual(['a']);
  });
});

export type { IssueRecord };

describe('searchSince', () => {
  it('is an hour before the creation time, or nothing without a readable one', () => {
    expect(searchSince('2026-12-03T07:00:00Z')).toEqual({ since: '2026-12-03T06:00:00.000Z' });
    expect(searchSince(undefined)).toEqual({});
    expect(searchSince('yesterday')).toEqual({});
  });
});
