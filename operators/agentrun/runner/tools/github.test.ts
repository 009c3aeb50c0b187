import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ToolError } from './errors.js';
import { GitHubTool, toolErrorCode } from './github.js';

// A stand-in for the router's github tool API: records what the runner sends, answers as the router does.
const seen: { method: string; url: string; auth: string; body: string }[] = [];
let issue: number | undefined = 7;
const server = http.createServer((req, res) => {
  let body = '';
  req.on('data', (c) => (body += c));
  req.on('end', () => {
    seen.push({ method: req.method!, url: req.url!, auth: req.headers.authorization ?? '', body });
    const json = (status: number, v: unknown, headers: Record<string, string> = {}) => res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(v));
    const url = req.url!.replace('/agentlab/v1/github/', '');
    if (url === 'run') return json(200, { provider: 'forgejo', repository: 'home lab/infra', ...(issue ? { issue } : {}) });
    if (url === 'repos/home%20lab/infra/issues/7') return json(200, { number: 7, title: 'Disk' });
    if (url === 'repos/home%20lab/infra/issues/7/comments' && req.method === 'GET') return json(200, { comments: [], total: 0, omitted: 0 });
    if (url === 'repos/home%20lab/infra/issues/7/comments') return json(429, { error: { message: 'the forge is rate limiting' } }, { 'retry-after': '30' });
    if (url.startsWith('repos/home%20lab/infra/issues/8')) return json(403, { error: { message: 'only issue #7' } });
    if (url === 'repos/home%20lab/infra/contents/docs/a%20b.md?ref=feature%2Fx') return json(200, { content: 'hi' });
    return json(404, { error: { message: `no ${url}` } });
  });
});
let tool: GitHubTool;

beforeAll(async () => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  tool = new GitHubTool({ routerUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, token: 'run-token' });
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('the github tool (runner side)', () => {
  it('asks the router where it reaches, then reads the issue with its comments, with the run token', async () => {
    expect(await tool.readIssue()).toEqual({ number: 7, title: 'Disk', comments: [], total: 0, omitted: 0 });
    expect(seen.every((s) => s.auth === 'Bearer run-token')).toBe(true);
    expect(seen[0].url).toBe('/agentlab/v1/github/run');
  });

  it('reads a file with path segments and ref encoded', async () => {
    expect(await tool.readFile('/docs/a b.md', 'feature/x')).toEqual({ content: 'hi' });
  });

  it('turns the router\'s refusals into tool errors with its message', async () => {
    await expect(tool.readIssue(8)).rejects.toMatchObject({ code: 'Forbidden', message: 'github: only issue #7' });
    await expect(tool.comment('hello')).rejects.toMatchObject({ code: 'Failed', message: 'github: the forge is rate limiting (retry after 30 s)' });
    expect(JSON.parse(seen.at(-1)!.body)).toEqual({ body: 'hello' });
    await expect(tool.readFile('missing.md')).rejects.toBeInstanceOf(ToolError);
  });

  it('says the issue is not known yet rather than guessing one', async () => {
    issue = undefined;
    const early = new GitHubTool({ routerUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, token: 'run-token' });
    await expect(early.comment('x')).rejects.toMatchObject({ code: 'Failed', message: expect.stringContaining('not known yet') });
    issue = 7;
    expect(await early.readIssue()).toMatchObject({ number: 7 });
  });

  it('reports an unreachable router as Failed', async () => {
    const t = new GitHubTool({ routerUrl: 'http://127.0.0.1:1', token: 'x', timeoutMs: 2000 });
    await expect(t.readIssue()).rejects.toMatchObject({ code: 'Failed', message: expect.stringContaining('could not be reached') });
  });

  it.each([[403, 'Forbidden'], [401, 'Forbidden'], [404, 'NotFound'], [410, 'NotFound'], [413, 'TooLarge'], [400, 'InvalidArguments'], [422, 'InvalidArguments'], [409, 'Failed'], [429, 'Failed'], [502, 'Failed']] as const)('HTTP %d -> %s', (status, code) => {
    expect(toolErrorCode(status)).toBe(code);
  });
});
