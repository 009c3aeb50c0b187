import type http from 'node:http';
import type { Logger } from 'pino';
import { IssueTrackerError } from '../issues/errors.js';
import { forgeTokenRefusal } from '../issues/forge-token-opt-in.js';
import type { IssueTracker, IssueTrackerFactory } from '../issues/types.js';
import type { RunIssueTracker } from '../model/agentrun/issue-tracker-annotation.js';
import { SECRETS } from '../model/lanes/resources.js';
import { isNotFound, type KubeClient, type KubeObject } from '../runtime/kube.js';
import { readLimitedBody } from '../runtime/limited-body.js';
import { sendJson } from './dialects/common.js';
import { renderOpenAIError, RouterError } from './errors.js';
import {
  agentCommentBody, checkScope, commentsAnswer, commentText, fileAnswer, forgeFailure, isRefusal, issueAnswer, parseForgeRoute, runAnswer,
  type ForgeRefusal, type ForgeRoute,
} from './forge-scope.js';
import type { RouterMetrics } from './metrics.js';
import type { Identity } from './tokens.js';

/**
 * The agent's github tool, served by the router for the pod (docs/agents.md, "github"): the pod
 * sends its run token; the router checks the call against the run's issue tracker (its token
 * Secret's agentlab.dev/issue-tracker annotation: one repository, one issue), reads the forge
 * token from the Secret the run's spec names in the run's own namespace, and calls the forge
 * through the IssueTracker clients. The forge token never leaves the router: not to the pod, not
 * into an answer or a log line.
 */
export interface GitHubToolDeps {
  client: KubeClient;
  /** Builds the forge client (ControllerDeps.issueTrackers: tests and `agentlab dev` point it at the fake forges). */
  issueTrackers: IssueTrackerFactory;
  log: Logger;
  metrics: RouterMetrics;
  /** Forge request timeout (default 30 s). */
  timeoutMs?: number;
}

/** Forge tokens are kept this long in memory (a rotated Secret is picked up after it, or at once after a 401). */
const TOKEN_TTL_MS = 30_000;
const MAX_REQUEST_BYTES = 256 * 1024;
/** Comments one run may post (per router replica): a runaway agent cannot flood a person's issue. */
export const MAX_COMMENTS_PER_RUN = 20;
/** Runs whose comment counts are remembered (the oldest are forgotten first). */
const MAX_COUNTED_RUNS = 10_000;

const refusal = (r: ForgeRefusal, category: 'validation' | 'policy' | 'upstream' = r.status >= 500 ? 'upstream' : r.status === 403 ? 'policy' : 'validation') =>
  new RouterError(category, r.status, r.code, r.message);

/** The tool's JSON request; an over-large one is 413 once past the limit, the rest drained (readLimitedBody). */
async function readJson(req: http.IncomingMessage): Promise<Record<string, unknown>> {
  const r = await readLimitedBody(req, MAX_REQUEST_BYTES);
  if (!r.ok) {
    req.resume();
    throw new RouterError('validation', 413, 'request_too_large', `request body over ${MAX_REQUEST_BYTES} bytes; send a shorter comment`);
  }
  let v: unknown;
  try {
    v = JSON.parse(r.body.toString('utf8'));
  } catch {
    throw new RouterError('validation', 400, 'invalid_json', 'request body is not valid JSON');
  }
  if (typeof v === 'object' && v !== null && !Array.isArray(v)) return v as Record<string, unknown>;
  throw new RouterError('validation', 400, 'invalid_json', 'request body must be a JSON object {"body": "<comment text>"}');
}

/** A cached forge token is the Secret key's for one destination (provider and base URL). */
const tokenCacheKey = (namespace: string, t: RunIssueTracker) => `${namespace}/${t.secretRef.name}/${t.secretRef.key}\u0000${t.provider}\u0000${t.baseURL ?? ''}`;

export class GitHubToolApi {
  private readonly tokens = new Map<string, { value: string; at: number }>();
  private readonly comments = new Map<string, number>();

