import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOllama, type FakeOllama } from './ollama.js';
import { startFakeOpenAI } from './openai.js';
import { scriptedReply, TRIAGE_SCRIPT, type ScriptRule } from './script.js';
import type { FakeServer } from './server.js';

const STEPS: ScriptRule = {
  when: 'inspect the notes',
  steps: [
    { reply: 'Reading.', toolCalls: [{ name: 'read_file', arguments: { path: 'notes.txt' } }] },
    { toolCalls: [{ name: 'http_request', arguments: { url: 'https://example.com' } }] },
    { toolCalls: [{ name: 'run_command', arguments: { argv: ['ls'] } }] },
  ],
  reply: 'Finished; last: {{lastToolResult}}',
};
const tools = ['read_file', 'run_command'];
const user = { role: 'user', content: 'Please inspect the notes.' };

describe('scriptedReply steps', () => {
  it('makes one step per model turn, leaving out steps whose tools are not offered, then answers', () => {
    const first = scriptedReply([STEPS], { model: 'm', messages: [user], tools });
    expect(first).toEqual({ content: 'Reading.', toolCalls: [{ name: 'read_file', arguments: { path: 'notes.txt' } }] });
    const second = scriptedReply([STEPS], { model: 'm', messages: [user, { role: 'assistant', content: 'Reading.' }, { role: 'tool', content: 'hello' }], tools });
    expect(second.toolCalls).toEqual([{ name: 'run_command', arguments: { argv: ['ls'] } }]);
    const done = scriptedReply([STEPS], {
      model: 'm',
      messages: [user, { role: 'assistant', content: '' }, { role: 'tool', content: 'hello' }, { role: 'assistant', content: '' }, { role: 'tool', content: '{"ok":false}' }],
      tools,
    });
    expect(done).toEqual({ content: 'Finished; last: {"ok":false}', toolCalls: [] });
  });

  it('is skipped when none of its tools is offered, so a plain chat gets the default answer', () => {
    expect(scriptedReply([STEPS], { model: 'm', messages: [user], tools: [] }).content).toMatch(/^This is a deterministic answer/);
  });

  it('starts over at a new user message', () => {
    const messages = [user, { role: 'assistant', content: '' }, { role: 'tool', content: 'x' }, { role: 'assistant', content: 'done' }, user];
    expect(scriptedReply([STEPS], { model: 'm', messages, tools }).toolCalls[0].name).toBe('read_file');
  });

  it('knows the triage script without being configured, and a caller rule takes precedence', () => {
    const task = { role: 'user', content: 'Triage issue #142 of acme-msp/client-portal.' };
    expect(scriptedReply([], { model: 'm', messages: [task], tools: ['read_file', 'list_directory'] }).toolCalls).toEqual(TRIAGE_SCRIPT.steps![0].toolCalls);
    expect(scriptedReply([{ when: 'triage', reply: 'mine' }], { model: 'm', messages: [task], tools: ['read_file'] }).content).toBe('mine');
    expect(scriptedReply([], { model: 'm', messages: [task], tools: [] }).content).toMatch(/^This is a deterministic answer/);
  });

  it("carries a rule's delayMs on each of its answers, and none for other rules", () => {
    const slow: ScriptRule = { ...STEPS, delayMs: 1500 };
    expect(scriptedReply([slow], { model: 'm', messages: [user], tools })).toMatchObject({ delayMs: 1500, toolCalls: [{ name: 'read_file' }] });
    expect(scriptedReply([{ when: 'inspect', reply: 'ok', delayMs: 10 }], { model: 'm', messages: [user], tools: [] })).toEqual({ content: 'ok', toolCalls: [], delayMs: 10 });
    expect(scriptedReply([slow], { model: 'm', messages: [{ role: 'user', content: 'hello' }], tools })).not.toHaveProperty('delayMs');
  });
});

