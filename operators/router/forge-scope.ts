// The github tool's API on the router (github-tool.ts does the I/O): which call a request is,
// whether the run may make it, how big the answers may get, how forge failures are answered and
// how an agent's comment is marked. All pure.
import type { IssueTrackerErrorKind } from '../issues/errors.js';
import type { Issue, IssueComment, RepoFile } from '../issues/types.js';
import type { RunIssueTracker } from '../model/agentrun/issue-tracker-annotation.js';

export const GITHUB_TOOL_PREFIX = '/agentlab/v1/github/';

/** One call of the github tool, as the runner sends it: GitHub's REST paths under the prefix (for both providers). */
export type ForgeRoute =
  /** Where the run's tool reaches: provider, repository and issue (so the runner need not be told). */
  | { kind: 'run' }
  | { kind: 'issue'; repository: string; issue: number }
  | { kind: 'comments'; repository: string; issue: number }
  | { kind: 'comment'; repository: string; issue: number }
  | { kind: 'file'; repository: string; path: string; ref?: string };

export interface ForgeRefusal { status: number; code: string; message: string }

/** Largest issue or comment body returned (GitHub's own limit for a body is 65536 characters). */
export const MAX_BODY_CHARS = 65_536;
/** Comments returned at most (the newest), and their bodies' total size. */
export const MAX_COMMENTS = 100;
export const MAX_COMMENTS_CHARS = 256 * 1024;
/** Largest file content returned (the files tool's default maxFileBytes). */
export const MAX_FILE_BYTES = 1024 * 1024;
/** Longest comment the agent may post (room left for the attribution under GitHub's limit). */
export const MAX_COMMENT_CHARS = 60_000;

const SEGMENT = /^[A-Za-z0-9_.-]{1,100}$/;
const REF = /^[A-Za-z0-9_./-]{1,255}$/;

const decode = (s: string): string | undefined => {
  try {
    return decodeURIComponent(s);
  } catch {
    return undefined;
  }
};

/** Parses `<method> <path>?<query>` below the prefix; a refusal names the routes there are. */
export function parseForgeRoute(method: string, pathname: string, query: URLSearchParams): ForgeRoute | ForgeRefusal {
  const rest = pathname.slice(GITHUB_TOOL_PREFIX.length);
  const notFound: ForgeRefusal = {
    status: 404, code: 'not_found',
    message: `no route ${method} ${pathname}; the github tool's routes are GET run, GET repos/{owner}/{repo}/issues/{n}, GET and POST repos/{owner}/{repo}/issues/{n}/comments, GET repos/{owner}/{repo}/contents/{path}?ref={ref}, under ${GITHUB_TOOL_PREFIX}`,
  };
  if (rest === 'run') return method === 'GET' ? { kind: 'run' } : { ...notFound, status: 405, code: 'method_not_allowed' };
  const m = /^repos\/([^/]+)\/([^/]+)\/(issues\/([^/]+)(\/comments)?|contents\/(.+))$/.exec(rest);
  if (!m) return notFound;
  const owner = decode(m[1]);
  const repo = decode(m[2]);
  if (!owner || !repo || !SEGMENT.test(owner) || !SEGMENT.test(repo)) return { status: 400, code: 'invalid_repository', message: `${m[1]}/${m[2]} is not a repository "owner/name"` };
  const repository = `${owner}/${repo}`;
  if (m[3].startsWith('issues/')) {
    const issue = Number(m[4]);
    if (!/^[1-9][0-9]{0,9}$/.test(m[4])) return { status: 400, code: 'invalid_issue', message: `${JSON.stringify(m[4])} is not an issue number` };
    if (m[5]) {
      if (method === 'GET') return { kind: 'comments', repository, issue };
      if (method === 'POST') return { kind: 'comment', repository, issue };
      return { ...notFound, status: 405, code: 'method_not_allowed' };
    }
    return method === 'GET' ? { kind: 'issue', repository, issue } : { ...notFound, status: 405, code: 'method_not_allowed' };
  }
  if (method !== 'GET') return { ...notFound, status: 405, code: 'method_not_allowed' };
  // Decoded, then split again: an encoded slash (%2F) must not smuggle a `..` segment in.
  const decoded = m[6].split('/').map(decode);
  const path = decoded.some((s) => s === undefined) ? [] : decoded.join('/').split('/');
  if (path.length === 0 || path.some((s) => s === '' || s === '.' || s === '..' || s.includes('\0'))) return { status: 400, code: 'invalid_path', message: `${JSON.stringify(m[6])} is not a file path inside the repository` };
  const ref = query.get('ref') ?? undefined;
  if (ref !== undefined && (!REF.test(ref) || ref.split('/').some((s) => s === '' || s === '..'))) return { status: 400, code: 'invalid_ref', message: `ref ${JSON.stringify(ref)} is not a branch, tag or commit name` };
  return { kind: 'file', repository, path: path.join('/'), ...(ref ? { ref } : {}) };
}

export const isRefusal = (r: ForgeRoute | ForgeRefusal): r is ForgeRefusal => 'status' in r;

/**
 * Whether the run may make the call: only its own repository (compared case-insensitively, as
 * both forges do), and for issues only its own issue, which must be known by now.
 */
