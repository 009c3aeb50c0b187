import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { MockLanguageModelV3 } from 'ai/test';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRunConfig, type RunnerConfig } from './config.js';
import { runAgent, runnerDeadlineMs, toolsForConfig } from './run.js';

let workspace: string;
beforeAll(async () => {
  workspace = await mkdtemp(path.join(os.tmpdir(), 'run-test-'));
});
afterAll(async () => {
  await rm(workspace, { recursive: true, force: true });
});

const config = (over: Record<string, unknown> = {}): RunnerConfig =>
  parseRunConfig(JSON.stringify({ run: { namespace: 'ns', name: 'r', uid: 'u' }, model: 'default', task: 'secret task text', systemPrompt: 'secret system text', tools: [], ...over }), 'run.json');

const answering = (text: string) => new MockLanguageModelV3({
  doStream: async () => ({
    stream: new ReadableStream({
      start(c) {
        c.enqueue({ type: 'stream-start', warnings: [] });
        c.enqueue({ type: 'text-start', id: 't' });
        c.enqueue({ type: 'text-delta', id: 't', delta: text });
        c.enqueue({ type: 'text-end', id: 't' });
        c.enqueue({ type: 'finish', finishReason: { unified: 'stop', raw: 'stop' }, usage: { inputTokens: { total: 5, noCache: 5, cacheRead: undefined, cacheWrite: undefined }, outputTokens: { total: 5, text: undefined, reasoning: undefined } } });
        c.close();
      },
    }),
  }),
});

describe('runnerDeadlineMs', () => {
  it('ends before the pod deadline: 10 % earlier, at most 5 s', () => {
    expect(runnerDeadlineMs(1800)).toBe(1_795_000);
    expect(runnerDeadlineMs(20)).toBe(18_000);
    expect(runnerDeadlineMs(1)).toBe(900);
  });
});

describe('toolsForConfig', () => {
  it('fails the run for a tool the runner cannot provide, naming it (github without the router)', async () => {
    const r = await toolsForConfig(config({ tools: [{ name: 'github' }] }), { workspace, token: 't' });
    expect(r).toMatchObject({ failure: { outcome: 'Failed', reason: 'ToolNotImplemented', message: expect.stringContaining('spec.tools lists github') } });
  });

  it('offers the github tools, served by the router, for a github entry', async () => {
    const r = await toolsForConfig(config({ tools: [{ name: 'github' }] }), { workspace, token: 't', routerUrl: 'http://router.invalid:8080' });
    expect('tools' in r && r.tools.definitions().map((d) => d.name)).toEqual(['github_read_issue', 'github_read_file', 'github_comment']);
  });

  it('fails the run with ConfigError when an allowed path cannot be opened', async () => {
    const r = await toolsForConfig(config({ tools: [{ name: 'files', files: { paths: [path.join(workspace, 'missing')] } }] }), { workspace, token: 't' });
    expect(r).toMatchObject({ failure: { outcome: 'Failed', reason: 'ConfigError', message: expect.stringMatching(/^spec\.tools: /) } });
  });

  it('offers the files tools for a files entry', async () => {
    const r = await toolsForConfig(config({ tools: [{ name: 'files', files: { paths: [workspace], readOnly: true } }] }), { workspace, token: 't' });
    expect('tools' in r && r.tools.definitions().map((d) => d.name)).toEqual(['read_file', 'list_directory']);
  });
});

describe('runAgent', () => {
  const noTools = { definitions: () => [], call: async () => ({ ok: true as const, result: null }) };

  it('writes start, assistant and end lines; prompts only with includePrompts', async () => {
    const lines: string[] = [];
    const s = await runAgent(config(), { model: answering('Hello.'), tools: noTools, write: (l) => lines.push(l), secrets: [], now: () => 1000 });
    expect(s).toMatchObject({ outcome: 'Succeeded', result: 'Hello.', turns: 1 });
    expect(lines.map((l) => JSON.parse(l).type)).toEqual(['start', 'assistant', 'end']);
    expect(lines.join('')).not.toContain('secret task text');
    expect(lines.join('')).not.toContain('secret system text');
    expect(JSON.parse(lines[2])).toEqual({ type: 'end', turn: 1, outcome: 'Succeeded', reason: 'Completed', turns: 1, toolCalls: 0, toolErrors: 0, durationMs: 0 });

    const withPrompts: string[] = [];
    await runAgent(config({ transcript: { includePrompts: true } }), { model: answering('Hi.'), tools: noTools, write: (l) => withPrompts.push(l), secrets: [] });
    expect(JSON.parse(withPrompts[0])).toMatchObject({ type: 'start', task: 'secret task text', systemPrompt: 'secret system text' });
  });

  it('redacts the token when the model repeats it', async () => {
    const lines: string[] = [];
    const s = await runAgent(config(), { model: answering('the token is tok-abcdef123456'), tools: noTools, write: (l) => lines.push(l), secrets: ['tok-abcdef123456'] });
    expect(lines.join('')).not.toContain('tok-abcdef123456');
    expect(lines.join('')).toContain('the token is [redacted]');
    expect(s.result).toBe('the token is tok-abcdef123456'); // the termination message redacts it (output.test.ts)
  });
});
