// A fake Forgejo (and Gitea) REST API under /api/v1 (Forgejo's swagger: /api/swagger) for the
// issue workflow: issues, comments, repository and issue labels, reactions, collaborator
// permission, contents (POST creates, PUT updates with the sha), with Forgejo's answer shapes
// ({message, url} errors, 404 for a deleted issue), 401 for a bad token, 429 + retry-after from a
// rate-limiting proxy, and ETag/If-None-Match -> 304.
import {
  addComment, atLeast, intParam, issuesMatching, paginate, attachLabels, branchFiles, commentsSince, commitFile, createIssue, decodeContent, editIssue,
  ensureLabel, ForgeHttpError, liveComment, liveIssue, mayEdit, newForgeState, react, requireString, requireWrite,
  startFakeForge, wireTime,
  type FakeForge, type FakeForgeOptions, type ForgeComment, type ForgeIssue, type ForgeLabel, type ForgeReaction, type ForgeRepo,
  type ForgeUser, type Route,
} from './forge.js';

export type { FakeForge, ForgeUserSpec, RateLimitFault } from './forge.js';

export type FakeForgejoOptions = FakeForgeOptions;

export async function startFakeForgejo(opts: FakeForgejoOptions = {}): Promise<FakeForge> {
  const state = newForgeState(opts);
  let api = '';
  let web = '';

  const userJson = (u: ForgeUser): Record<string, unknown> => ({
    id: u.id, login: u.login, login_name: '', source_id: 0, full_name: '', email: `${u.login}@noreply.localhost`,
    avatar_url: `${web}/avatars/${u.id}`, html_url: `${web}/${u.login}`, language: '', is_admin: false, restricted: false,
    active: true, prohibit_login: false, visibility: 'public', created: '2024-01-01T00:00:00Z',
  });
  const repoApi = (r: ForgeRepo): string => `${api}/repos/${r.owner}/${r.name}`;
  const labelJson = (r: ForgeRepo, l: ForgeLabel): Record<string, unknown> => ({
    id: l.id, name: l.name, exclusive: false, is_archived: false, color: l.color, description: l.description, url: `${repoApi(r)}/labels/${l.id}`,
  });
  const issueJson = (r: ForgeRepo, i: ForgeIssue): Record<string, unknown> => ({
    id: i.id, url: `${repoApi(r)}/issues/${i.number}`, html_url: `${web}/${r.owner}/${r.name}/issues/${i.number}`, number: i.number,
    user: userJson(i.user), original_author: '', original_author_id: 0, title: i.title, body: i.body, ref: '', assets: [],
    labels: i.labels.map((l) => labelJson(r, l)), milestone: null, assignee: null, assignees: null, state: i.state, is_locked: false,
    comments: [...r.comments.values()].filter((c) => c.issueNumber === i.number).length,
    created_at: wireTime(i.createdAt), updated_at: wireTime(i.updatedAt), closed_at: i.closedAt ? wireTime(i.closedAt) : null,
    due_date: null, pull_request: null, repository: { id: r.id, name: r.name, owner: r.owner, full_name: `${r.owner}/${r.name}` }, pin_order: 0,
  });
  const commentJson = (r: ForgeRepo, c: ForgeComment): Record<string, unknown> => ({
    id: c.id, html_url: `${web}/${r.owner}/${r.name}/issues/${c.issueNumber}#issuecomment-${c.id}`, pull_request_url: '',
    issue_url: `${web}/${r.owner}/${r.name}/issues/${c.issueNumber}`, user: userJson(c.user), original_author: '', original_author_id: 0,
    body: c.body, assets: [], created_at: wireTime(c.createdAt), updated_at: wireTime(c.updatedAt),
  });
  const reactionJson = (x: ForgeReaction): Record<string, unknown> => ({ user: userJson(x.user), content: x.content, created_at: wireTime(x.createdAt) });
  const contentsJson = (r: ForgeRepo, branch: string, path: string, sha: string, size: number, lastCommit: string): Record<string, unknown> => ({
    name: path.split('/').pop(), path, sha, last_commit_sha: lastCommit, type: 'file', size, encoding: null, content: null, target: null,
    url: `${repoApi(r)}/contents/${path}?ref=${branch}`, html_url: `${web}/${r.owner}/${r.name}/src/branch/${branch}/${path}`,
    git_url: `${repoApi(r)}/git/blobs/${sha}`, download_url: `${web}/${r.owner}/${r.name}/raw/branch/${branch}/${path}`, submodule_git_url: null,
    _links: { self: `${repoApi(r)}/contents/${path}?ref=${branch}`, git: `${repoApi(r)}/git/blobs/${sha}`, html: `${web}/${r.owner}/${r.name}/src/branch/${branch}/${path}` },
  });
  const fileResponse = (r: ForgeRepo, branch: string, path: string, user: ForgeUser, message: string, content: Buffer): Record<string, unknown> => {
    const { file, commit } = commitFile(state, r, branch, path, content, message, user);
    const who = { name: user.login, email: `${user.login}@noreply.localhost`, date: wireTime(commit.at) };
    return {
      content: contentsJson(r, branch, path, file.sha, content.length, commit.sha),
      commit: { url: `${repoApi(r)}/git/commits/${commit.sha}`, sha: commit.sha, created: wireTime(commit.at), html_url: `${web}/${r.owner}/${r.name}/commit/${commit.sha}`, author: who, committer: who, parents: [], message, tree: null },
      verification: { verified: false, reason: 'gpg.error.not_signed_commit', signature: '', signer: null, payload: '' },
    };
  };

  const num = (s: string): number => {
    const n = Number(s);
    if (!Number.isInteger(n) || n < 1) throw new ForgeHttpError(404, 'Not Found');
    return n;
  };
  /** Forgejo's default [api] MAX_RESPONSE_ITEMS. */
  const MAX_PAGE = 50;
  const FORBIDDEN = 'user should have specific permission or be a site admin';
  const R = '([^/]+)/([^/]+)';
  const routes: Route[] = [
    { method: 'GET', pattern: /^\/user$/, handle: ({ user }) => ({ status: 200, body: userJson(user) }) },
    {
      method: 'POST', pattern: new RegExp(`^/repos/${R}/issues$`), repo: true,
      handle: ({ repo, user, body }) => {
        const issue = createIssue(state, repo!, user, requireString(body, 'title'), typeof body.body === 'string' ? body.body : '');
        if (Array.isArray(body.labels) && atLeast(state.permissionOf(repo!, user.login), 'write')) {
          attachLabels(issue, body.labels.map((id) => labelById(repo!, id)));
        }
        return { status: 201, body: issueJson(repo!, issue) };
      },
    },
    {
      // GET /repos/{owner}/{repo}/issues: state, labels, since, type (issues|pulls; the fake has no pull requests), page/limit.
      method: 'GET', pattern: new RegExp(`^/repos/${R}/issues$`), repo: true,
      handle: ({ repo, query }) => {
        const type = query.get('type');
        if (type !== null && type !== 'issues' && type !== 'pulls') throw new ForgeHttpError(422, `Invalid request: type ${JSON.stringify(type)} is not issues or pulls`);
        // Forgejo discards label names the repository does not have (GitHub matches none then).
        const q = new URLSearchParams(query);
        const known = (query.get('labels') ?? '').split(',').map((l) => l.trim()).filter((l) => repo!.labels.some((x) => x.name.toLowerCase() === l.toLowerCase()));
        q.set('labels', known.join(','));
        const all = type === 'pulls' ? [] : issuesMatching(repo!, q);
        const { slice } = paginate(all, intParam(query, 'page', 1, 1e6), intParam(query, 'limit', MAX_PAGE, MAX_PAGE));
        return { status: 200, body: slice.map((i) => issueJson(repo!, i)), headers: { 'x-total-count': String(all.length) } };
      },
    },
    { method: 'GET', pattern: new RegExp(`^/repos/${R}/issues/(\\d+)$`), repo: true, handle: ({ repo, params }) => ({ status: 200, body: issueJson(repo!, liveIssue(repo!, num(params[2]!), 404)) }) },
    {
      method: 'PATCH', pattern: new RegExp(`^/repos/${R}/issues/(\\d+)$`), repo: true,
      handle: ({ repo, params, body, user }) => {
        const issue = liveIssue(repo!, num(params[2]!), 404);
        if (!mayEdit(state, repo!, user, issue.user)) throw new ForgeHttpError(403, FORBIDDEN);
        editIssue(issue, body);
        return { status: 201, body: issueJson(repo!, issue) };
      },
    },
    {
      method: 'GET', pattern: new RegExp(`^/repos/${R}/issues/(\\d+)/comments$`), repo: true,
      handle: ({ repo, params, query }) => {
        const n = num(params[2]!);
        liveIssue(repo!, n, 404);
        return { status: 200, body: commentsSince(repo!, n, query.get('since')).map((c) => commentJson(repo!, c)) };
      },
    },
    {
      method: 'POST', pattern: new RegExp(`^/repos/${R}/issues/(\\d+)/comments$`), repo: true,
      handle: ({ repo, params, body, user }) => {
        const issue = liveIssue(repo!, num(params[2]!), 404);
        return { status: 201, body: commentJson(repo!, addComment(state, repo!, issue, user, requireString(body, 'body'))) };
      },
    },
    { method: 'GET', pattern: new RegExp(`^/repos/${R}/issues/comments/(\\d+)$`), repo: true, handle: ({ repo, params }) => ({ status: 200, body: commentJson(repo!, liveComment(repo!, num(params[2]!))) }) },
    {
      method: 'PATCH', pattern: new RegExp(`^/repos/${R}/issues/comments/(\\d+)$`), repo: true,
      handle: ({ repo, params, body, user }) => {
        const c = liveComment(repo!, num(params[2]!));
        if (!mayEdit(state, repo!, user, c.user)) throw new ForgeHttpError(403, FORBIDDEN);
        c.body = requireString(body, 'body');
        c.updatedAt = new Date();
        return { status: 200, body: commentJson(repo!, c) };
      },
    },
    {
      method: 'GET', pattern: new RegExp(`^/repos/${R}/labels$`), repo: true,
      handle: ({ repo, query }) => {
        const page = intParam(query, 'page', 1, 1e6);
        const { slice } = paginate(repo!.labels, page, intParam(query, 'limit', MAX_PAGE, MAX_PAGE));
        return { status: 200, body: slice.map((l) => labelJson(repo!, l)), headers: { 'x-total-count': String(repo!.labels.length) } };
      },
    },
    {
      method: 'POST', pattern: new RegExp(`^/repos/${R}/labels$`), repo: true,
      handle: ({ repo, body, user }) => {
        requireWrite(state, repo!, user, FORBIDDEN);
        const name = requireString(body, 'name');
        const color = requireString(body, 'color');
        if (!/^#?[0-9a-fA-F]{6}$/.test(color)) throw new ForgeHttpError(422, `Color: invalid color ${JSON.stringify(color)}`);
        if (repo!.labels.some((l) => l.name.toLowerCase() === name.toLowerCase())) throw new ForgeHttpError(422, `label ${name} already exists`);
        return { status: 201, body: labelJson(repo!, ensureLabel(state, repo!, name, color, typeof body.description === 'string' ? body.description : '')) };
      },
    },
    {
      method: 'POST', pattern: new RegExp(`^/repos/${R}/issues/(\\d+)/labels$`), repo: true,
      handle: ({ repo, params, body, user }) => {
        const issue = liveIssue(repo!, num(params[2]!), 404);
        requireWrite(state, repo!, user, FORBIDDEN);
        if (!Array.isArray(body.labels)) throw new ForgeHttpError(422, '[Labels]: Required');
        attachLabels(issue, body.labels.map((x) => labelById(repo!, x)));
        return { status: 200, body: issue.labels.map((l) => labelJson(repo!, l)) };
      },
    },
    {
      method: 'POST', pattern: new RegExp(`^/repos/${R}/issues/(\\d+)/reactions$`), repo: true,
      handle: ({ repo, params, body, user }) => {
        const { reaction, created } = react(state, liveIssue(repo!, num(params[2]!), 404).reactions, user, body.content);
        return { status: created ? 201 : 200, body: reactionJson(reaction) };
      },
    },
    {
      method: 'POST', pattern: new RegExp(`^/repos/${R}/issues/comments/(\\d+)/reactions$`), repo: true,
      handle: ({ repo, params, body, user }) => {
        const { reaction, created } = react(state, liveComment(repo!, num(params[2]!)).reactions, user, body.content);
        return { status: created ? 201 : 200, body: reactionJson(reaction) };
      },
    },
    {
      method: 'GET', pattern: new RegExp(`^/repos/${R}/collaborators/([^/]+)/permission$`), repo: true,
      handle: ({ repo, params, user }) => {
        const target = state.users.get(params[2]!.toLowerCase());
        if (!target) throw new ForgeHttpError(404, `user does not exist [name: ${params[2]}]`);
        // Forgejo lets only repository admins (and the user about themselves) read permissions.
        if (target.id !== user.id && !atLeast(state.permissionOf(repo!, user.login), 'admin')) {
          throw new ForgeHttpError(403, 'Only admins can query all permissions, repo admins can query all repo permissions, collaborators can query only their own');
        }
        const p = state.permissionOf(repo!, target.login);
        const permission = p === 'admin' && target.login.toLowerCase() === repo!.owner.toLowerCase() ? 'owner' : p;
        return { status: 200, body: { permission, role_name: permission, user: userJson(target) } };
      },
    },
    {
      method: 'GET', pattern: new RegExp(`^/repos/${R}/contents/(.+)$`), repo: true,
      handle: ({ repo, params, query }) => {
        const branch = query.get('ref') ?? repo!.defaultBranch;
        const f = branchFiles(repo!, branch).get(params[2]!);
        if (!f) throw new ForgeHttpError(404, `object does not exist [id: , rel_path: ${params[2]}]`);
        return { status: 200, body: { ...contentsJson(repo!, branch, params[2]!, f.sha, f.content.length, f.lastCommitSha), encoding: 'base64', content: f.content.toString('base64') } };
      },
    },
    {
      method: 'POST', pattern: new RegExp(`^/repos/${R}/contents/(.+)$`), repo: true,
      handle: ({ repo, params, body, user }) => {
        requireWrite(state, repo!, user, FORBIDDEN);
        const path = params[2]!;
        const content = decodeContent(body);
        const branch = typeof body.branch === 'string' && body.branch ? body.branch : repo!.defaultBranch;
        if (branchFiles(repo!, branch).has(path)) throw new ForgeHttpError(422, `repository file already exists [path: ${path}]`);
        return { status: 201, body: fileResponse(repo!, branch, path, user, typeof body.message === 'string' && body.message ? body.message : `Add ${path}`, content) };
      },
    },
    {
      method: 'PUT', pattern: new RegExp(`^/repos/${R}/contents/(.+)$`), repo: true,
      handle: ({ repo, params, body, user }) => {
        requireWrite(state, repo!, user, FORBIDDEN);
        const path = params[2]!;
        const content = decodeContent(body);
        const sha = requireString(body, 'sha');
        const branch = typeof body.branch === 'string' && body.branch ? body.branch : repo!.defaultBranch;
        const existing = branchFiles(repo!, branch).get(path);
        if (!existing) throw new ForgeHttpError(404, `repository file does not exist [path: ${path}]`);
        if (existing.sha !== sha) throw new ForgeHttpError(422, `sha does not match [given: ${sha}, expected: ${existing.sha}]`);
        return { status: 200, body: fileResponse(repo!, branch, path, user, typeof body.message === 'string' && body.message ? body.message : `Update ${path}`, content) };
      },
    },
  ];
  const labelById = (repo: ForgeRepo, x: unknown): ForgeLabel => {
    const l = repo.labels.find((l) => l.id === x || (typeof x === 'string' && l.name === x));
    if (!l) throw new ForgeHttpError(422, `label does not exist [label_id: ${String(x)}]`);
    return l;
  };

  const forge = await startFakeForge(opts, state, {
    prefix: '/api/v1',
    routes,
    unauthorizedMessage: 'user does not exist [uid: 0, name: ]',
    errorBody: (_status, message) => ({ message, url: `${web}/api/swagger` }),
    // Forgejo has no x-ratelimit headers; a rate-limiting proxy in front of it answers 429 + retry-after.
    rateLimited: (fault) => ({ status: 429, message: 'rate limit exceeded', headers: { 'retry-after': String(fault.kind === 'primary' ? fault.resetInSeconds : fault.retryAfterSeconds) } }),
  }, (url) => url);
  api = `${forge.url}/api/v1`;
  web = forge.webUrl;
  return forge;
}