  constructor(private readonly deps: GitHubToolDeps) {}

  /**
   * The forge token from the run's Secret (cached briefly, in memory only, per destination: the
   * Secret's opt-in is checked for each base URL), once the Secret's agentlab.dev/forge-url
   * annotation allows the run's base URL (ADR 0018).
   */
  private async forgeToken(namespace: string, t: RunIssueTracker): Promise<string> {
    const id = tokenCacheKey(namespace, t);
    const hit = this.tokens.get(id);
    if (hit && Date.now() - hit.at < TOKEN_TTL_MS) return hit.value;
    const where = `Secret ${namespace}/${t.secretRef.name}`;
    let s: KubeObject & { data?: Record<string, string> };
    try {
      s = await this.deps.client.get(SECRETS, namespace, t.secretRef.name);
    } catch (err) {
      if (isNotFound(err)) throw new RouterError('upstream', 503, 'forge_token_missing', `${where} (the issue tracker's secretRef) not found: create it with the forge token under key ${JSON.stringify(t.secretRef.key)}`);
      throw new RouterError('upstream', 503, 'forge_token_unreadable', `cannot read ${where}: ${(err as Error).message}`);
    }
    const refused = forgeTokenRefusal({ namespace, name: t.secretRef.name, annotations: s.metadata?.annotations }, t.provider, t.baseURL);
    if (refused) throw new RouterError('policy', 403, 'forge_token_not_allowed', `the run's issue tracker (spec.issueTracker.secretRef): ${refused}`);
    const raw = s.data?.[t.secretRef.key];
    const value = raw ? Buffer.from(raw, 'base64').toString('utf8').trim() : '';
    if (!value) throw new RouterError('upstream', 503, 'forge_token_missing', `${where} has no key ${JSON.stringify(t.secretRef.key)} (or it is empty): put the forge token there`);
    this.tokens.set(id, { value, at: Date.now() });
    return value;
  }

  private async call(identity: Identity, t: RunIssueTracker, route: ForgeRoute, comment: string | undefined): Promise<{ status: number; body: unknown }> {
    if (route.kind === 'run') return { status: 200, body: runAnswer(t) };
    const token = await this.forgeToken(identity.namespace, t);
    const secret = `${identity.namespace}/${t.secretRef.name} (key ${t.secretRef.key})`;
    let tracker: IssueTracker;
    try {
      tracker = this.deps.issueTrackers({ provider: t.provider, baseURL: t.baseURL, repository: t.repository, token, timeoutMs: this.deps.timeoutMs });
    } catch (err) {
      throw new RouterError('upstream', 503, 'issue_tracker_invalid', `the run's issue tracker cannot be used: ${scrub((err as Error).message, token)}`);
    }
    try {
      switch (route.kind) {
        case 'issue':
          return { status: 200, body: issueAnswer(await tracker.getIssue(route.issue)) };
        case 'comments': {
          const list = await tracker.listComments(route.issue);
          return { status: 200, body: commentsAnswer(list.notModified ? [] : list.value) };
        }
        case 'comment': {
          const key = `${identity.namespace}/${identity.run}`;
          const posted = this.comments.get(key) ?? 0;
          if (posted >= MAX_COMMENTS_PER_RUN) throw new RouterError('budget', 429, 'comment_limit', `run ${key} has posted ${posted} comments; the github tool allows at most ${MAX_COMMENTS_PER_RUN} per run`);
          const c = await tracker.createComment(route.issue, agentCommentBody(`${identity.namespace}/${identity.run}`, t.runUid, comment!));
          this.comments.delete(key);
          this.comments.set(key, posted + 1);
          if (this.comments.size > MAX_COUNTED_RUNS) this.comments.delete(this.comments.keys().next().value!);
          return { status: 201, body: { id: c.id, url: c.url, createdAt: c.createdAt } };
        }
        case 'file': {
          // No ref: the repository's default branch (both clients leave the parameter out).
          const f = await tracker.getFile(route.path, route.ref as string);
          if (!f) throw new RouterError('validation', 404, 'not_found', `${route.path} does not exist in ${t.repository}${route.ref ? ` at ${route.ref}` : ''}`);
          return { status: 200, body: fileAnswer(t.repository, route.ref, f) };
        }
      }
    } catch (err) {
      if (!(err instanceof IssueTrackerError)) throw err;
      if (err.kind === 'Unauthorized') this.tokens.delete(tokenCacheKey(identity.namespace, t));
      const f = forgeFailure(err.kind, scrub(err.message, token), secret);
      const e = refusal(f, f.status >= 500 || f.status === 429 ? 'upstream' : f.status === 403 ? 'policy' : 'validation');
      if (f.retryAfter && err.retryAfterMs !== undefined) (e as RouterError & { retryAfterMs?: number }).retryAfterMs = err.retryAfterMs;
      throw e;
    }
  }

