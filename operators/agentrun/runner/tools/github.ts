// The github tool: the run's issue, its comments and its repository's files, and comments on the
// run's own issue, all through the lane router (`$AGENTLAB_ROUTER_URL/agentlab/v1/github/...`,
// operators/router/github-tool.ts). The pod holds only its run token; the router holds the forge
// token and refuses anything outside the run's repository and issue.
import { ToolError, type ToolErrorCode } from './errors.js';

export interface GitHubToolOptions {
  /** The router's base URL (AGENTLAB_ROUTER_URL). */
  routerUrl: string;
  /** The run's router token (Authorization: Bearer). */
  token: string;
  timeoutMs?: number;
}

export interface RunTracker { provider: string; repository: string; issue?: number }

const DEFAULT_TIMEOUT_MS = 30_000;
/** The router bounds its answers (about 1.4 MiB for a file at most); anything larger is not its answer. */
const MAX_ANSWER_BYTES = 4 * 1024 * 1024;

/** The router's refusal or the forge's failure, as the code the model reads. */
export function toolErrorCode(status: number): ToolErrorCode {
  if (status === 403 || status === 401) return 'Forbidden';
  if (status === 404 || status === 410) return 'NotFound';
  if (status === 413) return 'TooLarge';
  if (status === 400 || status === 422) return 'InvalidArguments';
  return 'Failed';
}

const encodePath = (path: string): string => path.replace(/^\/+/, '').split('/').map(encodeURIComponent).join('/');

export class GitHubTool {
  private tracker?: RunTracker;

  constructor(private readonly opts: GitHubToolOptions) {}

  private async request<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    let res: Response;
    try {
      res = await fetch(`${this.opts.routerUrl.replace(/\/+$/, '')}/agentlab/v1/github/${path}`, {
        method,
        headers: { authorization: `Bearer ${this.opts.token}`, accept: 'application/json', ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        body: body !== undefined ? JSON.stringify(body) : undefined,
        signal: AbortSignal.timeout(this.opts.timeoutMs ?? DEFAULT_TIMEOUT_MS),
      });
    } catch (e) {
      const err = e as Error & { cause?: { code?: string } };
      throw new ToolError('Failed', `github: the router could not be reached (${err.name === 'TimeoutError' ? 'timed out' : (err.cause?.code ?? err.message)})`);
    }
    const size = Number(res.headers.get('content-length') ?? 0);
    if (size > MAX_ANSWER_BYTES) {
      await res.body?.cancel();
      throw new ToolError('Failed', `github: the router's answer is ${size} bytes, over ${MAX_ANSWER_BYTES}`);
    }
    const text = await res.text();
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch {
      throw new ToolError('Failed', `github: the router answered HTTP ${res.status} without JSON`);
    }
    if (!res.ok) {
      const message = (data as { error?: { message?: unknown } }).error?.message;
      const retry = res.headers.get('retry-after');
      throw new ToolError(toolErrorCode(res.status), `github: ${typeof message === 'string' ? message : `HTTP ${res.status}`}${retry ? ` (retry after ${retry} s)` : ''}`);
    }
    return data as T;
  }

  /** The run's repository and issue, asked once the issue is known (the router is told when the operator links it). */
  async where(): Promise<RunTracker> {
    if (this.tracker?.issue !== undefined) return this.tracker;
    this.tracker = await this.request<RunTracker>('GET', 'run');
    return this.tracker;
  }

  private async issueNumber(asked: number | undefined): Promise<{ repository: string; issue: number }> {
    const t = await this.where();
    // Another issue goes to the router too, which refuses it and says which one is allowed.
    const issue = asked ?? t.issue;
    if (issue === undefined) throw new ToolError('Failed', `github: the run's issue on ${t.repository} is not known yet (the operator is still creating or linking it); try again later`);
    return { repository: t.repository, issue };
  }

  /** The issue and its newest comments. */
  async readIssue(asked?: number): Promise<unknown> {
    const { repository, issue } = await this.issueNumber(asked);
    const base = `repos/${encodePath(repository)}/issues/${issue}`;
    const [i, c] = await Promise.all([this.request<Record<string, unknown>>('GET', base), this.request<Record<string, unknown>>('GET', `${base}/comments`)]);
    return { ...i, ...c };
  }

  async readFile(path: string, ref?: string): Promise<unknown> {
    const t = await this.where();
    return this.request('GET', `repos/${encodePath(t.repository)}/contents/${encodePath(path)}${ref ? `?ref=${encodeURIComponent(ref)}` : ''}`);
  }

  async comment(body: string): Promise<unknown> {
    const { repository, issue } = await this.issueNumber(undefined);
    return this.request('POST', `repos/${encodePath(repository)}/issues/${issue}/comments`, { body });
  }
}
