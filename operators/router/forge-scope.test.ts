import { describe, expect, it } from 'vitest';
import type { IssueComment } from '../issues/types.js';
import {
  agentCommentBody, checkScope, commentsAnswer, commentText, fileAnswer, forgeFailure, GITHUB_TOOL_PREFIX, issueAnswer, MAX_COMMENT_CHARS, MAX_COMMENTS,
  MAX_COMMENTS_CHARS, MAX_FILE_BYTES, parseForgeRoute,
} from './forge-scope.js';

const p = (method: string, rest: string, query = '') => parseForgeRoute(method, `${GITHUB_TOOL_PREFIX}${rest}`, new URLSearchParams(query));
const tracker = { provider: 'github' as const, repository: 'Homelab/Infra', issue: 7, secretRef: { name: 'gh', key: 'token' } };

describe('parseForgeRoute', () => {
  it.each([
    ['GET', 'run', '', { kind: 'run' }],
    ['GET', 'repos/homelab/infra/issues/7', '', { kind: 'issue', repository: 'homelab/infra', issue: 7 }],
    ['GET', 'repos/homelab/infra/issues/7/comments', '', { kind: 'comments', repository: 'homelab/infra', issue: 7 }],
    ['POST', 'repos/homelab/infra/issues/7/comments', '', { kind: 'comment', repository: 'homelab/infra', issue: 7 }],
    ['GET', 'repos/homelab/infra/contents/docs/runbook.md', '', { kind: 'file', repository: 'homelab/infra', path: 'docs/runbook.md' }],
    ['GET', 'repos/homelab/infra/contents/docs/a%20b.md', 'ref=feature/x', { kind: 'file', repository: 'homelab/infra', path: 'docs/a b.md', ref: 'feature/x' }],
  ])('%s %s%s', (method, rest, query, want) => {
    expect(p(method, rest, query)).toEqual(want);
  });

  it.each([
    ['GET', 'repos/homelab/infra/pulls/7', '', 404, 'not_found'],
    ['GET', 'user', '', 404, 'not_found'],
    ['POST', 'run', '', 405, 'method_not_allowed'],
    ['DELETE', 'repos/homelab/infra/issues/7', '', 405, 'method_not_allowed'],
    ['PATCH', 'repos/homelab/infra/issues/7/comments', '', 405, 'method_not_allowed'],
    ['PUT', 'repos/homelab/infra/contents/a.md', '', 405, 'method_not_allowed'],
    ['GET', 'repos/homelab/infra/issues/0', '', 400, 'invalid_issue'],
    ['GET', 'repos/homelab/infra/issues/7x', '', 400, 'invalid_issue'],
    ['GET', 'repos/ho%2Fme/infra/issues/7', '', 400, 'invalid_repository'],
    ['GET', 'repos/homelab/infra/contents/../secrets', '', 400, 'invalid_path'],
    ['GET', 'repos/homelab/infra/contents/docs%2F..%2F..%2Fx', '', 400, 'invalid_path'],
    ['GET', 'repos/homelab/infra/contents/a//b', '', 400, 'invalid_path'],
    ['GET', 'repos/homelab/infra/contents/a%ZZ', '', 400, 'invalid_path'],
    ['GET', 'repos/homelab/infra/contents/a.md', 'ref=../main', 400, 'invalid_ref'],
    ['GET', 'repos/homelab/infra/contents/a.md', 'ref=a b', 400, 'invalid_ref'],
  ])('refuses %s %s%s with %d %s', (method, rest, query, status, code) => {
    expect(p(method, rest, query)).toMatchObject({ status, code, message: expect.any(String) });
  });
});

describe('checkScope', () => {
  it('allows the run\'s own repository (case-insensitively) and issue', () => {
    expect(checkScope('lab/r1', tracker, { kind: 'issue', repository: 'homelab/infra', issue: 7 })).toBeUndefined();
    expect(checkScope('lab/r1', tracker, { kind: 'comment', repository: 'HOMELAB/INFRA', issue: 7 })).toBeUndefined();
    expect(checkScope('lab/r1', tracker, { kind: 'file', repository: 'homelab/infra', path: 'a.md' })).toBeUndefined();
  });

  it('refuses another repository with 403 naming both', () => {
    expect(checkScope('lab/r1', tracker, { kind: 'file', repository: 'homelab/secrets', path: 'a.md' })).toEqual({
      status: 403, code: 'repository_not_allowed', message: 'run lab/r1 may use only repository Homelab/Infra (its spec\'s issue tracker), not homelab/secrets',
    });
  });

  it.each(['issue', 'comments', 'comment'] as const)('refuses another issue for %s with 403 naming both', (kind) => {
    expect(checkScope('lab/r1', tracker, { kind, repository: 'homelab/infra', issue: 8 })).toEqual({
      status: 403, code: 'issue_not_allowed', message: 'run lab/r1 may read and comment on only issue #7 of Homelab/Infra, not #8',
    });
  });

  it('answers 409 while the run\'s issue is not known yet (files still readable)', () => {
    const noIssue = { ...tracker, issue: undefined };
    expect(checkScope('lab/r1', noIssue, { kind: 'comments', repository: 'homelab/infra', issue: 1 })).toMatchObject({ status: 409, code: 'issue_not_known' });
    expect(checkScope('lab/r1', noIssue, { kind: 'file', repository: 'homelab/infra', path: 'a' })).toBeUndefined();
  });
});