describe('scripted tool calls on the wire', () => {
  let openai: FakeServer;
  let ollama: FakeOllama;
  beforeAll(async () => {
    [openai, ollama] = await Promise.all([startFakeOpenAI({ rules: [STEPS] }), startFakeOllama({ models: ['llama3.1:8b'], rules: [STEPS] })]);
  });
  afterAll(async () => {
    await Promise.all([openai.close(), ollama.close()]);
  });
  const fnTools = tools.map((name) => ({ type: 'function', function: { name, description: name, parameters: { type: 'object', properties: {} } } }));

  it('OpenAI: streams the steps as tool_calls deltas with finish_reason tool_calls, then the answer', async () => {
    const post = async (messages: unknown[]) => {
      const r = await fetch(`${openai.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: 'Bearer k', 'content-type': 'application/json' }, body: JSON.stringify({ model: 'gpt-4o', messages, tools: fnTools, stream: true, stream_options: { include_usage: true } }) });
      const chunks = (await r.text()).split('\n\n').filter((l) => l.startsWith('data: {')).map((l) => JSON.parse(l.slice(6)));
      const calls = chunks.flatMap((c) => c.choices[0]?.delta?.tool_calls ?? []);
      return { calls, text: chunks.map((c) => c.choices[0]?.delta?.content ?? '').join(''), finish: chunks.map((c) => c.choices[0]?.finish_reason).find(Boolean), usage: chunks.at(-1).usage };
    };
    const first = await post([user]);
    expect(first.finish).toBe('tool_calls');
    expect(first.text).toBe('Reading.');
    expect(first.calls[0]).toMatchObject({ index: 0, id: expect.stringMatching(/^call_/), type: 'function', function: { name: 'read_file', arguments: '' } });
    expect(first.calls[1]).toEqual({ index: 0, function: { arguments: '{"path":"notes.txt"}' } });
    expect(first.usage.total_tokens).toBeGreaterThan(0);
    const id = first.calls[0].id;
    const assistant = (callId: string, name: string, args: string) => ({ role: 'assistant', content: null, tool_calls: [{ id: callId, type: 'function', function: { name, arguments: args } }] });
    const second = await post([user, assistant(id, 'read_file', '{"path":"notes.txt"}'), { role: 'tool', tool_call_id: id, content: '{"ok":true}' }]);
    expect(second.calls[0].function.name).toBe('run_command');
    const id2 = second.calls[0].id;
    const done = await post([user, assistant(id, 'read_file', '{}'), { role: 'tool', tool_call_id: id, content: 'x' }, assistant(id2, 'run_command', '{}'), { role: 'tool', tool_call_id: id2, content: '{"ok":false,"error":{"code":"Forbidden"}}' }]);
    expect(done.finish).toBe('stop');
    expect(done.calls).toEqual([]);
    expect(done.text).toBe('Finished; last: {"ok":false,"error":{"code":"Forbidden"}}');
  });

  it('Ollama: streams the steps as message.tool_calls with object arguments, then the answer', async () => {
    const post = async (messages: unknown[]) => {
      const r = await fetch(`${ollama.url}/api/chat`, { method: 'POST', body: JSON.stringify({ model: 'llama3.1:8b', messages, tools: fnTools }) });
      const lines = (await r.text()).trim().split('\n').map((l) => JSON.parse(l));
      return { calls: lines.flatMap((l) => l.message?.tool_calls ?? []), text: lines.map((l) => l.message?.content ?? '').join(''), last: lines.at(-1) };
    };
    const first = await post([user]);
    expect(first.calls).toEqual([{ function: { name: 'read_file', arguments: { path: 'notes.txt' } } }]);
    expect(first.last).toMatchObject({ done: true, done_reason: 'stop' });
    const second = await post([user, { role: 'assistant', content: '', tool_calls: first.calls }, { role: 'tool', content: 'hello' }]);
    expect(second.calls.map((c: { function: { name: string } }) => c.function.name)).toEqual(['run_command']);
    const done = await post([user, { role: 'assistant', content: '', tool_calls: first.calls }, { role: 'tool', content: 'hello' }, { role: 'assistant', content: '', tool_calls: second.calls }, { role: 'tool', content: 'refused' }]);
    expect(done.calls).toEqual([]);
    expect(done.text).toBe('Finished; last: refused');
  });

  it('Ollama: a slow rule answers only after its delay', async () => {
    ollama.setRules([{ when: 'slowly', reply: 'late', delayMs: 400 }]);
    try {
      const t0 = Date.now();
      const r = await fetch(`${ollama.url}/api/chat`, { method: 'POST', body: JSON.stringify({ model: 'llama3.1:8b', messages: [{ role: 'user', content: 'answer slowly' }], stream: false }) });
      expect(((await r.json()) as { message: { content: string } }).message.content).toBe('late');
      expect(Date.now() - t0).toBeGreaterThanOrEqual(400);
    } finally {
      ollama.setRules([STEPS]);
    }
  });
});
