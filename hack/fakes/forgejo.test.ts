// The fake Forgejo's wire protocol (/api/v1), checked with plain fetch against Forgejo's swagger shapes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeForgejo, type FakeForge } from './forgejo.js';

const auth = { authorization: 'token tok-owner' };

describe('fake Forgejo', () => {
  let fj: FakeForge;
  let api: string;
  beforeAll(async () => {
    fj = await startFakeForgejo({ repositories: ['agentlab/homelab'], users: [{ login: 'agentlab', token: 'tok-owner' }, { login: 'bob', token: 'tok-bob', permission: 'read' }] });
    api = `${fj.url}/api/v1/repos/agentlab/homelab`;
  });
  afterAll(() => fj.close());

  const send = (path: string, body: unknown, method = 'POST', headers: Record<string, string> = auth): Promise<Response> =>
    fetch(`${api}${path}`, { method, headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(body) });

  it('answers issues and comments in Forgejo\'s shapes (PATCH issue answers 201)', async () => {
    const res = await send('/issues', { title: 'T', body: 'B' });
    expect(res.status).toBe(201);
    const issue = (await res.json()) as Record<string, any>;
    expect(issue).toMatchObject({ number: 1, state: 'open', title: 'T', body: 'B', html_url: `${fj.url}/agentlab/homelab/issues/1`, user: { login: 'agentlab' }, labels: [], repository: { full_name: 'agentlab/homelab' } });
    expect(issue.updated_at).toMatch(/Z$/);
    const patched = await send('/issues/1', { state: 'closed' }, 'PATCH');
    expect(patched.status).toBe(201);
    expect(((await patched.json()) as { state: string; closed_at: string }).closed_at).toBeTruthy();
    const comment = (await (await send('/issues/1/comments', { body: 'hi' })).json()) as Record<string, any>;
    expect(comment).toMatchObject({ body: 'hi', user: { login: 'agentlab' }, html_url: `${fj.url}/agentlab/homelab/issues/1#issuecomment-${comment.id}` });
  });

  it('adds labels to an issue by repository label id', async () => {
    const label = (await (await send('/labels', { name: 'agentlab', color: '#00aabb' })).json()) as { id: number; color: string };
    expect(label.color).toBe('00aabb');
    expect((await send('/labels', { name: 'agentlab', color: '#00aabb' })).status).toBe(422);
    const res = await send('/issues/1/labels', { labels: [label.id] });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { name: string }[]).map((l) => l.name)).toEqual(['agentlab']);
    expect((await send('/issues/1/labels', { labels: [424242] })).status).toBe(422);
  });

  it('answers 304 to a matching If-None-Match on the comment list', async () => {
    const first = await fetch(`${api}/issues/1/comments`, { headers: auth });
    const etag = first.headers.get('etag')!;
    const again = await fetch(`${api}/issues/1/comments`, { headers: { ...auth, 'if-none-match': etag } });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe('');
  });

  it('answers 401 for a bad token and 404 {message, url} for a deleted issue', async () => {
    const bad = await fetch(`${api}/issues/1`, { headers: { authorization: 'token nope' } });
    expect(bad.status).toBe(401);
    expect(await bad.json()).toEqual({ message: expect.any(String), url: `${fj.url}/api/swagger` });
    fj.deleteIssue('agentlab/homelab', 1);
    const gone = await fetch(`${api}/issues/1`, { headers: auth });
    expect(gone.status).toBe(404);
    expect(await gone.json()).toEqual({ message: expect.stringContaining('issue does not exist'), url: `${fj.url}/api/swagger` });
  });

  it('answers 429 with retry-after when rate limited', async () => {
    fj.setRateLimit({ kind: 'secondary', count: 1, retryAfterSeconds: 5 });
    const res = await fetch(`${fj.url}/api/v1/user`, { headers: auth });
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('5');
    expect(((await (await fetch(`${fj.url}/api/v1/user`, { headers: auth })).json()) as { login: string }).login).toBe('agentlab');
  });

  it('lets only repository admins read other users\' permissions (owner -> "owner")', async () => {
    expect(await (await fetch(`${api}/collaborators/agentlab/permission`, { headers: auth })).json()).toMatchObject({ permission: 'owner' });
    expect(await (await fetch(`${api}/collaborators/bob/permission`, { headers: auth })).json()).toMatchObject({ permission: 'read', user: { login: 'bob' } });
    expect((await fetch(`${api}/collaborators/agentlab/permission`, { headers: { authorization: 'token tok-bob' } })).status).toBe(403);
    expect((await fetch(`${api}/collaborators/bob/permission`, { headers: { authorization: 'token tok-bob' } })).status).toBe(200);
  });

  it('creates files with POST and updates them with PUT and the sha (422 on a mismatch)', async () => {
    const content = Buffer.from('hello\n').toString('base64');
    const created = await send('/contents/docs/a.md', { message: 'add', content, branch: 'main' });
    expect(created.status).toBe(201);
    const body = (await created.json()) as { content: { sha: string }; commit: { sha: string; html_url: string } };
    expect(body.content.sha).toBe('ce013625030ba8dba906f756967f9e9ca394464a');
    expect(body.commit.html_url).toBe(`${fj.url}/agentlab/homelab/commit/${body.commit.sha}`);
    expect((await send('/contents/docs/a.md', { message: 'again', content })).status).toBe(422);
    expect((await send('/contents/docs/a.md', { message: 'stale', content, sha: '0'.repeat(40) }, 'PUT')).status).toBe(422);
    expect((await send('/contents/docs/a.md', { message: 'update', content: Buffer.from('v2').toString('base64'), sha: body.content.sha }, 'PUT')).status).toBe(200);
    expect(fj.file('agentlab/homelab', 'main', 'docs/a.md')).toBe('v2');
    expect((await send('/contents/docs/b.md', { message: 'x', content, branch: 'nope' })).status).toBe(404);
  });

  it('lists issues (type=issues) by state and labels, discarding label names the repository lacks, with x-total-count', async () => {
    const label = (await (await send('/labels', { name: 'list-a', color: '#00aabb' })).json()) as { id: number };
    await send('/issues', { title: 'listed', body: '', labels: [label.id] });
    await send('/issues', { title: 'unlabelled', body: '' });
    const res = await fetch(`${api}/issues?type=issues&state=all&labels=list-a&limit=1`, { headers: auth });
    expect(((await res.json()) as { title: string }[]).map((i) => i.title)).toEqual(['listed']);
    expect(res.headers.get('x-total-count')).toBe('1');
    // An unknown label is dropped from the filter (Forgejo), so the answer is not narrowed by it.
    const unknown = (await (await fetch(`${api}/issues?state=all&labels=no-such-label`, { headers: auth })).json()) as { title: string }[];
    expect(unknown.map((i) => i.title)).toEqual(expect.arrayContaining(['listed', 'unlabelled']));
    expect(await (await fetch(`${api}/issues?type=pulls&state=all`, { headers: auth })).json()).toEqual([]);
  });
});
