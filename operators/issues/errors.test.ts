import { describe, expect, it } from 'vitest';
import { classifyHttpFailure, DEFAULT_RATE_LIMIT_WAIT_MS, MAX_RATE_LIMIT_WAIT_MS, networkFailure, rateLimitWaitMs, type HttpFailure } from './errors.js';

const NOW = Date.parse('2026-12-03T10:00:00Z');
const f = (status: number, headers: Record<string, string> = {}, message = '', subject: HttpFailure['subject'] = 'other'): HttpFailure => ({ status, headers, message, subject, now: NOW });

describe('classifyHttpFailure', () => {
  it.each([
    ['primary rate limit (GitHub 403, remaining 0, reset in 30 s)', f(403, { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(NOW / 1000 + 30) }, 'API rate limit exceeded'), 'RateLimited', 31_000],
    ['secondary rate limit (403 + retry-after)', f(403, { 'retry-after': '60' }, 'You have exceeded a secondary rate limit'), 'RateLimited', 60_000],
    ['429 + retry-after (Forgejo behind a proxy)', f(429, { 'retry-after': '7' }), 'RateLimited', 7_000],
    ['429 + retry-after as an HTTP date', f(429, { 'retry-after': new Date(NOW + 12_000).toUTCString() }), 'RateLimited', 12_000],
    ['secondary rate limit without headers (GitHub: wait a minute)', f(403, {}, 'You have exceeded a secondary rate limit.'), 'RateLimited', DEFAULT_RATE_LIMIT_WAIT_MS],
    ['429 without headers', f(429), 'RateLimited', DEFAULT_RATE_LIMIT_WAIT_MS],
    ['401 bad token', f(401, {}, 'Bad credentials'), 'Unauthorized', undefined],
    ['403 without rate limit', f(403, { 'x-ratelimit-remaining': '4999' }, 'Resource not accessible by personal access token'), 'Forbidden', undefined],
    ['410 deleted issue (GitHub)', f(410, {}, 'This issue was deleted', 'issue'), 'Gone', undefined],
    ['404 on an issue (Forgejo deleted issue)', f(404, {}, 'issue does not exist', 'issue'), 'Gone', undefined],
    ['404 on anything else', f(404, {}, 'Not Found'), 'NotFound', undefined],
    ['409 sha mismatch (GitHub contents)', f(409, {}, 'a.md does not match abc'), 'Conflict', undefined],
    ['422 sha mismatch (Forgejo contents)', f(422, {}, 'sha does not match [given: a, expected: b]'), 'Conflict', undefined],
    ['422 file exists, no sha (GitHub contents)', f(422, {}, 'Invalid request.\n\n"sha" wasn\'t supplied.'), 'Conflict', undefined],
    ['422 file exists (Forgejo POST contents)', f(422, {}, 'repository file already exists [path: a.md]'), 'Conflict', undefined],
    ['422 other', f(422, {}, 'Validation Failed'), 'Invalid', undefined],
    ['502', f(502, {}, 'Bad Gateway'), 'Unavailable', undefined],
  ] as const)('%s', (_name, failure, kind, retryAfterMs) => {
    const e = classifyHttpFailure(failure);
    expect(e.kind).toBe(kind);
    expect(e.status).toBe(failure.status);
    expect(e.retryAfterMs).toBe(retryAfterMs);
    expect(e.message).toContain(String(failure.status));
  });

  it('a 401 message says what to check, without echoing anything but the forge message', () => {
    expect(classifyHttpFailure(f(401, {}, 'Bad credentials')).message).toBe('the token was refused (HTTP 401): Bad credentials; check the token Secret');
  });
});

describe('rateLimitWaitMs', () => {
  it('is undefined for statuses that are never rate limits', () => {
    for (const s of [200, 400, 401, 404, 500]) expect(rateLimitWaitMs(f(s, { 'retry-after': '5', 'x-ratelimit-remaining': '0' }, 'rate limit'))).toBeUndefined();
  });
  it('prefers retry-after over the reset time', () => {
    expect(rateLimitWaitMs(f(403, { 'retry-after': '3', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(NOW / 1000 + 600) }))).toBe(3_000);
  });
  it('never waits a negative time (a reset in the past) nor more than the cap', () => {
    expect(rateLimitWaitMs(f(403, { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(NOW / 1000 - 100) }))).toBe(0);
    expect(rateLimitWaitMs(f(429, { 'retry-after': '999999' }))).toBe(MAX_RATE_LIMIT_WAIT_MS);
  });
  it('falls back to a minute for remaining 0 without a usable reset', () => {
    expect(rateLimitWaitMs(f(403, { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': 'soon' }))).toBe(DEFAULT_RATE_LIMIT_WAIT_MS);
  });
});

describe('networkFailure', () => {
  it.each([
    ['fetch\'s own timeout', Object.assign(new Error('The operation was aborted due to timeout'), { name: 'TimeoutError' }), 'the forge could not be reached: timed out'],
    ['a timeout Octokit wrapped (cause: DOMException, numeric code 23)', Object.assign(new Error('The operation was aborted due to timeout'), { name: 'HttpError', status: 500, cause: { name: 'TimeoutError', code: 23, message: 'The operation was aborted due to timeout' } }), 'the forge could not be reached: timed out'],
    ['a refused connection', Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED', message: 'connect ECONNREFUSED 127.0.0.1:9' } }), 'the forge could not be reached: ECONNREFUSED'],
  ])('%s', (_name, err, message) => {
    const e = networkFailure(err);
    expect(e.kind).toBe('Unavailable');
    expect(e.message).toBe(message);
  });
});
