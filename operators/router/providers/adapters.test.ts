import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, it, expect } from 'vitest';
import { startFakeAnthropic, startFakeGemini, startFakeOllama, startFakeOpenAI, startFakeVllm, type FakeServer } from '../../../hack/fakes/index.js';
import type { ChatRequest, StreamEvent } from '../canonical.js';
import { ADAPTERS } from './index.js';
import type { StreamItem } from './types.js';
import { UpstreamFailure } from './http.js';

const req: ChatRequest = { kind: 'chat', model: 'chat', messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Say something about lanes.' }], maxTokens: 64, stream: true };

async function collect(it: AsyncIterable<StreamItem>) {
  let text = '';
  let deltas = 0;
  let done: Extract<StreamEvent, { type: 'done' }> | undefined;
  for await (const item of it) for (const ev of Array.isArray(item) ? item : [item as StreamEvent]) {
    if (ev.type === 'delta') {
      text += ev.text;
      deltas++;
    } else if (ev.type === 'done') done = ev;
  }
  return { text, deltas, done };
}

describe('provider adapters against wire-compatible fakes', () => {
  let ollama: FakeServer, anthropic: FakeServer, openai: FakeServer, gemini: FakeServer;
  beforeAll(async () => {
    [ollama, anthropic, openai, gemini] = await Promise.all([
      startFakeOllama({ models: ['llama3.1:8b', 'nomic-embed-text'] }),
      startFakeAnthropic(),
      startFakeOpenAI(),
      startFakeGemini(),
    ]);
  });
  afterAll(async () => {
    await Promise.all([ollama, anthropic, openai, gemini].map((f) => f.close()));
  });

  const cases = () => [
    { name: 'ollama', type: 'ollama' as const, baseURL: ollama.url, model: 'llama3.1:8b', path: '/api/chat' },
    { name: 'anthropic', type: 'anthropic' as const, baseURL: anthropic.url, model: 'claude-sonnet-4-5', path: '/v1/messages' },
    { name: 'openai', type: 'openai' as const, baseURL: `${openai.url}/v1`, model: 'gpt-4o-mini', path: '/v1/chat/completions' },
    { name: 'gemini', type: 'gemini' as const, baseURL: gemini.url, model: 'gemini-2.5-flash', path: '/v1beta/models/gemini-2.5-flash:streamGenerateContent' },
  ];

  it('streams a chat answer with usage from each provider', async () => {
    for (const c of cases()) {
      const events = await ADAPTERS[c.type].chat(req, { baseURL: c.baseURL, model: c.model, apiKey: 'test-key' }, new AbortController().signal);
      const r = await collect(events);
      expect(r.text.length, c.name).toBeGreaterThan(0);
      expect(r.deltas, `${c.name} streams in several chunks`).toBeGreaterThan(1);
      expect(r.done?.usage.inputTokens, c.name).toBeGreaterThan(0);
      expect(r.done?.usage.outputTokens, c.name).toBeGreaterThan(0);
      const server = { ollama, anthropic, openai, gemini }[c.name]!;
      const last = server.requests.at(-1)!;
      expect(last.path, c.name).toBe(c.path);
      expect(last.body, c.name).not.toContain('test-key');
    }
  });

  it('talks to a keyless OpenAI-compatible server (vLLM) with max_tokens', async () => {
    const vllm = await startFakeVllm({ model: 'Qwen/Qwen2.5-1.5B-Instruct' });
    try {
      const events = await ADAPTERS['openai-compatible'].chat(req, { baseURL: `${vllm.url}/v1`, model: 'Qwen/Qwen2.5-1.5B-Instruct' }, new AbortController().signal);
      const r = await collect(events);
      expect(r.text.length).toBeGreaterThan(0);
      expect(r.done?.usage.outputTokens).toBeGreaterThan(0);
      const sent = vllm.requests.at(-1)!;
      expect(sent.headers.authorization).toBeUndefined();
      expect(JSON.parse(sent.body)).toMatchObject({ max_tokens: 64, stream: true, stream_options: { include_usage: true } });
    } finally {
      await vllm.close();
    }
  });

  it('sends the key the way each API expects', () => {
    expect(anthropic.requests.at(-1)!.headers['x-api-key']).toBe('test-key');
    expect(anthropic.requests.at(-1)!.headers['anthropic-version']).toBe('2023-06-01');
    expect(openai.requests.at(-1)!.headers.authorization).toBe('Bearer test-key');
    expect(gemini.requests.at(-1)!.headers['x-goog-api-key']).toBe('test-key');
    expect(JSON.parse(anthropic.requests.at(-1)!.body)).toMatchObject({ system: 'Be brief.', max_tokens: 64, stream: true });
  });

  it('returns embeddings from ollama, openai and gemini', async () => {
    const e = { kind: 'embed' as const, model: 'e', input: ['a', 'b'] };
    const o = await ADAPTERS.ollama.embed!(e, { baseURL: ollama.url, model: 'nomic-embed-text' }, new AbortController().signal);
    expect(o.embeddings).toHaveLength(2);
    const oa = await ADAPTERS.openai.embed!(e, { baseURL: `${openai.url}/v1`, model: 'text-embedding-3-small', apiKey: 'k' }, new AbortController().signal);
    expect(oa.embeddings).toHaveLength(2);
  });

  it('speaks Gemini batchEmbedContents (the fake has no embeddings, so a one-off server answers)', async () => {
    let seen: { url?: string; key?: string; body?: unknown } = {};
    const srv = http.createServer((rq, rs) => {
      let b = '';
      rq.on('data', (c) => (b += c));
      rq.on('end', () => {
        seen = { url: rq.url, key: String(rq.headers['x-goog-api-key']), body: JSON.parse(b) };
        rs.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ embeddings: [{ values: [1, 2] }, { values: [3, 4] }] }));
      });
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(srv.address() as AddressInfo).port}`;
    const g = await ADAPTERS.gemini.embed!({ kind: 'embed', model: 'e', input: ['a', 'b'] }, { baseURL: url, model: 'text-embedding-004', apiKey: 'k' }, new AbortController().signal);
    srv.close();
    expect(g.embeddings).toEqual([[1, 2], [3, 4]]);
    expect(seen).toEqual({
      url: '/v1beta/models/text-embedding-004:batchEmbedContents',
      key: 'k',
      body: { requests: [{ model: 'models/text-embedding-004', content: { parts: [{ text: 'a' }] } }, { model: 'models/text-embedding-004', content: { parts: [{ text: 'b' }] } }] },
    });
  });

  it('classifies failures for the fallback policy', async () => {
    ollama.setFaults({ failNext: 1, errorStatus: 503 });
    await expect(ADAPTERS.ollama.chat(req, { baseURL: ollama.url, model: 'llama3.1:8b' }, new AbortController().signal)).rejects.toMatchObject({ failure: 'ServerError', status: 503 });
    anthropic.setFaults({ failNext: 1, errorStatus: 429 });
    await expect(ADAPTERS.anthropic.chat(req, { baseURL: anthropic.url, model: 'claude-sonnet-4-5', apiKey: 'k' }, new AbortController().signal)).rejects.toMatchObject({ failure: 'RateLimited' });
    await expect(ADAPTERS.ollama.chat(req, { baseURL: 'http://127.0.0.1:1', model: 'x' }, new AbortController().signal)).rejects.toMatchObject({ failure: 'Unavailable' });
    ollama.setFaults({ disconnectAfterChunks: 2 });
    const events = await ADAPTERS.ollama.chat(req, { baseURL: ollama.url, model: 'llama3.1:8b' }, new AbortController().signal);
    await expect(collect(events)).rejects.toBeInstanceOf(UpstreamFailure);
    ollama.setFaults({});
  });
});

describe('aborting an upstream call', () => {
  /** A server that answers one NDJSON line and then holds the stream open, or never answers. */
  async function hanging(answer: boolean) {
    const closed: Promise<void>[] = [];
    const server = http.createServer((req, res) => {
      closed.push(new Promise((r) => res.on('close', () => r())));
      req.resume();
      if (answer) res.writeHead(200, { 'content-type': 'application/x-ndjson' }).write('{"message":{"content":"hi"},"done":false}\n');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return { server, closed, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
  }

  it('ends a stream mid-answer and closes the provider connection', async () => {
    const h = await hanging(true);
    try {
      const attempt = new AbortController();
      const events = await ADAPTERS.ollama.chat(req, { baseURL: h.url, model: 'm' }, attempt.signal);
      const it = events[Symbol.asyncIterator]();
      // One read, one batch: the line the server sent.
      expect(await it.next()).toMatchObject({ value: [{ type: 'delta', text: 'hi' }] });
      const pending = it.next();
      attempt.abort();
      await expect(pending).rejects.toMatchObject({ failure: 'Interrupted' });
      await h.closed[0];
    } finally {
      h.server.close();
    }
  });

  it('gives up waiting for response headers', async () => {
    const h = await hanging(false);
    try {
      const attempt = new AbortController();
      const call = ADAPTERS.ollama.chat(req, { baseURL: h.url, model: 'm' }, attempt.signal);
      setTimeout(() => attempt.abort(), 20);
      await expect(call).rejects.toMatchObject({ failure: 'Timeout' });
      const aborted = new AbortController();
      aborted.abort();
      await expect(ADAPTERS.ollama.chat(req, { baseURL: h.url, model: 'm' }, aborted.signal)).rejects.toMatchObject({ failure: 'Timeout' });
    } finally {
      h.server.closeAllConnections();
      h.server.close();
    }
  });
});
