// One error taxonomy for every issue-tracker provider. classifyHttpFailure is pure: status,
// headers and message in, kind and retry delay out; the providers only gather those inputs.

export type IssueTrackerErrorKind =
  /** Primary or secondary rate limit (403/429): wait retryAfterMs, then retry. */
  | 'RateLimited'
  /** 401: the token is missing, wrong, expired or revoked. */
  | 'Unauthorized'
  /** 403 that is not a rate limit: the token lacks a scope or permission. */
  | 'Forbidden'
  /** 410, or 404 for an issue or comment: it was deleted (or never existed). */
  | 'Gone'
  /** 404 for anything else: repository, branch, user. */
  | 'NotFound'
  /** The file is not at the sha given (409, or 422 "sha does not match", "file already exists", "sha wasn't supplied"): read it again. */
  | 'Conflict'
  /** 400/422: the request was refused as invalid. */
  | 'Invalid'
  /** 5xx, timeouts, connection failures: try again later. */
  | 'Unavailable';

export class IssueTrackerError extends Error {
  override readonly name = 'IssueTrackerError';
  constructor(
    readonly kind: IssueTrackerErrorKind,
    message: string,
    /** The HTTP status, when the forge answered. */
    readonly status?: number,
    /** RateLimited only: how long to wait before the next request. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

export const isIssueTrackerError = (e: unknown, kind?: IssueTrackerErrorKind): e is IssueTrackerError =>
  e instanceof IssueTrackerError && (kind === undefined || e.kind === kind);

/** What the request was about: a 404 on an issue or comment means it is gone. */
export type FailureSubject = 'issue' | 'other';

export interface HttpFailure {
  status: number;
  /** Response headers, lower-case names. */
  headers: Record<string, string | undefined>;
  /** The forge's error message (GitHub's and Forgejo's bodies both carry `message`). */
  message: string;
  subject: FailureSubject;
  /** Epoch ms "now", for x-ratelimit-reset. */
  now: number;
}

/** GitHub documents: without retry-after or a reset time, wait at least one minute after a secondary rate limit. */
export const DEFAULT_RATE_LIMIT_WAIT_MS = 60_000;
/** Never sleep longer than an hour on a forge's word (a clock skew or a bad header). */
export const MAX_RATE_LIMIT_WAIT_MS = 60 * 60_000;

export function classifyHttpFailure(f: HttpFailure): IssueTrackerError {
  const what = f.message ? `: ${f.message}` : '';
  const retryAfterMs = rateLimitWaitMs(f);
  if (retryAfterMs !== undefined) {
    return new IssueTrackerError('RateLimited', `rate limited (HTTP ${f.status})${what}; retry in ${Math.ceil(retryAfterMs / 1000)} s`, f.status, retryAfterMs);
  }
  switch (f.status) {
    case 401:
      return new IssueTrackerError('Unauthorized', `the token was refused (HTTP 401)${what}; check the token Secret`, 401);
    case 403:
      return new IssueTrackerError('Forbidden', `the token may not do this (HTTP 403)${what}; check its scopes and the repository permission`, 403);
    case 410:
      return new IssueTrackerError('Gone', `deleted (HTTP 410)${what}`, 410);
    case 404:
      return f.subject === 'issue'
        ? new IssueTrackerError('Gone', `not found, deleted or never existed (HTTP 404)${what}`, 404)
        : new IssueTrackerError('NotFound', `not found (HTTP 404)${what}`, 404);
    case 409:
      return new IssueTrackerError('Conflict', `conflict (HTTP 409)${what}; read the file again for its current sha`, 409);
    case 400:
    case 422:
      return isStaleFileAnswer(f.message)
        ? new IssueTrackerError('Conflict', `conflict (HTTP ${f.status})${what}; read the file again for its current sha`, f.status)
        : new IssueTrackerError('Invalid', `refused as invalid (HTTP ${f.status})${what}`, f.status);
    default:
      return new IssueTrackerError('Unavailable', `the forge answered HTTP ${f.status}${what}`, f.status);
  }
}

/**
 * The contents API's "you did not name the current version" answers: Forgejo's 422 "sha does not
 * match" and "repository file already exists", GitHub's 422 '"sha" wasn't supplied'.
 */
const isStaleFileAnswer = (message: string): boolean =>
  (/\bsha\b/i.test(message) && /match|wasn't supplied/i.test(message)) || /file already exists/i.test(message);

/**
 * How long a rate-limited answer asks us to wait, or undefined when the answer is no rate limit.
 * GitHub: 403/429 with retry-after (secondary), or x-ratelimit-remaining 0 with x-ratelimit-reset
 * (primary, epoch seconds), or a 403 whose message says "rate limit" without either header.
 * Forgejo behind a proxy: 429 with retry-after.
 */
export function rateLimitWaitMs(f: Pick<HttpFailure, 'status' | 'headers' | 'message' | 'now'>): number | undefined {
  if (f.status !== 403 && f.status !== 429) return undefined;
  const clamp = (ms: number): number => Math.min(MAX_RATE_LIMIT_WAIT_MS, Math.max(0, Math.ceil(ms)));
  const retryAfter = f.headers['retry-after'];
  if (retryAfter !== undefined && retryAfter.trim() !== '') {
    const seconds = Number(retryAfter);
    if (Number.isFinite(seconds)) return clamp(seconds * 1000);
    const date = Date.parse(retryAfter);
    if (!Number.isNaN(date)) return clamp(date - f.now);
  }
  if (f.headers['x-ratelimit-remaining'] === '0') {
    const reset = Number(f.headers['x-ratelimit-reset']);
    // One extra second: the reset is whole seconds and the forge's clock may lag ours.
    return Number.isFinite(reset) && reset > 0 ? clamp(reset * 1000 - f.now + 1000) : DEFAULT_RATE_LIMIT_WAIT_MS;
  }
  if (f.status === 429 || /rate limit/i.test(f.message)) return DEFAULT_RATE_LIMIT_WAIT_MS;
  return undefined;
}

/** A failure before any answer (DNS, refused connection, timeout). */
export function networkFailure(err: unknown): IssueTrackerError {
  const e = err as { name?: string; message?: string; cause?: { name?: string; code?: unknown; message?: string } };
  // fetch throws the abort itself; Octokit wraps it (its cause is the DOMException, whose numeric code means nothing to a reader).
  const aborted = [e.name, e.cause?.name].some((n) => n === 'TimeoutError' || n === 'AbortError');
  const code = typeof e.cause?.code === 'string' ? e.cause.code : undefined;
  const detail = aborted ? 'timed out' : (code ?? e.cause?.message ?? e.message ?? String(err));
  return new IssueTrackerError('Unavailable', `the forge could not be reached: ${detail}`);
}
