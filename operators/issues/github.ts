// The GitHub (and GitHub Enterprise Server) provider of IssueTracker, through Octokit.
import { Octokit } from '@octokit/rest';
import { classifyHttpFailure, IssueTrackerError, networkFailure, type FailureSubject } from './errors.js';
import { checkPath, parseBaseURL, parseRepository } from './repository.js';
import type {
  Conditional, FileCommit, Issue, IssueComment, IssueTracker, IssueTrackerConfig, ListCommentsOptions, ListIssuesOptions, PutFileInput, Reaction,
  ReactionTarget, RepoFile, RepoPermission,
} from './types.js';

export const GITHUB_API = 'https://api.github.com';
const PER_PAGE = 100;
const SILENT = { debug() {}, info() {}, warn() {}, error() {} };

interface GitHubUser { login: string; type?: string }
interface GitHubIssue { pull_request?: unknown; number: number; html_url: string; title: string; body?: string | null; state: string; user: GitHubUser | null; labels: (string | { name?: string })[]; created_at: string; updated_at: string }
interface GitHubComment { id: number; html_url: string; body?: string; user: GitHubUser | null; created_at: string; updated_at: string }

export const issueFromGitHub = (i: GitHubIssue): Issue => ({
  number: i.number, url: i.html_url, title: i.title, body: i.body ?? '', state: i.state === 'closed' ? 'closed' : 'open',
  author: i.user?.login ?? '', labels: i.labels.map((l) => (typeof l === 'string' ? l : (l.name ?? ''))).filter(Boolean),
  createdAt: i.created_at, updatedAt: i.updated_at,
});

export const commentFromGitHub = (c: GitHubComment): IssueComment => ({
  id: c.id, url: c.html_url, body: c.body ?? '', author: c.user?.login ?? '', authorIsBot: c.user?.type === 'Bot',
  createdAt: c.created_at, updatedAt: c.updated_at,
});

/** GitHub's `permission` is already admin|write|read|none ("maintain" and "triage" appear only in role_name). */
export function permissionFromGitHub(p: string | undefined): RepoPermission {
  return p === 'admin' || p === 'write' || p === 'read' ? p : p === 'maintain' ? 'write' : p === 'triage' ? 'read' : 'none';
}

