// The Forgejo/Gitea provider of IssueTracker: a small typed client of /api/v1 over fetch (see
// docs/adr/0006-issue-tracker-clients.md for why not a generated client).
import { classifyHttpFailure, IssueTrackerError, networkFailure, type FailureSubject } from './errors.js';
import { encodePath, parseBaseURL, parseRepository } from './repository.js';
import type {
  Conditional, FileCommit, Issue, IssueComment, IssueTracker, IssueTrackerConfig, ListCommentsOptions, ListIssuesOptions, PutFileInput, Reaction,
  ReactionTarget, RepoFile, RepoPermission,
} from './types.js';

interface ForgejoUser { login: string }
interface ForgejoLabel { id: number; name: string }
interface ForgejoIssue { number: number; html_url: string; title: string; body?: string; state: string; user: ForgejoUser | null; labels: ForgejoLabel[] | null; created_at: string; updated_at: string }
interface ForgejoComment { id: number; html_url: string; body?: string; user: ForgejoUser | null; created_at: string; updated_at: string }
interface ForgejoContents { path: string; sha: string; type: string; encoding?: string | null; content?: string | null }
interface ForgejoFileResponse { content: { path: string; sha: string } | null; commit: { sha: string; html_url: string } }

/** The color of labels we create (Forgejo requires one; GitHub's default grey). */
const LABEL_COLOR = '#ededed';
/** Forgejo's default maximum page size (MAX_RESPONSE_ITEMS), for labels and issues. */
const LABEL_PAGE = 50;

export const issueFromForgejo = (i: ForgejoIssue): Issue => ({
  number: i.number, url: i.html_url, title: i.title, body: i.body ?? '', state: i.state === 'closed' ? 'closed' : 'open',
  author: i.user?.login ?? '', labels: (i.labels ?? []).map((l) => l.name), createdAt: i.created_at, updatedAt: i.updated_at,
});

export const commentFromForgejo = (c: ForgejoComment): IssueComment => ({
  id: c.id, url: c.html_url, body: c.body ?? '', author: c.user?.login ?? '', authorIsBot: false, createdAt: c.created_at, updatedAt: c.updated_at,
});

/** Forgejo answers owner|admin|write|read|none. */
export function permissionFromForgejo(p: string | undefined): RepoPermission {
  return p === 'owner' || p === 'admin' ? 'admin' : p === 'write' || p === 'read' ? p : 'none';
}

interface Answer<T> { status: number; headers: Headers; data: T }

