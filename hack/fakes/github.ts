// A fake GitHub REST API (https://docs.github.com/rest) for the issue workflow: issues, comments,
// labels, reactions, collaborator permission, contents, with GitHub's answer shapes, its 401/410
// and rate-limit answers (403/429, x-ratelimit-*, retry-after) and ETag/If-None-Match -> 304.
// Serves at the root like api.github.com, or under /api/v3 like GitHub Enterprise Server.
import {
  addComment, attachLabels, branchFiles, issuesMatching, commentsSince, commitFile, createIssue, decodeContent, editIssue, ensureLabel,
  ForgeHttpError, intParam, liveComment, liveIssue, mayEdit, newForgeState, paginate, react, requireString, requireWrite,
  startFakeForge, wireTime,
  type FakeForge, type FakeForgeOptions, type ForgeComment, type ForgeIssue, type ForgeLabel, type ForgeReaction, type ForgeRepo,
  type ForgeUser, type Route,
} from './forge.js';

export type { FakeForge, ForgeUserSpec, RateLimitFault } from './forge.js';

export interface FakeGitHubOptions extends FakeForgeOptions {
  /** "/api/v3" to look like GitHub Enterprise Server (default "": api.github.com). */
  pathPrefix?: string;
}

const DOCS = 'https://docs.github.com/rest';
const RATE_LIMIT = 5000;

