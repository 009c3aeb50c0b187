import { afterEach, describe, expect, it } from 'vitest';
import { Ollama } from 'ollama';
import { parseKeepAlive, pullProgress, startFakeOllama, type FakeOllama } from './ollama.js';
import { DEFAULT_CATALOG } from './ollama-catalog.js';

let server: FakeOllama | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function start(opts: Parameters<typeof startFakeOllama>[0] = {}): Promise<Ollama> {
  server = await startFakeOllama({ pullStepDelayMs: 0, ...opts });
  return new Ollama({ host: server.url });
}

describe('fake Ollama with the real ollama client', () => {
  it('lists nothing at first, pulls with streamed progress, then lists the model', async () => {
    const client = await start();
    expect((await client.list()).models).toEqual([]);
    const statuses: string[] = [];
    let sawLayerProgress = false;
    for await (const p of await client.pull({ model: 'llama3.1:8b', stream: true })) {
      statuses.push(p.status);
      if (p.digest && p.total > 0 && p.completed === p.total) sawLayerProgress = true;
    }
    expect(statuses[0]).toBe('pulling manifest');
    expect(statuses.slice(-3)).toEqual(['verifying sha256 digest', 'writing manifest', 'success']);
    expect(statuses).toContain(`pulling ${DEFAULT_CATALOG[0].layers[0].digest.slice(7, 19)}`);
    expect(sawLayerProgress).toBe(true);
    const list = await client.list();
    expect(list.models.map((m) => m.name)).toEqual(['llama3.1:8b']);
    expect(list.models[0].digest).toMatch(/^[0-9a-f]{64}$/);
    expect(list.models[0].size).toBeGreaterThan(4_000_000_000);
    expect(list.models[0].details.family).toBe('llama');
  });

  it('pulls without streaming and normalises a missing tag to latest', async () => {
    const client = await start();
    expect(await client.pull({ model: 'nomic-embed-text', stream: false })).toEqual({ status: 'success' });
    expect(server!.installed()).toEqual(['nomic-embed-text:latest']);
  });

  it('reports an unknown model like Ollama does, streamed and not', async () => {
    const client = await start();
    await expect(client.pull({ model: 'no-such-model:1b', stream: false })).rejects.toThrow('pull model manifest: file does not exist');
    const it = await client.pull({ model: 'no-such-model:1b', stream: true });
    await expect((async () => { for await (const _ of it) { /* drain */ } })()).rejects.toThrow('file does not exist');
  });

  it('chats, streamed and not, with realistic counts and durations', async () => {
    const client = await start({ models: ['llama3.1:8b'] });
    const question = 'Why is the sky blue? Answer in one sentence please.';
    const whole = await client.chat({ model: 'llama3.1:8b', messages: [{ role: 'user', content: question }] });
    expect(whole.done).toBe(true);
    expect(whole.done_reason).toBe('stop');
    expect(whole.message.role).toBe('assistant');
    expect(whole.message.content).toContain('Why is the sky blue?');
    expect(whole.prompt_eval_count).toBeGreaterThanOrEqual(Math.ceil(question.length / 4));
    expect(whole.eval_count).toBeGreaterThan(5);
    expect(whole.load_duration).toBeGreaterThan(1_000_000_000); // cold load
    expect(whole.total_duration).toBeGreaterThan(whole.eval_duration);

    let text = '';
    let last;
    for await (const part of await client.chat({ model: 'llama3.1:8b', messages: [{ role: 'user', content: question }], stream: true })) {
      text += part.message.content;
      last = part;
    }
    expect(text).toBe(whole.message.content);
    expect(last?.done).toBe(true);
    expect(last?.load_duration).toBeLessThan(100_000_000); // warm now
    expect((await client.ps()).models.map((m) => m.name)).toEqual(['llama3.1:8b']);
  });

  it('stops at num_predict with done_reason length', async () => {
    const client = await start({ models: ['llama3.1:8b'] });
    const r = await client.generate({ model: 'llama3.1:8b', prompt: 'tell me a long story about homelabs', options: { num_predict: 3 } });
    expect(r.done_reason).toBe('length');
    expect(r.eval_count).toBe(3);
  });

  it('answers scripted rules and emits tool calls only when tools are offered', async () => {
    const client = await start({
      models: ['qwen2.5-coder:7b'],
      rules: [{ when: 'weather', reply: 'It is sunny.', toolCalls: [{ name: 'get_weather', arguments: { city: 'Oslo' } }] }],
    });
    const tools = [{ type: 'function', function: { name: 'get_weather', description: 'weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } }];
    const withTools = await client.chat({ model: 'qwen2.5-coder:7b', messages: [{ role: 'user', content: 'What is the weather in Oslo?' }], tools });
    expect(withTools.message.tool_calls).toEqual([{ function: { name: 'get_weather', arguments: { city: 'Oslo' } } }]);

    const streamed: unknown[] = [];
    for await (const p of await client.chat({ model: 'qwen2.5-coder:7b', messages: [{ role: 'user', content: 'weather?' }], tools, stream: true })) {
      if (p.message.tool_calls) streamed.push(...p.message.tool_calls);
    }
    expect(streamed).toHaveLength(1);

    const afterTool = await client.chat({
      model: 'qwen2.5-coder:7b',
      messages: [
        { role: 'user', content: 'What is the weather in Oslo?' },
        { role: 'assistant', content: '', tool_calls: withTools.message.tool_calls },
        { role: 'tool', content: '{"sky":"clear"}', tool_name: 'get_weather' },
      ],
      tools,
    });
    expect(afterTool.message.tool_calls).toBeUndefined();
    expect(afterTool.message.content).toBe('It is sunny.');

    const noTools = await client.chat({ model: 'qwen2.5-coder:7b', messages: [{ role: 'user', content: 'weather?' }] });
    expect(noTools.message.tool_calls).toBeUndefined();
    expect(noTools.message.content).toBe('It is sunny.');

    server!.setRules([{ when: 'weather', reply: 'Rain all day.' }]);
    expect((await client.chat({ model: 'qwen2.5-coder:7b', messages: [{ role: 'user', content: 'weather?' }] })).message.content).toBe('Rain all day.');
  });

  it('generates with a context and loads on an empty prompt', async () => {
    const client = await start({ models: ['llama3.2:3b'] });
    const load = await client.generate({ model: 'llama3.2:3b', prompt: '' });
    expect(load.done_reason).toBe('load');
    const g = await client.generate({ model: 'llama3.2:3b', prompt: 'hello', stream: false });
    expect(g.response).toContain('hello');
    expect(g.context.length).toBeGreaterThan(0);
  });

  it('embeds deterministically with the model dimension', async () => {
    const client = await start({ models: ['nomic-embed-text'] });
    const a = await client.embed({ model: 'nomic-embed-text', input: ['alpha', 'beta'] });
    const b = await client.embed({ model: 'nomic-embed-text', input: 'alpha' });
    expect(a.embeddings).toHaveLength(2);
    expect(a.embeddings[0]).toHaveLength(768);
    expect(b.embeddings[0]).toEqual(a.embeddings[0]);
    expect(a.embeddings[1]).not.toEqual(a.embeddings[0]);
    const norm = Math.sqrt(a.embeddings[0].reduce((s, v) => s + v * v, 0));
    expect(norm).toBeCloseTo(1, 3);
    await expect(client.chat({ model: 'nomic-embed-text', messages: [{ role: 'user', content: 'hi' }] })).rejects.toThrow('does not support chat');
  });

  it('shows and deletes models, and 404s on unknown ones', async () => {
    const client = await start({ models: ['mistral:7b'] });
    const show = await client.show({ model: 'mistral:7b' });
    expect(show.details.parameter_size).toBe('7.2B');
    expect(show.capabilities).toContain('tools');
    expect(show.modelfile).toContain('FROM');
    await expect(client.show({ model: 'llama3.1:8b' })).rejects.toMatchObject({ status_code: 404 });
    await client.delete({ model: 'mistral:7b' });
    expect((await client.list()).models).toEqual([]);
    await expect(client.delete({ model: 'mistral:7b' })).rejects.toMatchObject({ status_code: 404 });
    await expect(client.chat({ model: 'mistral:7b', messages: [{ role: 'user', content: 'x' }] })).rejects.toThrow('try pulling it first');
  });

  it('answers the root probe and the version', async () => {
    const client = await start();
    expect((await client.version()).version).toMatch(/^\d+\.\d+\.\d+$/);
    const res = await fetch(`${server!.url}/`);
    expect(await res.text()).toBe('Ollama is running');
  });

  it('rejects malformed JSON with 400 and unknown paths with 404', async () => {
    await start();
    const bad = await fetch(`${server!.url}/api/chat`, { method: 'POST', body: '{nope' });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toBeTruthy();
    expect((await fetch(`${server!.url}/api/nothing`)).status).toBe(404);
  });
});

describe('fake Ollama fault injection', () => {
  it('fails the next N requests with the chosen status, then recovers', async () => {
    const client = await start({ faults: { failNext: 2, errorStatus: 503 } });
    await expect(client.list()).rejects.toMatchObject({ status_code: 503 });
    await expect(client.list()).rejects.toMatchObject({ status_code: 503 });
    expect((await client.list()).models).toEqual([]);
  });

  it('fails a deterministic share of requests at an error rate', async () => {
    const client = await start({ faults: { errorRate: 0.5 } });
    let failed = 0;
    for (let i = 0; i < 40; i++) await client.version().catch(() => (failed += 1));
    expect(failed).toBeGreaterThan(8);
    expect(failed).toBeLessThan(32);
  });

  it('cuts a stream after K chunks', async () => {
    const client = await start({ models: ['llama3.1:8b'] });
    server!.setFaults({ disconnectAfterChunks: 2 });
    const parts: string[] = [];
    const run = async () => {
      for await (const p of await client.chat({ model: 'llama3.1:8b', messages: [{ role: 'user', content: 'a question with many words' }], stream: true })) parts.push(p.message.content);
    };
    await expect(run()).rejects.toThrow();
    expect(parts).toHaveLength(2);
  });

  it('delays the first token', async () => {
    const client = await start({ models: ['llama3.1:8b'], faults: { firstTokenDelayMs: 150 } });
    const t0 = Date.now();
    await client.chat({ model: 'llama3.1:8b', messages: [{ role: 'user', content: 'hi' }] });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(140);
  });

  it('fails the next pull mid-download and leaves the model absent', async () => {
    const client = await start({ faults: { failNextPulls: 1 } });
    const statuses: string[] = [];
    const run = async () => {
      for await (const p of await client.pull({ model: 'llama3.1:8b', stream: true })) statuses.push(p.status);
    };
    await expect(run()).rejects.toThrow('max retries exceeded');
    expect(statuses.length).toBeGreaterThan(1);
    expect(server!.installed()).toEqual([]);
    expect(await client.pull({ model: 'llama3.1:8b', stream: false })).toEqual({ status: 'success' });
  });

  it('records every request', async () => {
    const client = await start();
    await client.list();
    await client.version();
    expect(server!.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /api/tags', 'GET /api/version']);
  });
});

describe('pure helpers', () => {
  it('parses keep_alive like Ollama', () => {
    expect(parseKeepAlive('5m')).toBe(300_000);
    expect(parseKeepAlive('1h30m')).toBe(5_400_000);
    expect(parseKeepAlive(0)).toBe(0);
    expect(parseKeepAlive(-1)).toBe(Number.POSITIVE_INFINITY);
    expect(parseKeepAlive('soon')).toBeUndefined();
  });

  it('pull progress ends with success and never exceeds layer totals', () => {
    const lines = pullProgress(DEFAULT_CATALOG[0], false);
    expect(lines.at(-1)).toEqual({ status: 'success' });
    for (const l of lines) if ('completed' in l && l.completed !== undefined) expect(l.completed).toBeLessThanOrEqual(l.total!);
  });

  it('shares models between servers given the same store, like a shared volume', async () => {
    const store = new Map();
    const a = await startFakeOllama({ store, pullStepDelayMs: 0 });
    const b = await startFakeOllama({ store, pullStepDelayMs: 0 });
    try {
      await new Ollama({ host: a.url }).pull({ model: 'qwen2.5:0.5b' });
      expect((await new Ollama({ host: b.url }).list()).models.map((m) => m.name)).toEqual(['qwen2.5:0.5b']);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});