export function createForgejoTracker(config: IssueTrackerConfig): IssueTracker {
  if (!config.baseURL) throw new IssueTrackerError('Invalid', 'a Forgejo tracker needs baseURL (the forge root, e.g. https://git.example.org)');
  const repository = parseRepository(config.repository);
  const api = `${parseBaseURL(config.baseURL).replace(/\/api\/v1$/, '')}/api/v1`;
  const repoPath = `/repos/${encodeURIComponent(repository.owner)}/${encodeURIComponent(repository.repo)}`;
  const timeoutMs = config.timeoutMs ?? 30_000;

  /** One request; answers below 300 (and 304 when `allow304`) return, the rest throw IssueTrackerError. */
  async function send<T>(method: string, path: string, subject: FailureSubject, opts: { body?: unknown; query?: Record<string, string | undefined>; headers?: Record<string, string>; allow304?: boolean } = {}): Promise<Answer<T>> {
    const url = new URL(`${api}${path}`);
    for (const [k, v] of Object.entries(opts.query ?? {})) if (v !== undefined) url.searchParams.set(k, v);
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers: {
          accept: 'application/json',
          authorization: `token ${config.token}`,
          'user-agent': 'agentlab-operator',
          ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...(opts.headers ?? {}),
        },
        body: opts.body !== undefined ? JSON.stringify(opts.body) : undefined,
        signal: AbortSignal.timeout(timeoutMs),
        redirect: 'error',
      });
    } catch (err) {
      throw networkFailure(err);
    }
    const text = await res.text().catch(() => '');
    if (res.status === 304 && opts.allow304) return { status: 304, headers: res.headers, data: undefined as T };
    if (res.status >= 300) {
      let message = text.slice(0, 500);
      try {
        const parsed = JSON.parse(text) as { message?: unknown };
        if (typeof parsed.message === 'string') message = parsed.message;
      } catch { /* not JSON: keep the text */ }
      throw classifyHttpFailure({ status: res.status, headers: Object.fromEntries(res.headers), message, subject, now: Date.now() });
    }
    if (!text) return { status: res.status, headers: res.headers, data: undefined as T };
    try {
      return { status: res.status, headers: res.headers, data: JSON.parse(text) as T };
    } catch {
      throw new IssueTrackerError('Unavailable', `${method} ${url.pathname} answered ${res.status} with a body that is not JSON; is baseURL the Forgejo root?`, res.status);
    }
  }

  const labelIds = async (names: string[]): Promise<number[]> => {
    const existing: ForgejoLabel[] = [];
    for (let page = 1; ; page++) {
      const { data } = await send<ForgejoLabel[]>('GET', `${repoPath}/labels`, 'other', { query: { page: String(page), limit: String(LABEL_PAGE) } });
      const fresh = data.filter((l) => !existing.some((e) => e.id === l.id));
      existing.push(...fresh);
      // A short page ends the list; a page with nothing new means the server ignored `page`.
      if (data.length < LABEL_PAGE || fresh.length === 0) break;
    }
    const ids: number[] = [];
    for (const name of names) {
      let label = existing.find((l) => l.name.toLowerCase() === name.toLowerCase());
      if (!label) {
        label = (await send<ForgejoLabel>('POST', `${repoPath}/labels`, 'other', { body: { name, color: LABEL_COLOR } })).data;
        existing.push(label);
      }
      ids.push(label.id);
    }
    return ids;
  };

  return {
    provider: 'forgejo',
    repository,
    async currentUser() {
      return (await send<ForgejoUser>('GET', '/user', 'other')).data.login;
    },
    async createIssue({ title, body, labels }) {
      const ids = labels?.length ? await labelIds(labels) : undefined;
      return issueFromForgejo((await send<ForgejoIssue>('POST', `${repoPath}/issues`, 'other', { body: { title, body, labels: ids } })).data);
    },
    async getIssue(number) {
      return issueFromForgejo((await send<ForgejoIssue>('GET', `${repoPath}/issues/${number}`, 'issue')).data);
    },
    async editIssue(number, patch) {
      return issueFromForgejo((await send<ForgejoIssue>('PATCH', `${repoPath}/issues/${number}`, 'issue', { body: patch })).data);
    },
    async listIssues(opts: ListIssuesOptions = {}): Promise<Issue[]> {
      const issues: Issue[] = [];
      for (let page = 1; ; page++) {
        const { data } = await send<ForgejoIssue[]>('GET', `${repoPath}/issues`, 'other', {
          query: { state: opts.state ?? 'open', labels: opts.labels?.length ? opts.labels.join(',') : undefined, since: opts.since, type: 'issues', page: String(page), limit: String(LABEL_PAGE) },
        });
        const fresh = (data ?? []).map(issueFromForgejo).filter((i) => !issues.some((e) => e.number === i.number));
        issues.push(...fresh);
        if ((data ?? []).length < LABEL_PAGE || fresh.length === 0) break;
      }
      // Forgejo ignores label names the repository does not have: keep only issues with every label asked for.
      const wanted = (opts.labels ?? []).map((l) => l.toLowerCase());
      return issues.filter((i) => wanted.every((w) => i.labels.some((l) => l.toLowerCase() === w)));
    },
    async createComment(issue, body) {
      return commentFromForgejo((await send<ForgejoComment>('POST', `${repoPath}/issues/${issue}/comments`, 'issue', { body: { body } })).data);
    },
    async editComment(commentId, body) {
      return commentFromForgejo((await send<ForgejoComment>('PATCH', `${repoPath}/issues/comments/${commentId}`, 'issue', { body: { body } })).data);
    },
    async listComments(issue, opts: ListCommentsOptions = {}): Promise<Conditional<IssueComment[]>> {
      // Forgejo answers every comment of the issue in one page (the endpoint takes no page/limit).
      const a = await send<ForgejoComment[]>('GET', `${repoPath}/issues/${issue}/comments`, 'issue', {
        query: { since: opts.since }, headers: opts.etag ? { 'if-none-match': opts.etag } : {}, allow304: true,
      });
      const etag = a.headers.get('etag') ?? undefined;
      if (a.status === 304) return { notModified: true, etag: etag ?? opts.etag! };
      return { notModified: false, etag, value: (a.data ?? []).map(commentFromForgejo) };
    },
    async addLabels(issue, labels) {
      const ids = await labelIds(labels);
      return (await send<ForgejoLabel[]>('POST', `${repoPath}/issues/${issue}/labels`, 'issue', { body: { labels: ids } })).data.map((l) => l.name);
    },
    async addReaction(target: ReactionTarget, content: Reaction) {
      const path = 'issue' in target ? `${repoPath}/issues/${target.issue}/reactions` : `${repoPath}/issues/comments/${target.comment}/reactions`;
      await send('POST', path, 'issue', { body: { content } });
    },
    async permission(login) {
      try {
        const { data } = await send<{ permission?: string }>('GET', `${repoPath}/collaborators/${encodeURIComponent(login)}/permission`, 'other');
        return permissionFromForgejo(data.permission);
      } catch (err) {
        if (err instanceof IssueTrackerError && err.kind === 'NotFound') return 'none';
        throw err;
      }
    },
    async getFile(path, branch): Promise<RepoFile | undefined> {
      try {
        const { data } = await send<ForgejoContents | ForgejoContents[]>('GET', `${repoPath}/contents/${encodePath(path)}`, 'other', { query: { ref: branch || undefined } });
        if (Array.isArray(data) || data.type !== 'file' || typeof data.content !== 'string') throw new IssueTrackerError('Invalid', `${path} on ${branch} is not a file`);
        return { path: data.path, sha: data.sha, content: Buffer.from(data.content, 'base64').toString('utf8') };
      } catch (err) {
        if (err instanceof IssueTrackerError && err.kind === 'NotFound' && !/branch|ref/i.test(err.message)) return undefined;
        throw err;
      }
    },
    async putFile(input: PutFileInput): Promise<FileCommit> {
      const body = { branch: input.branch || undefined, message: input.message, content: Buffer.from(input.content, 'utf8').toString('base64'), sha: input.sha };
      // Forgejo: POST creates a file, PUT updates one (and requires its sha).
      const { data } = await send<ForgejoFileResponse>(input.sha ? 'PUT' : 'POST', `${repoPath}/contents/${encodePath(input.path)}`, 'other', { body });
      return { path: data.content?.path ?? input.path, sha: data.content?.sha ?? '', commitSha: data.commit.sha, commitUrl: data.commit.html_url };
    },
  };
}