describe('forgeFailure', () => {
  it.each([
    ['RateLimited', 429, 'forge_rate_limited'],
    ['Unauthorized', 502, 'forge_unauthorized'],
    ['Forbidden', 403, 'forge_forbidden'],
    ['Gone', 410, 'gone'],
    ['NotFound', 404, 'not_found'],
    ['Conflict', 409, 'conflict'],
    ['Invalid', 422, 'invalid'],
    ['Unavailable', 502, 'forge_unavailable'],
  ] as const)('%s -> %d %s', (kind, status, code) => {
    expect(forgeFailure(kind, 'why', 'lab/gh (key token)')).toMatchObject({ status, code, message: expect.stringContaining('why') });
  });

  it('says which Secret holds the token the forge refused (never the token)', () => {
    expect(forgeFailure('Unauthorized', 'the token was refused (HTTP 401)', 'lab/gh (key token)').message).toBe('the forge refused the token in Secret lab/gh (key token): the token was refused (HTTP 401)');
  });
});

describe('answers are bounded', () => {
  const comment = (id: number, body: string): IssueComment => ({ id, url: `u${id}`, body, author: 'a', authorIsBot: false, createdAt: 't', updatedAt: 't' });

  it('cuts an issue body at 64 KiB characters and says so', () => {
    const a = issueAnswer({ number: 1, url: 'u', title: 't', body: 'x'.repeat(70_000), state: 'open', author: 'a', labels: [], createdAt: 't', updatedAt: 't' });
    expect(a.body).toHaveLength(65_536);
    expect(a.bodyTruncated).toBe(true);
  });

  it('keeps the newest comments within the count and size bounds, oldest first, counting the rest', () => {
    const many = Array.from({ length: MAX_COMMENTS + 20 }, (_, i) => comment(i + 1, 'c'));
    const a = commentsAnswer(many);
    expect(a.comments).toHaveLength(MAX_COMMENTS);
    expect(a.comments[0].id).toBe(21);
    expect(a.comments.at(-1)!.id).toBe(MAX_COMMENTS + 20);
    expect(a).toMatchObject({ total: MAX_COMMENTS + 20, omitted: 20 });
    const big = Array.from({ length: 10 }, (_, i) => comment(i + 1, 'y'.repeat(60_000)));
    const b = commentsAnswer(big);
    expect(b.comments.reduce((n, c) => n + c.body.length, 0)).toBeLessThanOrEqual(MAX_COMMENTS_CHARS);
    expect(b.comments.map((c) => c.id)).toEqual([7, 8, 9, 10]);
    expect(b.omitted).toBe(6);
  });

  it('cuts a file at 1 MiB of UTF-8 and says so', () => {
    const f = fileAnswer('o/r', undefined, { path: 'big.txt', sha: 's', content: 'é'.repeat(MAX_FILE_BYTES) });
    expect(Buffer.byteLength(f.content)).toBeLessThanOrEqual(MAX_FILE_BYTES);
    expect(f).toMatchObject({ truncated: true, size: 2 * MAX_FILE_BYTES, path: 'big.txt' });
    expect(fileAnswer('o/r', 'main', { path: 'a', sha: 's', content: 'hi' })).toEqual({ repository: 'o/r', path: 'a', ref: 'main', sha: 's', size: 2, content: 'hi' });
  });
});

describe('agent comments', () => {
  it('start with the agent marker and an attribution line, so the first line is never a command', () => {
    const body = agentCommentBody('lab/r1', 'uid-1', '/approve\nlooks fine');
    const lines = body.split('\n');
    expect(lines[0]).toBe('<!-- agentlab:agent-comment uid-1 -->');
    expect(lines[1]).toMatch(/^🤖 \*\*Comment by agent run `lab\/r1`\*\*/);
    expect(lines.slice(2).join('\n')).toBe('\n/approve\nlooks fine');
  });

  it('defuse every HTML comment, so the agent cannot plant the workflow\'s hidden markers', () => {
    const body = agentCommentBody('lab/r1', 'uid-1', 'done <!-- agentlab:status uid-1 --> and <!-- agentlab:milestone uid-1 failed -->');
    expect(body.match(/<!--/g)).toHaveLength(1); // only our own marker
    expect(body).toContain('&lt;!-- agentlab:status uid-1 -->');
  });

  it('text is required and bounded', () => {
    expect(commentText({ body: 'hi' })).toBe('hi');
    expect(commentText({})).toMatchObject({ status: 400, code: 'invalid_comment' });
    expect(commentText({ body: '  ' })).toMatchObject({ status: 400 });
    expect(commentText({ body: 'x'.repeat(MAX_COMMENT_CHARS + 1) })).toMatchObject({ status: 413, code: 'comment_too_large' });
  });
});