export async function startFakeGitHub(opts: FakeGitHubOptions = {}): Promise<FakeForge> {
  const state = newForgeState(opts);
  const prefix = opts.pathPrefix ?? '';
  let api = '';
  let web = '';
  let used = 0;

  const userJson = (u: ForgeUser): Record<string, unknown> => ({
    login: u.login, id: u.id, node_id: `U_${u.id}`, avatar_url: `${web}/avatars/${u.login}`, url: `${api}/users/${u.login}`,
    html_url: `${web}/${u.login}`, type: u.bot ? 'Bot' : 'User', site_admin: false,
  });
  const repoApi = (r: ForgeRepo): string => `${api}/repos/${r.owner}/${r.name}`;
  const labelJson = (r: ForgeRepo, l: ForgeLabel): Record<string, unknown> => ({
    id: l.id, node_id: `LA_${l.id}`, url: `${repoApi(r)}/labels/${encodeURIComponent(l.name)}`, name: l.name, color: l.color, default: false, description: l.description || null,
  });
  const reactionSummary = (list: ForgeReaction[], url: string): Record<string, unknown> => {
    const count = (c: string): number => list.filter((x) => x.content === c).length;
    return { url, total_count: list.length, '+1': count('+1'), '-1': count('-1'), laugh: count('laugh'), hooray: count('hooray'), confused: count('confused'), heart: count('heart'), rocket: count('rocket'), eyes: count('eyes') };
  };
  const association = (r: ForgeRepo, u: ForgeUser): string =>
    u.login.toLowerCase() === r.owner.toLowerCase() ? 'OWNER' : state.permissions.has(u.login.toLowerCase()) ? 'COLLABORATOR' : 'NONE';
  const issueJson = (r: ForgeRepo, i: ForgeIssue): Record<string, unknown> => {
    const url = `${repoApi(r)}/issues/${i.number}`;
    return {
      id: i.id, node_id: `I_${i.id}`, url, repository_url: repoApi(r), labels_url: `${url}/labels{/name}`, comments_url: `${url}/comments`,
      events_url: `${url}/events`, html_url: `${web}/${r.owner}/${r.name}/issues/${i.number}`, number: i.number, state: i.state,
      state_reason: i.state === 'closed' ? 'completed' : null, title: i.title, body: i.body, user: userJson(i.user),
      labels: i.labels.map((l) => labelJson(r, l)), assignee: null, assignees: [], milestone: null, locked: false,
      comments: [...r.comments.values()].filter((c) => c.issueNumber === i.number).length,
      created_at: wireTime(i.createdAt), updated_at: wireTime(i.updatedAt), closed_at: i.closedAt ? wireTime(i.closedAt) : null,
      author_association: association(r, i.user), reactions: reactionSummary(i.reactions, `${url}/reactions`),
    };
  };
  const commentJson = (r: ForgeRepo, c: ForgeComment): Record<string, unknown> => {
    const url = `${repoApi(r)}/issues/comments/${c.id}`;
    return {
      id: c.id, node_id: `IC_${c.id}`, url, html_url: `${web}/${r.owner}/${r.name}/issues/${c.issueNumber}#issuecomment-${c.id}`,
      issue_url: `${repoApi(r)}/issues/${c.issueNumber}`, body: c.body, user: userJson(c.user),
      created_at: wireTime(c.createdAt), updated_at: wireTime(c.updatedAt), author_association: association(r, c.user),
      reactions: reactionSummary(c.reactions, `${url}/reactions`),
    };
  };
  const reactionJson = (x: ForgeReaction): Record<string, unknown> => ({ id: x.id, node_id: `REA_${x.id}`, user: userJson(x.user), content: x.content, created_at: wireTime(x.createdAt) });
  const contentJson = (r: ForgeRepo, branch: string, path: string, sha: string, size: number): Record<string, unknown> => ({
    name: path.split('/').pop(), path, sha, size, url: `${repoApi(r)}/contents/${path}?ref=${branch}`,
    html_url: `${web}/${r.owner}/${r.name}/blob/${branch}/${path}`, git_url: `${repoApi(r)}/git/blobs/${sha}`,
    download_url: `${web}/${r.owner}/${r.name}/raw/${branch}/${path}`, type: 'file',
  });

  const num = (s: string): number => {
    const n = Number(s);
    if (!Number.isInteger(n) || n < 1) throw new ForgeHttpError(404, 'Not Found');
    return n;
  };
  const R = '([^/]+)/([^/]+)';
  const routes: Route[] = [
    { method: 'GET', pattern: /^\/user$/, handle: ({ user }) => ({ status: 200, body: userJson(user) }) },
    {
      method: 'POST', pattern: new RegExp(`^/repos/${R}/issues$`), repo: true,
      handle: ({ repo, user, body, params }) => {
        const issue = createIssue(state, repo!, user, requireString(body, 'title'), typeof body.body === 'string' ? body.body : '');
        if (Array.isArray(body.labels) && atLeastWrite(repo!, user)) attachLabels(issue, body.labels.map((n) => ensureLabel(state, repo!, String(n))));
        return { status: 201, body: issueJson(repo!, issue), headers: { location: `${api}/repos/${params[0]}/${params[1]}/issues/${issue.number}` } };
      },
    },
    {
      // GET /repos/{owner}/{repo}/issues: state, labels (all of them), since, per_page/page with Link; newest first.
      method: 'GET', pattern: new RegExp(`^/repos/${R}/issues$`), repo: true,
      handle: ({ repo, query }) => {
        const page = intParam(query, 'page', 1, 1e6);
        const { slice, hasNext } = paginate(issuesMatching(repo!, query), page, intParam(query, 'per_page', 30, 100));
        const headers: Record<string, string> = {};
        if (hasNext) {
          const next = new URLSearchParams(query);
          next.set('page', String(page + 1));
          headers.link = `<${repoApi(repo!)}/issues?${next}>; rel="next"`;
        }
        return { status: 200, body: slice.map((i) => issueJson(repo!, i)), headers };
      },
    },
    { method: 'GET', pattern: new RegExp(`^/repos/${R}/issues/(\\d+)$`), repo: true, handle: ({ repo, params }) => ({ status: 200, body: issueJson(repo!, liveIssue(repo!, num(params[2]!), 410)) }) },
    {
      method: 'PATCH', pattern: new RegExp(`^/repos/${R}/issues/(\\d+)$`), repo: true,
      handle: ({ repo, params, body, user }) => {
        const issue = liveIssue(repo!, num(params[2]!), 410);
        if (!mayEdit(state, repo!, user, issue.user)) throw new ForgeHttpError(403, 'Resource not accessible by personal access token');
        editIssue(issue, body);
        return { status: 200, body: issueJson(repo!, issue) };
      },
    },
    {
      method: 'GET', pattern: new RegExp(`^/repos/${R}/issues/(\\d+)/comments$`), repo: true,
      handle: ({ repo, params, query }) => {
        const n = num(params[2]!);
        liveIssue(repo!, n, 410);
        const page = intParam(query, 'page', 1, 1e6);
        const perPage = intParam(query, 'per_page', 30, 100);
        const { slice, hasNext } = paginate(commentsSince(repo!, n, query.get('since')), page, perPage);
        const headers: Record<string, string> = {};
        if (hasNext) {
          const next = new URLSearchParams(query);
          next.set('page', String(page + 1));
          headers.link = `<${repoApi(repo!)}/issues/${n}/comments?${next}>; rel="next"`;
        }
        return { status: 200, body: slice.map((c) => commentJson(repo!, c)), headers };
      },
    },
    {
      method: 'POST', pattern: new RegExp(`^/repos/${R}/issues/(\\d+)/comments$`), repo: true,
      handle: ({ repo, params, body, user }) => {
        const issue = liveIssue(repo!, num(params[2]!), 410);
        const c = addComment(state, repo!, issue, user, requireString(body, 'body'));
        return { status: 201, body: commentJson(repo!, c), headers: { location: `${repoApi(repo!)}/issues/comments/${c.id}` } };
      },
    },
    { method: 'GET', pattern: new RegExp(`^/repos/${R}/issues/comments/(\\d+)$`), repo: true, handle: ({ repo, params }) => ({ status: 200, body: commentJson(repo!, liveComment(repo!, num(params[2]!))) }) },
    {
      method: 'PATCH', pattern: new RegExp(`^/repos/${R}/issues/comments/(\\d+)$`), repo: true,
      handle: ({ repo, params, body, user }) => {
        const c = liveComment(repo!, num(params[2]!));
        if (!mayEdit(state, repo!, user, c.user)) throw new ForgeHttpError(403, 'Resource not accessible by personal access token');
        c.body = requireString(body, 'body');
        c.updatedAt = new Date();
        return { status: 200, body: commentJson(repo!, c) };
      },
    },
    {
      method: 'POST', pattern: new RegExp(`^/repos/${R}/issues/(\\d+)/labels$`), repo: true,
      handle: ({ repo, params, body, user }) => {
        const issue = liveIssue(repo!, num(params[2]!), 410);
        requireWrite(state, repo!, user, 'Resource not accessible by personal access token');
        const names = Array.isArray(body.labels) ? body.labels : undefined;
        if (!names || !names.every((n) => typeof n === 'string' && n !== '')) throw new ForgeHttpError(422, 'Invalid request: "labels" must be an array of names');
        attachLabels(issue, (names as string[]).map((n) => ensureLabel(state, repo!, n)));
        return { status: 200, body: issue.labels.map((l) => labelJson(repo!, l)) };
      },
    },
    {
      method: 'POST', pattern: new RegExp(`^/repos/${R}/issues/(\\d+)/reactions$`), repo: true,
      handle: ({ repo, params, body, user }) => {
        const { reaction, created } = react(state, liveIssue(repo!, num(params[2]!), 410).reactions, user, body.content);
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
      handle: ({ repo, params }) => {
        const target = state.users.get(params[2]!.toLowerCase());
        if (!target) throw new ForgeHttpError(404, `${params[2]} is not a user`);
        const permission = state.permissionOf(repo!, target.login);
        return { status: 200, body: { permission, role_name: permission === 'none' ? 'none' : permission, user: { ...userJson(target), permissions: { admin: permission === 'admin', maintain: permission === 'admin', push: permission === 'admin' || permission === 'write', triage: permission !== 'none', pull: permission !== 'none' } } } };
      },
    },
    {
      method: 'GET', pattern: new RegExp(`^/repos/${R}/contents/(.+)$`), repo: true,
      handle: ({ repo, params, query }) => {
        const branch = query.get('ref') ?? repo!.defaultBranch;
        const f = branchFiles(repo!, branch).get(params[2]!);
        if (!f) throw new ForgeHttpError(404, 'Not Found');
        const b64 = f.content.toString('base64').replace(/(.{60})/g, '$1\n');
        return { status: 200, body: { ...contentJson(repo!, branch, params[2]!, f.sha, f.content.length), content: b64, encoding: 'base64' } };
      },
    },
    {
      method: 'PUT', pattern: new RegExp(`^/repos/${R}/contents/(.+)$`), repo: true,
      handle: ({ repo, params, body, user }) => {
        requireWrite(state, repo!, user, 'Resource not accessible by personal access token');
        const path = params[2]!;
        const message = requireString(body, 'message');
        const content = decodeContent(body);
        const branch = typeof body.branch === 'string' ? body.branch : repo!.defaultBranch;
        const existing = branchFiles(repo!, branch).get(path);
        if (existing && typeof body.sha !== 'string') throw new ForgeHttpError(422, 'Invalid request.\n\n"sha" wasn\'t supplied.');
        if (existing && body.sha !== existing.sha) throw new ForgeHttpError(409, `${path} does not match ${String(body.sha)}`);
        const { file, commit } = commitFile(state, repo!, branch, path, content, message, user);
        return {
          status: existing ? 200 : 201,
          body: {
            content: contentJson(repo!, branch, path, file.sha, content.length),
            commit: { sha: commit.sha, node_id: `C_${commit.sha}`, url: `${repoApi(repo!)}/git/commits/${commit.sha}`, html_url: `${web}/${repo!.owner}/${repo!.name}/commit/${commit.sha}`, message, author: { name: user.login, date: wireTime(commit.at) }, committer: { name: user.login, date: wireTime(commit.at) } },
          },
        };
      },
    },
  ];
  const atLeastWrite = (repo: ForgeRepo, user: ForgeUser): boolean => ['write', 'admin'].includes(state.permissionOf(repo, user.login));

  const forge = await startFakeForge(opts, state, {
    prefix,
    routes,
    unauthorizedMessage: 'Bad credentials',
    errorBody: (status, message) => ({ message, documentation_url: DOCS, status: String(status) }),
    commonHeaders: () => {
      used += 1;
      return {
        'x-ratelimit-limit': String(RATE_LIMIT), 'x-ratelimit-remaining': String(Math.max(0, RATE_LIMIT - used)),
        'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + 3600), 'x-ratelimit-used': String(used), 'x-ratelimit-resource': 'core',
      };
    },
    rateLimited: (fault, now): { status: number; message: string; headers: Record<string, string> } =>
      fault.kind === 'primary'
        ? {
            status: 403,
            message: 'API rate limit exceeded for user. (But here\'s the good news: Authenticated requests get a higher rate limit.)',
            headers: { 'x-ratelimit-limit': String(RATE_LIMIT), 'x-ratelimit-remaining': '0', 'x-ratelimit-used': String(RATE_LIMIT), 'x-ratelimit-reset': String(Math.floor(now / 1000) + fault.resetInSeconds), 'x-ratelimit-resource': 'core' },
          }
        : { status: fault.status ?? 403, message: 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.', headers: { 'retry-after': String(fault.retryAfterSeconds) } },
  }, (url) => url);
  api = `${forge.url}${prefix}`;
  web = forge.webUrl;
  return forge;
}
