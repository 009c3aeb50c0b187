// The fake GitHub's wire protocol, checked with plain fetch against GitHub's documented shapes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeGitHub, type FakeForge } from './github.js';

const auth = { authorization: 'token tok-owner', accept: 'application/vnd.github+json' };

describe('fake GitHub', () => {
  let gh: FakeForge;
  let api: string;
  beforeAll(async () => {
    gh = await startFakeGitHub({ repositories: ['agentlab/homelab'], users: [{ login: 'agentlab', token: 'tok-owner' }], pathPrefix: '/api/v3' });
    api = `${gh.url}/api/v3/repos/agentlab/homelab`;
  });
  afterAll(() => gh.close());

  const post = (path: string, body: unknown, method = 'POST'): Promise<Response> =>
    fetch(`${api}${path}`, { method, headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify(body) });

  it('answers issues and comments in GitHub\'s shapes, with x-ratelimit headers', async () => {
    const res = await post('/issues', { title: 'T', body: 'B', labels: ['agentlab'] });
    expect(res.status).toBe(201);
    expect(res.headers.get('x-ratelimit-limit')).toBe('5000');
    expect(Number(res.headers.get('x-ratelimit-remaining'))).toBeLessThan(5000);
    const issue = (await res.json()) as Record<string, any>;
    expect(issue).toMatchObject({
      number: 1, state: 'open', title: 'T', body: 'B', html_url: `${gh.url}/agentlab/homelab/issues/1`, url: `${api}/issues/1`,
      user: { login: 'agentlab', type: 'User' }, labels: [{ name: 'agentlab', color: 'ededed' }], comments: 0, closed_at: null, author_association: 'OWNER',
    });
    expect(issue.updated_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);

    const comment = (await (await post('/issues/1/comments', { body: 'hi' })).json()) as Record<string, any>;
    expect(comment).toMatchObject({ body: 'hi', user: { login: 'agentlab' }, html_url: `${gh.url}/agentlab/homelab/issues/1#issuecomment-${comment.id}`, issue_url: `${api}/issues/1` });
    const edited = await post(`/issues/comments/${comment.id}`, { body: 'edited' }, 'PATCH');
    expect(edited.status).toBe(200);
  });

  it('starts with seeded issues and numbers new ones after them', async () => {
    const seeded = await startFakeGitHub({ repositories: ['acme/portal'], users: [{ login: 'acme', token: 't' }], issues: [{ repository: 'acme/portal', number: 142, title: 'Login fails' }] });
    try {
      const base = `${seeded.url}/repos/acme/portal/issues`;
      expect(await (await fetch(`${base}/142`, { headers: { authorization: 'token t' } })).json()).toMatchObject({ number: 142, title: 'Login fails', user: { login: 'acme' } });
      const next = await fetch(base, { method: 'POST', headers: { authorization: 'token t' }, body: JSON.stringify({ title: 'next' }) });
      expect(((await next.json()) as { number: number }).number).toBe(143);
    } finally {
      await seeded.close();
    }
  });

  it('pages comments with per_page and a Link rel="next"', async () => {
    for (let i = 0; i < 3; i++) await post('/issues/1/comments', { body: `p${i}` });
    const res = await fetch(`${api}/issues/1/comments?per_page=2`, { headers: auth });
    expect(((await res.json()) as unknown[]).length).toBe(2);
    expect(res.headers.get('link')).toBe(`<${api}/issues/1/comments?per_page=2&page=2>; rel="next"`);
  });

  it('lists issues newest first by state and labels (all of them), paged with a Link rel="next"', async () => {
    for (const labels of [['list-a'], ['list-a', 'list-b'], ['list-b']]) await post('/issues', { title: `list ${labels.join('+')}`, body: '', labels });
    const res = await fetch(`${api}/issues?labels=list-a&state=all&per_page=1`, { headers: auth });
    const page = (await res.json()) as { title: string }[];
    expect(page.map((i) => i.title)).toEqual(['list list-a+list-b']);
    expect(res.headers.get('link')).toBe(`<${api}/issues?labels=list-a&state=all&per_page=1&page=2>; rel="next"`);
    const both = (await (await fetch(`${api}/issues?labels=list-a,list-b`, { headers: auth })).json()) as { title: string }[];
    expect(both.map((i) => i.title)).toEqual(['list list-a+list-b']);
    expect(await (await fetch(`${api}/issues?labels=no-such-label`, { headers: auth })).json()).toEqual([]);
    expect((await fetch(`${api}/issues?state=merged`, { headers: auth })).status).toBe(422);
  });

  it('answers 304 with no body to a matching If-None-Match', async () => {
    const first = await fetch(`${api}/issues/1`, { headers: auth });
    const etag = first.headers.get('etag')!;
    expect(etag).toMatch(/^W\/"[0-9a-f]+"$/);
    const again = await fetch(`${api}/issues/1`, { headers: { ...auth, 'if-none-match': etag } });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe('');
    expect(again.headers.get('etag')).toBe(etag);
  });

  it('answers 401 Bad credentials for a missing or unknown token', async () => {
    for (const headers of [{}, { authorization: 'token nope' }, { authorization: 'Bearer nope' }] as Record<string, string>[]) {
      const res = await fetch(`${api}/issues/1`, { headers });
      expect(res.status).toBe(401);
      expect(await res.json()).toEqual({ message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest', status: '401' });
    }
    expect((await fetch(`${api}/issues/1`, { headers: { authorization: 'Bearer tok-owner' } })).status).toBe(200);
  });

  it('answers 410 for a deleted issue and 404 for one that never existed', async () => {
    await post('/issues', { title: 'doomed' });
    gh.deleteIssue('agentlab/homelab', 2);
    const gone = await fetch(`${api}/issues/2`, { headers: auth });
    expect(gone.status).toBe(410);
    expect(((await gone.json()) as { message: string }).message).toBe('This issue was deleted');
    expect((await fetch(`${api}/issues/99`, { headers: auth })).status).toBe(404);
    expect((await fetch(`${gh.url}/api/v3/repos/agentlab/other/issues/1`, { headers: auth })).status).toBe(404);
  });

  it('answers rate limits as GitHub does: 403 with x-ratelimit-remaining 0 and a reset, or retry-after', async () => {
    gh.setRateLimit({ kind: 'primary', count: 1, resetInSeconds: 60 });
    const primary = await fetch(`${api}/issues/1`, { headers: auth });
    expect(primary.status).toBe(403);
    expect(primary.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(Number(primary.headers.get('x-ratelimit-reset'))).toBeGreaterThan(Date.now() / 1000 + 50);
    expect(((await primary.json()) as { message: string }).message).toMatch(/^API rate limit exceeded/);

    gh.setRateLimit({ kind: 'secondary', count: 1, retryAfterSeconds: 30, status: 429 });
    const secondary = await fetch(`${api}/issues/1`, { headers: auth });
    expect(secondary.status).toBe(429);
    expect(secondary.headers.get('retry-after')).toBe('30');
    expect((await fetch(`${api}/issues/1`, { headers: auth })).status).toBe(200);
  });

  it('keeps contents with git blob shas: PUT creates (201), updates with the sha (200), 409 on a stale sha', async () => {
    const content = Buffer.from('hello\n').toString('base64');
    const created = await post('/contents/docs/a.md', { message: 'add', content, branch: 'main' }, 'PUT');
    expect(created.status).toBe(201);
    const body = (await created.json()) as { content: { sha: string; path: string }; commit: { sha: string; html_url: string } };
    expect(body.content.sha).toBe('ce013625030ba8dba906f756967f9e9ca394464a'); // `git hash-object` of "hello\n"
    const read = (await (await fetch(`${api}/contents/docs/a.md?ref=main`, { headers: auth })).json()) as Record<string, string>;
    expect(read).toMatchObject({ type: 'file', encoding: 'base64', path: 'docs/a.md', sha: body.content.sha });
    expect(Buffer.from(read.content!, 'base64').toString()).toBe('hello\n');
    expect((await post('/contents/docs/a.md', { message: 'again', content }, 'PUT')).status).toBe(422);
    expect((await post('/contents/docs/a.md', { message: 'stale', content, sha: '0'.repeat(40) }, 'PUT')).status).toBe(409);
    expect((await post('/contents/docs/a.md', { message: 'update', content, sha: body.content.sha }, 'PUT')).status).toBe(200);
  });
});
