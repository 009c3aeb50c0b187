// One table of behaviours, run against each provider's client talking to its fake forge over HTTP
// (hack/fakes/github.ts, hack/fakes/forgejo.ts): GitHub, GitHub Enterprise (/api/v3), Forgejo.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { FakeForge } from '../../hack/fakes/forge.js';
import { startFakeForgejo } from '../../hack/fakes/forgejo.js';
import { startFakeGitHub } from '../../hack/fakes/github.js';
import { IssueTrackerError, type IssueTrackerErrorKind } from './errors.js';
import { createIssueTracker } from './factory.js';
import type { IssueProvider, IssueTracker } from './types.js';

const REPO = 'agentlab/homelab';
const OWNER_TOKEN = 'ghp_owner_0123456789abcdef'; // the operator's token: the repository owner
const USERS = [
  { login: 'agentlab', token: OWNER_TOKEN },
  { login: 'alice', token: 'tok-alice', permission: 'write' as const },
  { login: 'bob', token: 'tok-bob', permission: 'read' as const },
  { login: 'renovate[bot]', token: 'tok-bot', bot: true },
  { login: 'mallory' },
];

interface ProviderCase {
  name: string;
  provider: IssueProvider;
  start(): Promise<FakeForge>;
  baseURL(fake: FakeForge): string;
  /** What the forge says about a bot author (GitHub: user.type Bot; Forgejo has no such field). */
  botVisible: boolean;
  /** Forgejo lets only repository admins read other users' permissions. */
  permissionNeedsAdmin: boolean;
}

const CASES: ProviderCase[] = [
  { name: 'GitHub', provider: 'github', start: () => startFakeGitHub({ repositories: [REPO], users: USERS }), baseURL: (f) => f.url, botVisible: true, permissionNeedsAdmin: false },
  {
    name: 'GitHub Enterprise (/api/v3)', provider: 'github', start: () => startFakeGitHub({ repositories: [REPO], users: USERS, pathPrefix: '/api/v3' }),
    baseURL: (f) => `${f.url}/api/v3`, botVisible: true, permissionNeedsAdmin: false,
  },
  { name: 'Forgejo', provider: 'forgejo', start: () => startFakeForgejo({ repositories: [REPO], users: USERS }), baseURL: (f) => f.url, botVisible: false, permissionNeedsAdmin: true },
];

async function failure(p: Promise<unknown>): Promise<IssueTrackerError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(IssueTrackerError);
    return e as IssueTrackerError;
  }
  throw new Error('expected the call to fail');
}

async function expectKind(p: Promise<unknown>, kind: IssueTrackerErrorKind): Promise<IssueTrackerError> {
  const e = await failure(p);
  expect(e.kind, e.message).toBe(kind);
  return e;
}