export function checkScope(run: string, tracker: RunIssueTracker, route: ForgeRoute): ForgeRefusal | undefined {
  if (route.kind === 'run') return undefined;
  if (route.repository.toLowerCase() !== tracker.repository.toLowerCase()) {
    return { status: 403, code: 'repository_not_allowed', message: `run ${run} may use only repository ${tracker.repository} (its spec's issue tracker), not ${route.repository}` };
  }
  if (route.kind === 'file') return undefined;
  if (tracker.issue === undefined) {
    return { status: 409, code: 'issue_not_known', message: `run ${run} has no issue yet: the operator records it on the run's token Secret once it has created or linked the issue; try again later` };
  }
  if (route.issue !== tracker.issue) {
    return { status: 403, code: 'issue_not_allowed', message: `run ${run} may read and comment on only issue #${tracker.issue} of ${tracker.repository}, not #${route.issue}` };
  }
  return undefined;
}

/** How a forge failure is answered to the pod (never with the forge's token or Secret data). */
export function forgeFailure(kind: IssueTrackerErrorKind, message: string, secret: string): ForgeRefusal & { retryAfter?: boolean } {
  switch (kind) {
    case 'RateLimited':
      return { status: 429, code: 'forge_rate_limited', message: `the forge is rate limiting: ${message}`, retryAfter: true };
    case 'Unauthorized':
      // Not 401: the run's own token is fine; the forge refused the token the run's owner configured.
      return { status: 502, code: 'forge_unauthorized', message: `the forge refused the token in Secret ${secret}: ${message}` };
    case 'Forbidden':
      return { status: 403, code: 'forge_forbidden', message: `the forge refused: ${message}` };
    case 'Gone':
      return { status: 410, code: 'gone', message };
    case 'NotFound':
      return { status: 404, code: 'not_found', message };
    case 'Conflict':
      return { status: 409, code: 'conflict', message };
    case 'Invalid':
      return { status: 422, code: 'invalid', message };
    case 'Unavailable':
      return { status: 502, code: 'forge_unavailable', message };
  }
}

/** The run's own view of its tracker: never the Secret's name or key, never a token. */
export const runAnswer = (t: RunIssueTracker) => ({ provider: t.provider, repository: t.repository, ...(t.issue !== undefined ? { issue: t.issue } : {}) });

const cut = (text: string, max: number): { text: string; truncated: boolean } =>
  text.length > max ? { text: text.slice(0, max), truncated: true } : { text, truncated: false };

export function issueAnswer(i: Issue) {
  const body = cut(i.body, MAX_BODY_CHARS);
  return { number: i.number, url: i.url, title: i.title, state: i.state, author: i.author, labels: i.labels, createdAt: i.createdAt, updatedAt: i.updatedAt, body: body.text, ...(body.truncated ? { bodyTruncated: true } : {}) };
}

const commentAnswer = (c: IssueComment) => {
  const body = cut(c.body, MAX_BODY_CHARS);
  return { id: c.id, url: c.url, author: c.author, authorIsBot: c.authorIsBot, createdAt: c.createdAt, updatedAt: c.updatedAt, body: body.text, ...(body.truncated ? { bodyTruncated: true } : {}) };
};

/** The newest comments that fit (oldest first, as the forge lists them); `omitted` counts the older ones left out. */
export function commentsAnswer(comments: IssueComment[]) {
  const kept: ReturnType<typeof commentAnswer>[] = [];
  let chars = 0;
  for (let i = comments.length - 1; i >= 0 && kept.length < MAX_COMMENTS; i--) {
    const c = commentAnswer(comments[i]!);
    if (chars + c.body.length > MAX_COMMENTS_CHARS) break;
    chars += c.body.length;
    kept.unshift(c);
  }
  return { comments: kept, total: comments.length, omitted: comments.length - kept.length };
}

export function fileAnswer(repository: string, ref: string | undefined, f: RepoFile) {
  const bytes = Buffer.from(f.content, 'utf8');
  const truncated = bytes.length > MAX_FILE_BYTES;
  // Cut on bytes; a character split at the edge becomes U+FFFD rather than an error.
  const content = truncated ? bytes.subarray(0, MAX_FILE_BYTES).toString('utf8') : f.content;
  return { repository, path: f.path, ...(ref ? { ref } : {}), sha: f.sha, size: bytes.length, content, ...(truncated ? { truncated: true } : {}) };
}

/** The hidden marker of every comment an agent posts (after the issue workflow's `<!-- agentlab:... -->` style). */
export const agentCommentMarker = (runUid: string | undefined, run: string): string => `<!-- agentlab:agent-comment ${runUid ?? run} -->`;

/**
 * What the router posts for an agent: the marker, then a line saying which run wrote it, then the
 * agent's text with every HTML comment opener defused. So the first line is never a `/approve`
 * or `/reject` command (the workflow reads commands from the first line only, and ignores our own
 * token's comments anyway), and the agent can never plant the workflow's hidden markers (status,
 * milestone, issue), which would let it hijack the status comment or suppress a milestone.
 */
export function agentCommentBody(run: string, runUid: string | undefined, text: string): string {
  const safe = text.replace(/<!--/g, '&lt;!--');
  return `${agentCommentMarker(runUid, run)}\n🤖 **Comment by agent run \`${run}\`** (AgentLab AgentRun; not a person's decision)\n\n${safe}`;
}

/** Checks the body of a create-comment request. */
export function commentText(body: Record<string, unknown>): string | ForgeRefusal {
  const text = body.body;
  if (typeof text !== 'string' || text.trim() === '') return { status: 400, code: 'invalid_comment', message: 'body: the comment text is required (a non-empty string)' };
  if (text.length > MAX_COMMENT_CHARS) return { status: 413, code: 'comment_too_large', message: `body: ${text.length} characters; a comment may have at most ${MAX_COMMENT_CHARS}` };
  return text;
}
