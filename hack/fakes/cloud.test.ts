import { afterEach, describe, expect, it } from 'vitest';
import { startFakeAnthropic } from './anthropic.js';
import { startFakeGemini } from './gemini.js';
import { startFakeOpenAI } from './openai.js';
import type { FakeServer } from './server.js';

const servers: FakeServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});
async function track<T extends FakeServer>(p: Promise<T>): Promise<T> {
  const s = await p;
  servers.push(s);
  return s;
}

/** Parses an SSE body into (event, data) pairs. */
function parseSse(text: string): { event?: string; data: string }[] {
  return text
    .split(/\r?\n\r?\n/)
    .filter((b) => b.trim())
    .map((block) => {
      const out: { event?: string; data: string } = { data: '' };
      for (const line of block.split(/\r?\n/)) {
        if (line.startsWith('event: ')) out.event = line.slice(7);
        if (line.startsWith('data: ')) out.data += line.slice(6);
      }
      return out;
    });
}

const rules = [{ when: 'weather', toolCalls: [{ name: 'get_weather', arguments: { city: 'Oslo' } }] }];

describe('fake Anthropic Messages API', () => {
  const post = (s: FakeServer, body: unknown, headers: Record<string, string> = { 'x-api-key': 'k', 'anthropic-version': '2023-06-01' }) =>
    fetch(`${s.url}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

  it('requires x-api-key and answers with usage', async () => {
    const s = await track(startFakeAnthropic({ apiKey: 'k' }));
    const denied = await post(s, {}, { 'anthropic-version': '2023-06-01' });
    expect(denied.status).toBe(401);
    expect(await denied.json()).toMatchObject({ type: 'error', error: { type: 'authentication_error' } });
    const r = await post(s, { model: 'claude-sonnet-4-5', max_tokens: 100, messages: [{ role: 'user', content: 'Hello there' }] });
    const msg = (await r.json()) as { content: { type: string; text: string }[]; stop_reason: string; usage: { input_tokens: number; output_tokens: number } };
    expect(msg.stop_reason).toBe('end_turn');
    expect(msg.content[0].text).toContain('Hello there');
    expect(msg.usage.input_tokens).toBeGreaterThan(0);
    expect(msg.usage.output_tokens).toBeGreaterThan(3);
    expect(s.requests).toHaveLength(2);
  });

  it('streams the documented SSE event sequence, including tool use', async () => {
    const s = await track(startFakeAnthropic({ rules }));
    const r = await post(s, {
      model: 'claude-haiku-4-5', max_tokens: 100, stream: true,
      tools: [{ name: 'get_weather', input_schema: { type: 'object' } }],
      messages: [{ role: 'user', content: [{ type: 'text', text: 'weather in Oslo?' }] }],
    });
    expect(r.headers.get('content-type')).toContain('text/event-stream');
    const events = parseSse(await r.text());
    expect(events.map((e) => e.event)).toEqual([
      'message_start', 'ping', 'content_block_start', 'content_block_delta', 'content_block_stop', 'message_delta', 'message_stop',
    ]);
    expect(JSON.parse(events[2].data).content_block).toMatchObject({ type: 'tool_use', name: 'get_weather' });
    expect(JSON.parse(JSON.parse(events[3].data).delta.partial_json)).toEqual({ city: 'Oslo' });
    expect(JSON.parse(events[5].data)).toMatchObject({ delta: { stop_reason: 'tool_use' }, usage: { output_tokens: 12 } });
  });

  it('stops at max_tokens and 404s unknown models', async () => {
    const s = await track(startFakeAnthropic());
    const r = await post(s, { model: 'claude-sonnet-4-5', max_tokens: 2, messages: [{ role: 'user', content: 'a b c d e f' }] });
    expect(await r.json()).toMatchObject({ stop_reason: 'max_tokens', usage: { output_tokens: 2 } });
    expect((await post(s, { model: 'claude-0', max_tokens: 2, messages: [{ role: 'user', content: 'x' }] })).status).toBe(404);
    expect((await post(s, { model: 'claude-sonnet-4-5', messages: [] })).status).toBe(400);
  });

  it('injects overload errors in Anthropic shape', async () => {
    const s = await track(startFakeAnthropic({ faults: { failNext: 1, errorStatus: 529 } }));
    const r = await post(s, { model: 'claude-sonnet-4-5', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] });
    expect(r.status).toBe(529);
    expect(await r.json()).toMatchObject({ error: { type: 'overloaded_error' } });
  });
});

describe('fake OpenAI API', () => {
  const post = (s: FakeServer, path: string, body: unknown, key = 'sk-test') =>
    fetch(`${s.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) }, body: JSON.stringify(body) });

  it('requires a bearer key and lists models', async () => {
    const s = await track(startFakeOpenAI({ apiKey: 'sk-test' }));
    expect((await post(s, '/v1/chat/completions', {}, '')).status).toBe(401);
    expect((await post(s, '/v1/chat/completions', {}, 'sk-wrong')).status).toBe(401);
    const models = (await (await fetch(`${s.url}/v1/models`, { headers: { authorization: 'Bearer sk-test' } })).json()) as { data: { id: string }[] };
    expect(models.data.map((m) => m.id)).toContain('gpt-4o-mini');
  });

  it('streams chunks, usage and [DONE]', async () => {
    const s = await track(startFakeOpenAI());
    const r = await post(s, '/v1/chat/completions', { model: 'gpt-4o-mini', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'Say hello' }] });
    const events = parseSse(await r.text());
    expect(events.at(-1)?.data).toBe('[DONE]');
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e.data));
    const text = chunks.map((c) => c.choices[0]?.delta?.content ?? '').join('');
    expect(text).toContain('Say hello');
    expect(chunks.at(-2).choices[0].finish_reason).toBe('stop');
    expect(chunks.at(-1).usage.total_tokens).toBe(chunks.at(-1).usage.prompt_tokens + chunks.at(-1).usage.completion_tokens);
  });

  it('returns tool calls with JSON-string arguments', async () => {
    const s = await track(startFakeOpenAI({ rules }));
    const r = await post(s, '/v1/chat/completions', {
      model: 'gpt-4o', messages: [{ role: 'user', content: 'weather?' }],
      tools: [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object' } } }],
    });
    const body = (await r.json()) as { choices: { finish_reason: string; message: { tool_calls: { function: { arguments: string } }[] } }[] };
    expect(body.choices[0].finish_reason).toBe('tool_calls');
    expect(JSON.parse(body.choices[0].message.tool_calls[0].function.arguments)).toEqual({ city: 'Oslo' });
  });

  it('embeds deterministically', async () => {
    const s = await track(startFakeOpenAI());
    const r = (await (await post(s, '/v1/embeddings', { model: 'text-embedding-3-small', input: ['a', 'b'] })).json()) as { data: { embedding: number[] }[]; usage: { prompt_tokens: number } };
    expect(r.data).toHaveLength(2);
    expect(r.data[0].embedding).toHaveLength(1536);
    expect(r.usage.prompt_tokens).toBe(2);
  });

  it('cuts the stream after K chunks', async () => {
    const s = await track(startFakeOpenAI({ faults: { disconnectAfterChunks: 1 } }));
    const r = await post(s, '/v1/chat/completions', { model: 'gpt-4o', stream: true, messages: [{ role: 'user', content: 'many words in this question' }] });
    await expect(r.text()).rejects.toThrow();
  });
});

