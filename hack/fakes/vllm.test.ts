import { afterEach, describe, expect, it } from 'vitest';
import type { FakeServer } from './server.js';
import { startFakeVllm, vllmOptionsFromArgs } from './vllm.js';

const servers: FakeServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});
async function vllm(opts: Parameters<typeof startFakeVllm>[0]): Promise<FakeServer> {
  const s = await startFakeVllm(opts);
  servers.push(s);
  return s;
}
const MODEL = 'Qwen/Qwen2.5-1.5B-Instruct';
const post = (s: FakeServer, path: string, body: unknown) => fetch(`${s.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
const hello = { model: MODEL, messages: [{ role: 'user', content: 'Say hello to the homelab please' }] };

/** The data fields of an SSE body, in order. */
const sseData = (text: string) => text.split('\n\n').filter((e) => e.startsWith('data: ')).map((e) => e.slice(6));

describe('fake vLLM (OpenAI-compatible server of vllm/vllm-openai v0.11)', () => {
  it('answers /health with 200 and an empty body, and lists the served model in /v1/models', async () => {
    const s = await vllm({ model: MODEL, maxModelLen: 8192 });
    const health = await fetch(`${s.url}/health`);
    expect(health.status).toBe(200);
    expect(await health.text()).toBe('');
    const models = (await (await fetch(`${s.url}/v1/models`)).json()) as { object: string; data: Record<string, unknown>[] };
    expect(models.object).toBe('list');
    expect(models.data).toEqual([expect.objectContaining({ id: MODEL, object: 'model', owned_by: 'vllm', root: MODEL, parent: null, max_model_len: 8192 })]);
  });

  it('serves the --served-model-name, not the weights path', async () => {
    const s = await vllm({ model: '/models/qwen', servedModelNames: ['qwen', 'fast'] });
    const models = (await (await fetch(`${s.url}/v1/models`)).json()) as { data: { id: string; root: string }[] };
    expect(models.data.map((m) => [m.id, m.root])).toEqual([['qwen', '/models/qwen'], ['fast', '/models/qwen']]);
    expect((await post(s, '/v1/chat/completions', { ...hello, model: 'fast' })).status).toBe(200);
    expect((await post(s, '/v1/chat/completions', { ...hello, model: '/models/qwen' })).status).toBe(404);
  });

  it('answers a chat completion without streaming, with usage', async () => {
    const s = await vllm({ model: MODEL });
    const r = await post(s, '/v1/chat/completions', hello);
    expect(r.status).toBe(200);
    const j = (await r.json()) as { object: string; model: string; choices: { message: { role: string; content: string }; finish_reason: string }[]; usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number } };
    expect(j).toMatchObject({ object: 'chat.completion', model: MODEL, choices: [{ message: { role: 'assistant' }, finish_reason: 'stop' }] });
    expect(j.choices[0].message.content).toContain('Say hello to the homelab please');
    expect(j.usage.total_tokens).toBe(j.usage.prompt_tokens + j.usage.completion_tokens);
    expect(j.usage.completion_tokens).toBeGreaterThan(0);
  });

  it('streams SSE chunks, usage in a final chunk without choices when stream_options.include_usage, then [DONE]', async () => {
    const s = await vllm({ model: MODEL });
    const r = await post(s, '/v1/chat/completions', { ...hello, stream: true, stream_options: { include_usage: true } });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const data = sseData(await r.text());
    expect(data.at(-1)).toBe('[DONE]');
    const chunks = data.slice(0, -1).map((d) => JSON.parse(d) as { object: string; choices: { delta: { role?: string; content?: string }; finish_reason: string | null }[]; usage?: { prompt_tokens: number; completion_tokens: number } });
    expect(chunks.every((c) => c.object === 'chat.completion.chunk')).toBe(true);
    expect(chunks[0].choices[0].delta).toEqual({ role: 'assistant', content: '' });
    const text = chunks.flatMap((c) => c.choices.map((ch) => ch.delta.content ?? '')).join('');
    expect(text).toContain('Say hello to the homelab please');
    expect(chunks.filter((c) => c.choices.length > 0 && (c.choices[0].delta.content ?? '') !== '').length).toBeGreaterThan(1);
    const finishes = chunks.flatMap((c) => c.choices.map((ch) => ch.finish_reason)).filter((f) => f !== null);
    expect(finishes).toEqual(['stop']);
    const last = chunks.at(-1)!;
    expect(last.choices).toEqual([]);
    expect(last.usage!.completion_tokens).toBeGreaterThan(0);
    expect(chunks.slice(0, -1).some((c) => 'usage' in c)).toBe(false);
  });

  it('sends no usage chunk without include_usage', async () => {
    const s = await vllm({ model: MODEL });
    const data = sseData(await (await post(s, '/v1/chat/completions', { ...hello, stream: true })).text());
    expect(data.at(-1)).toBe('[DONE]');
    expect(data.slice(0, -1).some((d) => 'usage' in JSON.parse(d))).toBe(false);
  });

  it("returns vLLM's 404 body for a model it does not serve", async () => {
    const s = await vllm({ model: MODEL });
    const r = await post(s, '/v1/chat/completions', { ...hello, model: 'llama3.1:8b' });
    expect(r.status).toBe(404);
    expect(await r.json()).toEqual({ error: { message: 'The model `llama3.1:8b` does not exist.', type: 'NotFoundError', param: null, code: 404 } });
  });

  it("answers FastAPI's 404 for Ollama's API, 400 for embeddings from a generative model, 405 for a wrong method", async () => {
    const s = await vllm({ model: MODEL });
    const r = await post(s, '/api/chat', hello);
    expect(r.status).toBe(404);
    expect(await r.json()).toEqual({ detail: 'Not Found' });
    const e = await post(s, '/v1/embeddings', { model: MODEL, input: 'x' });
    expect(e.status).toBe(400);
    expect(await e.json()).toEqual({ error: { message: 'The model does not support Embeddings API', type: 'BadRequestError', param: null, code: 400 } });
    const m = await fetch(`${s.url}/v1/chat/completions`);
    expect(m.status).toBe(405);
    expect(await m.json()).toEqual({ detail: 'Method Not Allowed' });
  });

  it('refuses stream_options without stream, and tools unless auto tool choice is enabled', async () => {
    const s = await vllm({ model: MODEL });
    const so = await post(s, '/v1/chat/completions', { ...hello, stream_options: { include_usage: true } });
    expect(so.status).toBe(400);
    expect(((await so.json()) as { error: { message: string; type: string } }).error).toMatchObject({ message: 'Stream options can only be defined when `stream=True`.', type: 'BadRequestError', code: 400 });
    const tools = [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object' } } }];
    const t = await post(s, '/v1/chat/completions', { ...hello, tools });
    expect(t.status).toBe(400);
    expect(((await t.json()) as { error: { message: string } }).error.message).toBe('"auto" tool choice requires --enable-auto-tool-choice and --tool-call-parser to be set');

    const withTools = await vllm({ model: MODEL, autoToolChoice: true, rules: [{ when: 'weather', toolCalls: [{ name: 'get_weather', arguments: { city: 'Oslo' } }] }] });
    const data = sseData(await (await post(withTools, '/v1/chat/completions', { model: MODEL, messages: [{ role: 'user', content: 'weather?' }], tools, stream: true })).text());
    const calls = data.slice(0, -1).flatMap((d) => (JSON.parse(d) as { choices: { delta: { tool_calls?: { function: { name: string; arguments: string } }[] }; finish_reason: string | null }[] }).choices);
    expect(calls.flatMap((c) => c.delta.tool_calls ?? []).map((c) => [c.function.name, JSON.parse(c.function.arguments)])).toEqual([['get_weather', { city: 'Oslo' }]]);
    expect(calls.map((c) => c.finish_reason).filter(Boolean)).toEqual(['tool_calls']);
  });

  it('answers the completions API the warm-up prompt uses', async () => {
    const s = await vllm({ model: MODEL });
    const r = await post(s, '/v1/completions', { model: MODEL, prompt: 'Reply with the single word ready.', max_tokens: 1 });
    expect(r.status).toBe(200);
    expect(await r.json()).toMatchObject({ object: 'text_completion', model: MODEL, choices: [{ finish_reason: 'length' }], usage: { completion_tokens: 1 } });
  });

  it('writes uvicorn access-log lines', async () => {
    const lines: string[] = [];
    const s = await vllm({ model: MODEL, log: (l) => lines.push(l) });
    await (await fetch(`${s.url}/health`)).text();
    await (await post(s, '/api/chat', hello)).text();
    await new Promise((r) => setTimeout(r, 20));
    expect(lines).toEqual([
      expect.stringMatching(/^INFO: {5}127\.0\.0\.1:\d+ - "GET \/health HTTP\/1\.1" 200 OK$/),
      expect.stringMatching(/^INFO: {5}127\.0\.0\.1:\d+ - "POST \/api\/chat HTTP\/1\.1" 404 Not Found$/),
    ]);
  });
});

describe('vllmOptionsFromArgs', () => {
  it.each([
    // As operators/modelserver/desired.ts starts it.
    [['--model', MODEL, '--served-model-name', MODEL, '--port', '8000', '--max-model-len', '8192'], { model: MODEL, servedModelNames: [MODEL], maxModelLen: 8192, autoToolChoice: false }],
    [['serve', MODEL, '--served-model-name', 'a', 'b', '--enable-auto-tool-choice', '--tool-call-parser', 'hermes'], { model: MODEL, servedModelNames: ['a', 'b'], autoToolChoice: true }],
    [['--model=/m', '--served-model-name=x'], { model: '/m', servedModelNames: ['x'], autoToolChoice: false }],
    [[], { model: 'facebook/opt-125m', autoToolChoice: false }],
  ])('%j', (args, want) => {
    expect(vllmOptionsFromArgs(args)).toEqual(want);
  });
});