export function createGitHubTracker(config: IssueTrackerConfig): IssueTracker {
  const repository = parseRepository(config.repository);
  const { owner, repo } = repository;
  const octokit = new Octokit({
    auth: config.token,
    baseUrl: parseBaseURL(config.baseURL ?? GITHUB_API),
    userAgent: 'agentlab-operator',
    log: SILENT,
  });
  const timeoutMs = config.timeoutMs ?? 30_000;
  /** Fresh per call: the timeout counts from the call, not from the tracker's creation. */
  const timeout = (): { signal: AbortSignal } => ({ signal: AbortSignal.timeout(timeoutMs) });

  /** Runs one call and maps its failure onto IssueTrackerError. */
  const call = async <T>(subject: FailureSubject, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (err) {
      throw toTrackerError(err, subject);
    }
  };

  return {
    provider: 'github',
    repository,
    async currentUser() {
      const { data } = await call('other', () => octokit.rest.users.getAuthenticated({ request: timeout() }));
      return data.login;
    },
    async createIssue({ title, body, labels }) {
      const { data } = await call('other', () => octokit.rest.issues.create({ owner, repo, title, body, labels, request: timeout() }));
      return issueFromGitHub(data);
    },
    async getIssue(number) {
      const { data } = await call('issue', () => octokit.rest.issues.get({ owner, repo, issue_number: number, request: timeout() }));
      return issueFromGitHub(data);
    },
    async editIssue(number, patch) {
      const { data } = await call('issue', () => octokit.rest.issues.update({ owner, repo, issue_number: number, ...patch, request: timeout() }));
      return issueFromGitHub(data);
    },
    async listIssues(opts: ListIssuesOptions = {}): Promise<Issue[]> {
      const issues: Issue[] = [];
      for (let n = 1; ; n++) {
        const { data } = await call('other', () =>
          octokit.rest.issues.listForRepo({
            owner, repo, state: opts.state ?? 'open', labels: opts.labels?.length ? opts.labels.join(',') : undefined,
            since: opts.since, per_page: PER_PAGE, page: n, request: timeout(),
          }),
        );
        // GitHub lists pull requests as issues too; they carry pull_request.
        issues.push(...data.filter((i) => !(i as GitHubIssue).pull_request).map((i) => issueFromGitHub(i as GitHubIssue)));
        if (data.length < PER_PAGE) return issues;
      }
    },
    async createComment(issue, body) {
      const { data } = await call('issue', () => octokit.rest.issues.createComment({ owner, repo, issue_number: issue, body, request: timeout() }));
      return commentFromGitHub(data);
    },
    async editComment(commentId, body) {
      const { data } = await call('issue', () => octokit.rest.issues.updateComment({ owner, repo, comment_id: commentId, body, request: timeout() }));
      return commentFromGitHub(data);
    },
    async listComments(issue, opts: ListCommentsOptions = {}): Promise<Conditional<IssueComment[]>> {
      const page = (n: number, etag?: string) =>
        octokit.rest.issues.listComments({
          owner, repo, issue_number: issue, since: opts.since, per_page: PER_PAGE, page: n, request: timeout(),
          headers: etag ? { 'if-none-match': etag } : {},
        });
      let first;
      try {
        first = await page(1, opts.etag);
      } catch (err) {
        if (statusOf(err) === 304) return { notModified: true, etag: headerOf(err, 'etag') ?? opts.etag! };
        throw toTrackerError(err, 'issue');
      }
      const comments = first.data.map(commentFromGitHub);
      for (let n = 2, last = first.data.length; last === PER_PAGE; n++) {
        const { data } = await call('issue', () => page(n));
        comments.push(...data.map(commentFromGitHub));
        last = data.length;
      }
      return { notModified: false, etag: first.headers.etag, value: comments };
    },
    async addLabels(issue, labels) {
      const { data } = await call('issue', () => octokit.rest.issues.addLabels({ owner, repo, issue_number: issue, labels, request: timeout() }));
      return data.map((l) => l.name);
    },
    async addReaction(target: ReactionTarget, content: Reaction) {
      if ('issue' in target) await call('issue', () => octokit.rest.reactions.createForIssue({ owner, repo, issue_number: target.issue, content, request: timeout() }));
      else await call('issue', () => octokit.rest.reactions.createForIssueComment({ owner, repo, comment_id: target.comment, content, request: timeout() }));
    },
    async permission(login) {
      try {
        const { data } = await octokit.rest.repos.getCollaboratorPermissionLevel({ owner, repo, username: login, request: timeout() });
        return permissionFromGitHub(data.permission);
      } catch (err) {
        // 404: no such user (GitHub answers "<login> is not a user"): nobody to grant anything.
        if (statusOf(err) === 404) return 'none';
        throw toTrackerError(err, 'other');
      }
    },
    async getFile(path, branch): Promise<RepoFile | undefined> {
      const clean = checkPath(path);
      try {
        const { data } = await octokit.request('GET /repos/{owner}/{repo}/contents/{path}', { owner, repo, path: clean, ref: branch || undefined, request: timeout() });
        if (Array.isArray(data) || data.type !== 'file' || typeof data.content !== 'string') {
          throw new IssueTrackerError('Invalid', `${path} on ${branch} is not a file`);
        }
        return { path: data.path, sha: data.sha, content: Buffer.from(data.content, 'base64').toString('utf8') };
      } catch (err) {
        if (err instanceof IssueTrackerError) throw err;
        if (statusOf(err) === 404 && !/branch|ref/i.test(messageOf(err))) return undefined;
        throw toTrackerError(err, 'other');
      }
    },
    async putFile(input: PutFileInput): Promise<FileCommit> {
      const path = checkPath(input.path);
      const { data } = await call('other', () =>
        octokit.request('PUT /repos/{owner}/{repo}/contents/{path}', {
          owner, repo, path, branch: input.branch || undefined, message: input.message,
          content: Buffer.from(input.content, 'utf8').toString('base64'), sha: input.sha, request: timeout(),
        }),
      );
      return { path: data.content?.path ?? input.path, sha: data.content?.sha ?? '', commitSha: data.commit.sha ?? '', commitUrl: data.commit.html_url ?? '' };
    },
  };
}

const statusOf = (err: unknown): number | undefined => {
  const s = (err as { status?: unknown }).status;
  return typeof s === 'number' ? s : undefined;
};
const headerOf = (err: unknown, name: string): string | undefined =>
  (err as { response?: { headers?: Record<string, string | undefined> } }).response?.headers?.[name];
const messageOf = (err: unknown): string => {
  const data = (err as { response?: { data?: unknown } }).response?.data;
  if (data && typeof data === 'object' && typeof (data as { message?: unknown }).message === 'string') return (data as { message: string }).message;
  return typeof data === 'string' ? data : '';
};

/** An Octokit RequestError (or a fetch failure) as IssueTrackerError. */
export function toTrackerError(err: unknown, subject: FailureSubject): IssueTrackerError {
  if (err instanceof IssueTrackerError) return err;
  const status = statusOf(err);
  const response = (err as { response?: { headers?: Record<string, string | undefined> } }).response;
  // Octokit reports a failed fetch (no answer) as status 500 without a response.
  if (status === undefined || !response) return networkFailure(err);
  return classifyHttpFailure({ status, headers: response.headers ?? {}, message: messageOf(err), subject, now: Date.now() });
}
