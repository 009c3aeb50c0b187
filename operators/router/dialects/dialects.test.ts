import { describe, it, expect } from 'vitest';
import type { ServerResponse } from 'node:http';
import v8 from 'node:v8';
import { parseOllamaChat, parseOllamaEmbed, parseOllamaGenerate, ollamaChatSink } from './ollama.js';
import { parseOpenAIChat, parseOpenAIEmbeddings, openaiChatSink } from './openai.js';
import { budgetError, renderOllamaError, renderOpenAIError, upstreamError } from '../errors.js';


/** A ServerResponse stand-in that records what a sink writes. */
function fakeRes() {
  const out: { status?: number; headers?: Record<string, unknown>; body: string; ended: boolean } = { body: '', ended: false };
  const res = {
    headersSent: false,
    writableCorked: 0,
    writeHead(status: number, headers: Record<string, unknown>) {
      out.status = status;
      out.headers = headers;
      this.headersSent = true;
      return this;
    },
    flushHeaders() {},
    cork() {},
    uncork() {},
    write(s: string) {
      out.body += s;
      return true;
    },
    end(s?: string) {
      if (s) out.body += s;
      out.ended = true;
    },
  };
  return { res: res as unknown as ServerResponse, out };
}

describe('Ollama dialect', () => {
  it('parses chat with options and streams by default', () => {
    expect(parseOllamaChat({ model: 'chat', messages: [{ role: 'user', content: 'hi' }], options: { num_predict: 64, temperature: 0.2, stop: 'x' } }))
      .toEqual({ kind: 'chat', model: 'chat', messages: [{ role: 'user', content: 'hi' }], stream: true, maxTokens: 64, temperature: 0.2, stop: ['x'] });
    expect(parseOllamaChat({ model: 'chat', messages: [], stream: false, options: { num_predict: -1 } })).toEqual({ kind: 'chat', model: 'chat', messages: [], stream: false });
  });

  it('turns generate into a chat with its system prompt', () => {
    expect(parseOllamaGenerate({ model: 'm', prompt: 'p', system: 's' }).messages).toEqual([{ role: 'system', content: 's' }, { role: 'user', content: 'p' }]);
    expect(parseOllamaEmbed({ model: 'e', input: 'one' }).input).toEqual(['one']);
  });

  it.each([
    [{ messages: [] }, 'model: required string'],
    [{ model: 'm' }, 'messages: required list'],
    [{ model: 'm', messages: [{ role: 'wizard', content: 'x' }] }, 'messages[0].role: must be one of system, user, assistant, tool'],
    [{ model: 'm', messages: [], options: { temperature: 'hot' } }, 'options.temperature: must be a number >= 0'],
  ])('rejects %j with a field path', (body, message) => {
    expect(() => parseOllamaChat(body)).toThrow(message);
  });

  it('streams NDJSON chunks and a final chunk with counts', () => {
    const { res, out } = fakeRes();
    const sink = ollamaChatSink(res, { model: 'chat', stream: true, mode: 'chat', requestId: 'r1' });
    sink.start();
    sink.delta('Hel');
    sink.delta('lo');
    sink.done({ inputTokens: 5, outputTokens: 2 }, 'stop');
    const lines = out.body.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(out.headers).toMatchObject({ 'content-type': 'application/x-ndjson', 'x-request-id': 'r1' });
    expect(lines.map((l) => (l.message as { content: string }).content)).toEqual(['Hel', 'lo', '']);
    expect(lines[2]).toMatchObject({ done: true, done_reason: 'stop', prompt_eval_count: 5, eval_count: 2, model: 'chat' });
  });

  it.each(['chat', 'generate'] as const)('writes %s text chunks exactly as JSON.stringify of the chunk object', (mode) => {
    const { res, out } = fakeRes();
    const sink = ollamaChatSink(res, { model: 'llama "3"', stream: true, mode, requestId: 'r' });
    sink.start();
    const text = 'quote " backslash \\ newline \n tab \t unicode \u2028 é';
    sink.delta(text);
    sink.flush();
    const line = out.body.split('\n')[0];
    const parsed = JSON.parse(line) as { created_at: string };
    expect(parsed.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    const piece = mode === 'chat' ? { message: { role: 'assistant', content: text } } : { response: text };
    expect(line).toBe(JSON.stringify({ model: 'llama "3"', created_at: parsed.created_at, ...piece, done: false }));
  });

  it.each(['chat', 'generate'] as const)('writes the %s final chunk exactly as JSON.stringify of the final object', (mode) => {
    for (const [usage, reason, expected] of [
      [{ inputTokens: 5, outputTokens: 2 }, 'stop', 'stop'],
      [{ inputTokens: 0, outputTokens: 1e21 }, 'tool_calls', 'stop'],
      [{ inputTokens: 3, outputTokens: 64 }, 'length', 'length'],
    ] as const) {
      const { res, out } = fakeRes();
      const sink = ollamaChatSink(res, { model: 'llama "3"', stream: true, mode, requestId: 'r' });
      sink.start();
      sink.done(usage, reason);
      const line = out.body.split('\n')[0];
      const parsed = JSON.parse(line) as { created_at: string; total_duration: number };
      const piece = mode === 'chat' ? { message: { role: 'assistant', content: '' } } : { response: '' };
      expect(line).toBe(JSON.stringify({
        model: 'llama "3"', created_at: parsed.created_at, ...piece, done: true, done_reason: expected,
        total_duration: parsed.total_duration, load_duration: 0, prompt_eval_count: usage.inputTokens, prompt_eval_duration: 0, eval_count: usage.outputTokens, eval_duration: parsed.total_duration,
      }));
      expect(out.body.endsWith('\n')).toBe(true);
    }
  });

  it('writes a text chunk with the JSON literal the provider sent for its text', () => {
    const { res, out } = fakeRes();
    const sink = ollamaChatSink(res, { model: 'chat', stream: true, mode: 'chat', requestId: 'r' });
    sink.start();
    sink.delta('a < b', '"a \\u003c b"');
    sink.flush();
    const line = out.body.split('\n')[0];
    expect(line).toContain('"content":"a \\u003c b"}');
    expect((JSON.parse(line) as { message: { content: string } }).message.content).toBe('a < b');
  });

  it('answers generate non-streamed in one object', () => {
    const { res, out } = fakeRes();
    const sink = ollamaChatSink(res, { model: 'chat', stream: false, mode: 'generate', requestId: 'r' });
    sink.start();
    sink.delta('a');
    sink.delta('b');
    sink.done({ inputTokens: 1, outputTokens: 2 }, 'length');
    expect(JSON.parse(out.body)).toMatchObject({ response: 'ab', done: true, done_reason: 'length' });
    expect(out.status).toBe(200);
  });

  it('reports a mid-stream failure in the stream, and an early one as a status', () => {
    const a = fakeRes();
    const s1 = ollamaChatSink(a.res, { model: 'm', stream: true, mode: 'chat', requestId: 'r' });
    s1.start();
    s1.delta('x');
    s1.fail(upstreamError('gpu', 'died'));
    expect(JSON.parse(a.out.body.trim().split('\n')[1])).toMatchObject({ error: 'died (provider gpu) [request r]', category: 'upstream' });
    const b = fakeRes();
    ollamaChatSink(b.res, { model: 'm', stream: true, mode: 'chat', requestId: 'r' }).fail(budgetError('spent'));
    expect(b.out.status).toBe(429);
  });
});

describe('tool calls in the dialects', () => {
  const tools = [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object' } } }];

  it('gives Ollama calls ids and pairs results with them by position', () => {
    const r = parseOllamaChat({ model: 'm', tools, messages: [
      { role: 'user', content: 'weather?' },
      { role: 'assistant', content: '', tool_calls: [{ function: { name: 'get_weather', arguments: { city: 'Oslo' } } }, { function: { name: 'get_time', arguments: {} } }] },
      { role: 'tool', content: '4C' },
      { role: 'tool', content: '12:00' },
    ] });
    expect(r.tools).toEqual([{ name: 'get_weather', parameters: { type: 'object' } }]);
    const [call1, call2] = r.messages[1].toolCalls!;
    expect(r.messages.slice(2).map((m) => [m.toolCallId, m.toolName])).toEqual([[call1.id, 'get_weather'], [call2.id, 'get_time']]);
  });

  it('parses OpenAI calls and requires tool_call_id on results', () => {
    const r = parseOpenAIChat({ model: 'm', tools, messages: [
      { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Oslo"}' } }] },
      { role: 'tool', tool_call_id: 'call_1', content: '4C' },
    ] });
    expect(r.messages[0].toolCalls).toEqual([{ id: 'call_1', name: 'get_weather', arguments: { city: 'Oslo' } }]);
    expect(r.messages[1]).toMatchObject({ toolCallId: 'call_1', toolName: 'get_weather' });
    expect(() => parseOpenAIChat({ model: 'm', messages: [{ role: 'tool', content: 'x' }] })).toThrow('messages[0].tool_call_id: required for role tool');
    expect(() => parseOpenAIChat({ model: 'm', messages: [{ role: 'user', content: 'x' }], tools: [{ type: 'code_interpreter' }] })).toThrow(/^tools\[0\]: must be/);
  });

  it('renders calls as each dialect expects', () => {
    const call = { id: 'call_9', name: 'get_weather', arguments: { city: 'Oslo' } };
    const a = fakeRes();
    const o = ollamaChatSink(a.res, { model: 'chat', stream: false, mode: 'chat', requestId: 'r' });
    o.toolCall(call);
    o.done({ inputTokens: 1, outputTokens: 1 }, 'tool_calls');
    expect(JSON.parse(a.out.body)).toMatchObject({ message: { tool_calls: [{ function: { name: 'get_weather', arguments: { city: 'Oslo' } } }] }, done_reason: 'stop' });
    const b = fakeRes();
    const s = openaiChatSink(b.res, { model: 'chat', stream: false, includeUsage: false, requestId: 'r' });
    s.toolCall(call);
    s.done({ inputTokens: 1, outputTokens: 1 }, 'tool_calls');
    expect(JSON.parse(b.out.body)).toMatchObject({ choices: [{ finish_reason: 'tool_calls', message: { content: null, tool_calls: [{ id: 'call_9', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Oslo"}' } }] } }] });
  });
});

describe('OpenAI dialect', () => {
  it('parses content parts, developer role and max_completion_tokens', () => {
    expect(parseOpenAIChat({ model: 'chat', messages: [{ role: 'developer', content: 'be terse' }, { role: 'user', content: [{ type: 'text', text: 'a' }, { type: 'text', text: 'b' }] }], max_completion_tokens: 10, stream: true }))
      .toEqual({ kind: 'chat', model: 'chat', messages: [{ role: 'system', content: 'be terse' }, { role: 'user', content: 'ab' }], maxTokens: 10, stream: true });
    expect(() => parseOpenAIChat({ model: 'm', messages: [{ role: 'user', content: [{ type: 'image_url', image_url: {} }] }] })).toThrow('messages[0].content[0]: only text content parts are supported');
    expect(() => parseOpenAIEmbeddings({ model: 'm', input: [[1, 2]] })).toThrow(/token arrays are not supported/);
  });

  it('streams SSE chunks, a usage chunk when asked, and [DONE]', () => {
    const { res, out } = fakeRes();
    const sink = openaiChatSink(res, { model: 'chat', stream: true, includeUsage: true, requestId: 'r' });
    sink.start();
    sink.delta('Hi');
    sink.done({ inputTokens: 3, outputTokens: 1 }, 'stop');
    const events = out.body.split('\n\n').filter(Boolean);
    expect(events.at(-1)).toBe('data: [DONE]');
    const [first, finish, usage] = events.slice(0, 3).map((e) => JSON.parse(e.slice(6)) as { choices: { delta: unknown; finish_reason: unknown }[]; usage?: unknown; object: string });
    expect(first.object).toBe('chat.completion.chunk');
    expect(first.choices[0].delta).toEqual({ role: 'assistant', content: 'Hi' });
    expect(finish.choices[0].finish_reason).toBe('stop');
    expect(usage).toMatchObject({ choices: [], usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 } });
  });

  it('renders errors with type, code and the request id', () => {
    expect(renderOpenAIError(budgetError('lane x cost budget exhausted'), 'abc')).toEqual({
      status: 429,
      body: { error: { message: 'lane x cost budget exhausted [request abc]', type: 'insufficient_quota', param: null, code: 'budget_exceeded', category: 'budget', request_id: 'abc' } },
    });
    expect(renderOllamaError(upstreamError('claude', 'HTTP 500'), 'abc').body).toEqual({ error: 'HTTP 500 (provider claude) [request abc]', category: 'upstream', code: 'upstream_error', request_id: 'abc', provider: 'claude' });
  });
});


describe('flags and nesting the dialects refuse', () => {
  const msgs = [{ role: 'user', content: 'hi' }];
  it('refuses a stream flag that is not a boolean, in both dialects', () => {
    expect(() => parseOpenAIChat({ model: 'chat', messages: msgs, stream: 'yes' })).toThrow('stream: must be true or false');
    expect(() => parseOllamaChat({ model: 'chat', messages: msgs, stream: 1 })).toThrow('stream: must be true or false');
    expect(parseOpenAIChat({ model: 'chat', messages: msgs, stream: null }).stream).toBe(false);
    expect(parseOllamaChat({ model: 'chat', messages: msgs, stream: null }).stream).toBe(true);
  });

  it('refuses OpenAI tool call arguments nested deeper than the body limit, naming the field', () => {
    const deep = '{"a":'.repeat(100) + '1' + '}'.repeat(100);
    const body = { model: 'chat', messages: [{ role: 'assistant', content: null, tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: deep } }] }] };
    expect(() => parseOpenAIChat(body)).toThrow(/messages\[0\]\.tool_calls\[0\]\.function\.arguments: nests deeper than 64 levels/);
  });
});

describe('chat sinks as V8 lays them out', () => {
  // A sink is one per request. Built as a literal with an accessor (a `get started()` it had), each
  // sink was a dictionary-mode object that V8 kept reachable until a full GC, with everything its
  // closures hold (the response, the writer): every scavenge copied and promoted it (issue 16).
  // Plain literals of methods share one fast hidden class and die young.
  v8.setFlagsFromString('--allow-natives-syntax');
  const fastProperties = new Function('o', 'return %HasFastProperties(o)') as (o: object) => boolean;
  const sameMap = new Function('a', 'b', 'return %HaveSameMap(a, b)') as (a: object, b: object) => boolean;
  const sinks = {
    ollama: () => ollamaChatSink(fakeRes().res, { model: 'm', stream: true, mode: 'chat', requestId: 'r1' }),
    openai: () => openaiChatSink(fakeRes().res, { model: 'm', stream: true, includeUsage: false, requestId: 'r1' }),
  };
  for (const [dialect, make] of Object.entries(sinks)) {
    it(`${dialect}: every own property is a plain value (no getter or setter), in fast mode, one hidden class for all requests`, () => {
      const a = make();
      const b = make();
      for (const [key, d] of Object.entries(Object.getOwnPropertyDescriptors(a))) {
        expect({ key, accessor: d.get !== undefined || d.set !== undefined }).toEqual({ key, accessor: false });
      }
      expect(fastProperties(a)).toBe(true);
      expect(fastProperties(b)).toBe(true);
      expect(sameMap(a, b)).toBe(true);
    });
  }
});