describe.each(CASES)('IssueTracker against the fake $name', (c) => {
  let fake: FakeForge;
  let tracker: IssueTracker;
  const as = (token: string): IssueTracker => createIssueTracker({ provider: c.provider, baseURL: c.baseURL(fake), repository: REPO, token });

  beforeAll(async () => {
    fake = await c.start();
  });
  afterAll(() => fake.close());
  beforeEach(() => {
    fake.setRateLimit(undefined);
    tracker = as(OWNER_TOKEN);
  });

  it('names the user the token acts as', async () => {
    expect(await tracker.currentUser()).toBe('agentlab');
    expect(await as('tok-alice').currentUser()).toBe('alice');
  });

  it('creates, reads, edits, closes and reopens an issue', async () => {
    const created = await tracker.createIssue({ title: 'Upgrade node-3 GPU driver', body: 'Tracked by HardwareTask gpu-upgrade', labels: ['agentlab'] });
    expect(created).toMatchObject({ title: 'Upgrade node-3 GPU driver', body: 'Tracked by HardwareTask gpu-upgrade', state: 'open', author: 'agentlab', labels: ['agentlab'] });
    expect(created.url).toBe(`${fake.webUrl}/${REPO}/issues/${created.number}`);
    expect(await tracker.getIssue(created.number)).toEqual(created);

    const closed = await tracker.editIssue(created.number, { state: 'closed', body: 'done' });
    expect(closed).toMatchObject({ number: created.number, state: 'closed', body: 'done' });
    expect((await tracker.editIssue(created.number, { state: 'open' })).state).toBe('open');
    expect((await tracker.getIssue(created.number)).title).toBe('Upgrade node-3 GPU driver');
  });

  it('lists issues newest first, by state, labels (all of them) and since, across pages', async () => {
    const a = await tracker.createIssue({ title: 'list a', body: '<!-- agentlab:issue uid-a -->', labels: ['agentlab', 'storage'] });
    const b = await tracker.createIssue({ title: 'list b', body: '', labels: ['agentlab'] });
    const closed = await tracker.createIssue({ title: 'list c', body: '', labels: ['agentlab', 'storage'] });
    await tracker.editIssue(closed.number, { state: 'closed' });
    const open = await tracker.listIssues();
    expect(open.map((i) => i.number)).toEqual(expect.arrayContaining([b.number, a.number]));
    expect(open.map((i) => i.number)).not.toContain(closed.number);
    expect(open.findIndex((i) => i.number === b.number)).toBeLessThan(open.findIndex((i) => i.number === a.number));
    expect(open.find((i) => i.number === a.number)).toMatchObject({ title: 'list a', body: '<!-- agentlab:issue uid-a -->', state: 'open', url: a.url });

    expect((await tracker.listIssues({ state: 'all', labels: ['storage', 'agentlab'] })).map((i) => i.number)).toEqual([closed.number, a.number]);
    expect((await tracker.listIssues({ state: 'closed', labels: ['storage'] })).map((i) => i.number)).toEqual([closed.number]);
    expect(await tracker.listIssues({ state: 'all', labels: ['no-such-label'] })).toEqual([]);
    expect(await tracker.listIssues({ state: 'all', since: new Date(Date.now() + 3_600_000).toISOString() })).toEqual([]);

    const before = (await tracker.listIssues({ state: 'all' })).length;
    for (let i = 0; i < 105; i++) await tracker.createIssue({ title: `page ${i}`, body: '' });
    const all = await tracker.listIssues({ state: 'all' });
    expect(all).toHaveLength(before + 105);
    expect(new Set(all.map((i) => i.number)).size).toBe(all.length);
  });

  it('creates, edits and lists comments, oldest first, with since', async () => {
    const { number } = await tracker.createIssue({ title: 'comments', body: '' });
    const first = await tracker.createComment(number, '<!-- agentlab:status -->\nPhase: Pending');
    expect(first).toMatchObject({ author: 'agentlab', authorIsBot: false, body: '<!-- agentlab:status -->\nPhase: Pending' });
    expect(first.url).toContain(`/${REPO}/issues/${number}#issuecomment-${first.id}`);
    const second = await as('tok-alice').createComment(number, '/approve');

    const edited = await tracker.editComment(first.id, '<!-- agentlab:status -->\nPhase: Running');
    expect(edited).toMatchObject({ id: first.id, body: '<!-- agentlab:status -->\nPhase: Running' });

    const all = await tracker.listComments(number);
    expect(all.notModified).toBe(false);
    if (all.notModified) return;
    expect(all.value.map((x) => [x.id, x.author, x.body])).toEqual([
      [first.id, 'agentlab', '<!-- agentlab:status -->\nPhase: Running'],
      [second.id, 'alice', '/approve'],
    ]);
    expect(fake.comments(REPO, number)).toHaveLength(2);

    const future = await tracker.listComments(number, { since: new Date(Date.now() + 3_600_000).toISOString() });
    expect(future.notModified ? 'not modified' : future.value).toEqual([]);
    const past = await tracker.listComments(number, { since: '2000-01-01T00:00:00Z' });
    expect(past.notModified ? 'not modified' : past.value.length).toBe(2);
  });

  it('polls comments with a conditional request: unchanged -> notModified (304), changed -> the new list', async () => {
    const { number } = await tracker.createIssue({ title: 'polling', body: '' });
    await tracker.createComment(number, 'one');
    const first = await tracker.listComments(number);
    expect(first.notModified).toBe(false);
    expect(first.etag).toMatch(/^W\/".+"$/);

    const again = await tracker.listComments(number, { etag: first.etag });
    expect(again).toEqual({ notModified: true, etag: first.etag });
    const lastRequest = fake.requests.at(-1)!;
    expect(lastRequest.headers['if-none-match']).toBe(first.etag);

    await as('tok-alice').createComment(number, 'two');
    const changed = await tracker.listComments(number, { etag: first.etag });
    expect(changed.notModified).toBe(false);
    if (!changed.notModified) expect(changed.value.map((x) => x.body)).toEqual(['one', 'two']);
    expect(changed.etag).not.toBe(first.etag);
  });

  it('lists every comment of a long issue (more than one GitHub page)', async () => {
    const { number } = await tracker.createIssue({ title: 'long', body: '' });
    for (let i = 0; i < 105; i++) await tracker.createComment(number, `c${i}`);
    const all = await tracker.listComments(number);
    expect(all.notModified ? [] : all.value.map((x) => x.body)).toEqual(Array.from({ length: 105 }, (_, i) => `c${i}`));
  });

  it('tells bots apart where the forge reports them', async () => {
    const { number } = await tracker.createIssue({ title: 'bots', body: '' });
    const comment = await as('tok-bot').createComment(number, '/approve');
    expect(comment.author).toBe('renovate[bot]');
    expect(comment.authorIsBot).toBe(c.botVisible);
  });

  it('adds labels by name, creating missing ones, idempotently', async () => {
    const { number } = await tracker.createIssue({ title: 'labels', body: '' });
    expect((await tracker.addLabels(number, ['agentlab', 'needs-approval'])).sort()).toEqual(['agentlab', 'needs-approval']);
    expect((await tracker.addLabels(number, ['needs-approval'])).sort()).toEqual(['agentlab', 'needs-approval']);
    expect((await tracker.getIssue(number)).labels.sort()).toEqual(['agentlab', 'needs-approval']);
  });

  it('finds existing labels beyond the first page instead of creating them again', async () => {
    const { number } = await tracker.createIssue({ title: 'many labels', body: '' });
    const names = Array.from({ length: 120 }, (_, i) => `area-${String(i).padStart(3, '0')}`);
    await tracker.addLabels(number, names);
    const before = fake.repo(REPO).labels.length;
    const second = await tracker.createIssue({ title: 'late label', body: '' });
    expect(await tracker.addLabels(second.number, ['area-119'])).toEqual(['area-119']);
    expect(fake.repo(REPO).labels.length).toBe(before);
  });

  it('reacts to an issue and a comment, once however often it is asked', async () => {
    const { number } = await tracker.createIssue({ title: 'reactions', body: '' });
    const comment = await as('tok-alice').createComment(number, '/approve');
    await tracker.addReaction({ issue: number }, 'eyes');
    await tracker.addReaction({ comment: comment.id }, '+1');
    await tracker.addReaction({ comment: comment.id }, '+1');
    const repo = fake.repo(REPO);
    expect(repo.issues.get(number)!.reactions.map((r) => [r.user.login, r.content])).toEqual([['agentlab', 'eyes']]);
    expect(repo.comments.get(comment.id)!.reactions.map((r) => [r.user.login, r.content])).toEqual([['agentlab', '+1']]);
  });

  it('reads collaborator permissions', async () => {
    expect(await tracker.permission('agentlab')).toBe('admin');
    expect(await tracker.permission('alice')).toBe('write');
    expect(await tracker.permission('bob')).toBe('read');
    expect(await tracker.permission('no-such-user')).toBe('none');
    // A non-admin token: GitHub answers, Forgejo refuses (the operator's Forgejo token needs repository admin).
    if (c.permissionNeedsAdmin) await expectKind(as('tok-alice').permission('bob'), 'Forbidden');
    else expect(await as('tok-alice').permission('bob')).toBe('read');
  });

  it('creates and updates a file on a branch through the contents API', async () => {
    fake.createBranch(REPO, 'docs');
    const path = 'docs/runs/gpu upgrade ✓.md';
    expect(await tracker.getFile(path, 'docs')).toBeUndefined();

    const created = await tracker.putFile({ path, branch: 'docs', content: '# GPU upgrade\n\nnode-3: done ✓\n', message: 'docs: gpu upgrade (fixes #1)' });
    expect(created.path).toBe(path);
    expect(created.sha).toMatch(/^[0-9a-f]{40}$/);
    expect(created.commitSha).toMatch(/^[0-9a-f]{40}$/);
    expect(created.commitUrl).toBe(`${fake.webUrl}/${REPO}/commit/${created.commitSha}`);
    expect(fake.file(REPO, 'docs', path)).toBe('# GPU upgrade\n\nnode-3: done ✓\n');
    expect(fake.file(REPO, 'main', path)).toBeUndefined();

    const read = await tracker.getFile(path, 'docs');
    expect(read).toEqual({ path, sha: created.sha, content: '# GPU upgrade\n\nnode-3: done ✓\n' });

    const long = Array.from({ length: 40 }, (_, i) => `step ${i}: ok ✓`).join('\n'); // base64 GitHub wraps at 60 columns
    const updated = await tracker.putFile({ path, branch: 'docs', content: long, message: 'docs: v2', sha: read!.sha });
    expect(updated.sha).not.toBe(created.sha);
    expect(await tracker.getFile(path, 'docs')).toEqual({ path, sha: updated.sha, content: long });
    expect(fake.repo(REPO).commits.filter((x) => x.path === path).map((x) => x.message)).toEqual(['docs: gpu upgrade (fixes #1)', 'docs: v2']);

    // A stale sha, or a create over an existing file, is a Conflict: read again, never overwrite blindly.
    await expectKind(tracker.putFile({ path, branch: 'docs', content: 'v3', message: 'stale', sha: created.sha }), 'Conflict');
    await expectKind(tracker.putFile({ path, branch: 'docs', content: 'v3', message: 'blind' }), 'Conflict');
    expect(fake.file(REPO, 'docs', path)).toBe(long);

    await expectKind(tracker.putFile({ path: 'x.md', branch: 'no-such-branch', content: 'x', message: 'x' }), 'NotFound');
    await expectKind(tracker.getFile('x.md', 'no-such-branch'), 'NotFound');
    await expectKind(tracker.putFile({ path: '../escape.md', branch: 'docs', content: 'x', message: 'x' }), 'Invalid');
  });

  it('maps a bad or revoked token to Unauthorized, without the token in the message', async () => {
    const e = await expectKind(as('ghp_wrong_token_value').getIssue(1), 'Unauthorized');
    expect(e.status).toBe(401);
    expect(e.message).not.toContain('ghp_wrong_token_value');

    fake.addUser({ login: 'carol', token: 'tok-carol', permission: 'write' });
    const carol = as('tok-carol');
    const { number } = await carol.createIssue({ title: 'before revocation', body: '' });
    fake.revokeToken('tok-carol');
    await expectKind(carol.createComment(number, 'after revocation'), 'Unauthorized');
    await expectKind(carol.listComments(number), 'Unauthorized');
  });

  it('maps a write without permission to Forbidden', async () => {
    const { number } = await tracker.createIssue({ title: 'owner only', body: '' });
    await expectKind(as('tok-bob').editIssue(number, { state: 'closed' }), 'Forbidden');
    await expectKind(as('tok-bob').putFile({ path: 'a.md', branch: 'main', content: 'x', message: 'x' }), 'Forbidden');
    expect((await tracker.getIssue(number)).state).toBe('open');
  });

  it('maps a deleted issue to Gone (GitHub 410, Forgejo 404) for every issue operation', async () => {
    const { number } = await tracker.createIssue({ title: 'to be deleted', body: '' });
    const comment = await tracker.createComment(number, 'status');
    fake.deleteIssue(REPO, number);
    const e = await expectKind(tracker.getIssue(number), 'Gone');
    expect(e.status).toBe(c.provider === 'github' ? 410 : 404);
    await expectKind(tracker.editIssue(number, { state: 'closed' }), 'Gone');
    await expectKind(tracker.createComment(number, 'again'), 'Gone');
    await expectKind(tracker.listComments(number), 'Gone');
    await expectKind(tracker.editComment(comment.id, 'edited'), 'Gone');
    await expectKind(tracker.getIssue(999_999), 'Gone');
  });

  it('maps a primary rate limit to RateLimited with the wait until the reset, and works again after it', async () => {
    fake.setRateLimit({ kind: 'primary', count: 1, resetInSeconds: 1 });
    const before = fake.repo(REPO).issues.size;
    const e = await expectKind(tracker.createIssue({ title: 'rate limited', body: '' }), 'RateLimited');
    expect(e.status).toBe(c.provider === 'github' ? 403 : 429);
    expect(e.retryAfterMs).toBeGreaterThanOrEqual(1_000);
    expect(e.retryAfterMs).toBeLessThanOrEqual(2_000);
    expect(fake.repo(REPO).issues.size).toBe(before);

    await new Promise((r) => setTimeout(r, e.retryAfterMs));
    await tracker.createIssue({ title: 'rate limited', body: '' });
    expect(fake.repo(REPO).issues.size).toBe(before + 1);
  });

  it.each([403, 429] as const)('maps a secondary rate limit (%i + retry-after) to RateLimited', async (status) => {
    fake.setRateLimit({ kind: 'secondary', count: 2, retryAfterSeconds: 42, status });
    const e = await expectKind(tracker.listComments(1), 'RateLimited');
    expect(e.retryAfterMs).toBe(42_000);
    expect(e.status).toBe(c.provider === 'github' ? status : 429);
    await expectKind(tracker.permission('alice'), 'RateLimited');
    expect(await tracker.permission('alice')).toBe('write');
  });

  it('gives up on a forge that does not answer in timeoutMs (Unavailable, timed out)', async () => {
    fake.setFaults({ firstTokenDelayMs: 2_000 });
    try {
      const slow = createIssueTracker({ provider: c.provider, baseURL: c.baseURL(fake), repository: REPO, token: OWNER_TOKEN, timeoutMs: 200 });
      const from = fake.requests.length;
      const e = await expectKind(slow.getIssue(1), 'Unavailable');
      expect(e.message).toMatch(/timed out|timeout|aborted/i);
      // It gave up by itself: the forge had not begun to answer any of its requests (an order, not a time).
      const sent = fake.requests.slice(from);
      expect(sent.length).toBeGreaterThan(0);
      expect(sent.filter((r) => r.answeredAt), 'requests the forge had answered when the tracker gave up').toEqual([]);
    } finally {
      fake.setFaults({});
    }
  });

  it('maps an unreachable forge to Unavailable', async () => {
    const down = createIssueTracker({ provider: c.provider, baseURL: 'http://127.0.0.1:9', repository: REPO, token: OWNER_TOKEN });
    await expectKind(down.getIssue(1), 'Unavailable');
  });
});

describe('createIssueTracker', () => {
  it.each([
    [{ provider: 'github', repository: 'not-a-repo', token: 't' }, 'Invalid', /"owner\/name"/],
    [{ provider: 'forgejo', repository: 'a/b', token: 't' }, 'Invalid', /needs baseURL/],
    [{ provider: 'forgejo', baseURL: 'git.example.org', repository: 'a/b', token: 't' }, 'Invalid', /is not a URL/],
    [{ provider: 'gitlab', repository: 'a/b', token: 't' }, 'Invalid', /"github" or "forgejo"/],
    [{ provider: 'github', repository: 'a/b', token: '' }, 'Unauthorized', /no token/],
  ] as const)('refuses %j', (config, kind, message) => {
    let err: unknown;
    try {
      createIssueTracker(config as never);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(IssueTrackerError);
    expect((err as IssueTrackerError).kind).toBe(kind);
    expect((err as IssueTrackerError).message).toMatch(message);
  });
});