describe('fake Gemini API', () => {
  const url = (s: FakeServer, model: string, method: string, q = '') => `${s.url}/v1beta/models/${model}:${method}${q}`;
  const body = { contents: [{ role: 'user', parts: [{ text: 'Hello Gemini' }] }] };

  it('accepts the key as header or query and answers with usageMetadata', async () => {
    const s = await track(startFakeGemini({ apiKey: 'g' }));
    expect((await fetch(url(s, 'gemini-2.5-flash', 'generateContent'), { method: 'POST', body: JSON.stringify(body) })).status).toBe(403);
    expect((await fetch(url(s, 'gemini-2.5-flash', 'generateContent', '?key=bad'), { method: 'POST', body: JSON.stringify(body) })).status).toBe(400);
    const r = await fetch(url(s, 'gemini-2.5-flash', 'generateContent'), { method: 'POST', headers: { 'x-goog-api-key': 'g' }, body: JSON.stringify(body) });
    const j = (await r.json()) as { candidates: { content: { parts: { text: string }[] }; finishReason: string }[]; usageMetadata: { totalTokenCount: number } };
    expect(j.candidates[0].content.parts[0].text).toContain('Hello Gemini');
    expect(j.candidates[0].finishReason).toBe('STOP');
    expect(j.usageMetadata.totalTokenCount).toBeGreaterThan(0);
  });

  it('streams with alt=sse and as a JSON array', async () => {
    const s = await track(startFakeGemini());
    const sse = await fetch(url(s, 'gemini-2.5-pro', 'streamGenerateContent', '?alt=sse&key=x'), { method: 'POST', body: JSON.stringify(body) });
    const events = parseSse(await sse.text()).map((e) => JSON.parse(e.data));
    expect(events.length).toBeGreaterThan(1);
    expect(events.at(-1).usageMetadata.candidatesTokenCount).toBeGreaterThan(0);
    const arr = await fetch(url(s, 'gemini-2.5-pro', 'streamGenerateContent', '?key=x'), { method: 'POST', body: JSON.stringify(body) });
    const parsed = JSON.parse(await arr.text()) as unknown[];
    expect(parsed).toHaveLength(events.length);
  });

  it('returns function calls and 404s unknown models', async () => {
    const s = await track(startFakeGemini({ rules }));
    const r = await fetch(url(s, 'gemini-2.0-flash', 'generateContent', '?key=x'), {
      method: 'POST',
      body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'weather?' }] }], tools: [{ functionDeclarations: [{ name: 'get_weather' }] }] }),
    });
    expect(((await r.json()) as { candidates: { content: { parts: unknown[] } }[] }).candidates[0].content.parts).toEqual([{ functionCall: { name: 'get_weather', args: { city: 'Oslo' } } }]);
    expect((await fetch(url(s, 'gemini-9', 'generateContent', '?key=x'), { method: 'POST', body: JSON.stringify(body) })).status).toBe(404);
  });
});