  /** One github tool request; `identify` authenticates the run token (401/403/503 as for model calls). */
  async handle(req: http.IncomingMessage, res: http.ServerResponse, requestId: string, identify: () => Identity): Promise<void> {
    const t0 = performance.now();
    let identity: Identity | undefined;
    let route: ForgeRoute | undefined;
    let status = 200;
    let code: string | undefined;
    let message = 'github tool';
    try {
      identity = identify();
      const run = `${identity.namespace}/${identity.run}`;
      if (!identity.tracker) throw new RouterError('policy', 403, 'no_github_tool', `run ${run} has no github tool: its token Secret has no agentlab.dev/issue-tracker annotation (list the github tool in spec.tools and set the spec's issue tracker)`);
      if (!identity.tracker.ok) throw new RouterError('policy', 403, 'github_tool_invalid', identity.tracker.error);
      const url = new URL(req.url ?? '/', 'http://router');
      const parsed = parseForgeRoute(req.method ?? 'GET', url.pathname, url.searchParams);
      if (isRefusal(parsed)) throw refusal(parsed);
      route = parsed;
      const scope = checkScope(run, identity.tracker.tracker, route);
      if (scope) throw refusal(scope);
      let comment: string | undefined;
      if (route.kind === 'comment') {
        const text = commentText(await readJson(req));
        if (typeof text !== 'string') throw refusal(text);
        comment = text;
      }
      const out = await this.call(identity, identity.tracker.tracker, route, comment);
      status = out.status;
      sendJson(res, out.status, out.body, requestId);
    } catch (err) {
      const e = err instanceof RouterError ? err : new RouterError('upstream', 500, 'internal_error', 'internal router error');
      if (!(err instanceof RouterError)) this.deps.log.error({ requestId, err: (err as Error)?.message }, 'router bug (github tool)');
      status = e.status;
      code = e.code;
      message = e.message;
      req.resume();
      const r = renderOpenAIError(e, requestId);
      const retryAfterMs = (e as RouterError & { retryAfterMs?: number }).retryAfterMs;
      if (retryAfterMs !== undefined && !res.headersSent) res.setHeader('retry-after', String(Math.max(1, Math.ceil(retryAfterMs / 1000))));
      if (res.headersSent) res.end();
      else sendJson(res, r.status, r.body, requestId);
    } finally {
      this.deps.metrics.githubToolRequests.inc({ call: route?.kind ?? 'none', outcome: status < 400 ? 'ok' : String(status) });
      // Who, which call, which issue or path, the outcome; never a token, a comment or a file's content.
      this.deps.log.info({
        requestId, githubTool: route?.kind, namespace: identity?.namespace, run: identity?.run,
        repository: route && 'repository' in route ? route.repository : undefined, issue: route && 'issue' in route ? route.issue : undefined, path: route?.kind === 'file' ? route.path.slice(0, 300) : undefined,
        status, code, durationMs: Math.round((performance.now() - t0) * 10) / 10,
      }, message);
    }
  }
}

/** Defence in depth: a forge or client message never carries the token, but if one did it would not get out. */
function scrub(text: string, token: string): string {
  return token.length >= 4 ? text.split(token).join('[redacted]') : text;
}
