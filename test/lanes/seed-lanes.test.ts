import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Ollama } from 'ollama';
import OpenAI from 'openai';
import { useCluster } from '../harness/cluster.js';
import { condition, getLane, startLaneFixture, type LaneFixture } from './support.js';

const cluster = useCluster();
let f: LaneFixture;

beforeAll(async () => {
  f = await startLaneFixture(cluster);
});
afterAll(async () => {
  await f?.stop();
});

describe('the three seed lanes', () => {
  it('answer the ollama npm client, streaming and not, each from its own providers', async () => {
    const privateClient = new Ollama({ host: f.router.url, headers: { Authorization: `Bearer ${f.token.private}` } });
    const res = await privateClient.chat({ model: 'chat', messages: [{ role: 'user', content: 'How are my finances?' }] });
    expect(res.message.content.length).toBeGreaterThan(0);
    expect(res.done).toBe(true);
    expect(res.eval_count).toBeGreaterThan(0);

    const stream = await privateClient.chat({ model: 'chat', messages: [{ role: 'user', content: 'Stream, please.' }], stream: true });
    let chunks = 0;
    let text = '';
    for await (const part of stream) {
      text += part.message.content;
      chunks++;
    }
    expect(chunks).toBeGreaterThan(2);
    expect(text.length).toBeGreaterThan(0);

    const gen = await privateClient.generate({ model: 'chat', prompt: 'One word.' });
    expect(gen.response?.length).toBeGreaterThan(0);
    const emb = await privateClient.embed({ model: 'embed', input: ['a', 'b'] });
    expect(emb.embeddings).toHaveLength(2);
    const tags = await privateClient.list();
    expect(tags.models.map((m) => m.name).sort()).toEqual(['chat', 'code', 'embed']);
    expect((await privateClient.show({ model: 'chat' })).capabilities).toContain('completion');
    await expect(privateClient.show({ model: 'claude-sonnet' })).rejects.toThrow(/not found in lane/);

    expect(f.anthropic.requests).toHaveLength(0);
    expect(f.gemini.requests).toHaveLength(0);
    expect(f.ollama.requests.filter((r) => r.path === '/api/chat')).toHaveLength(3);
  });

  it('answer OpenAI-compatible clients, streaming as SSE with [DONE]', async () => {
    const r = await f.post('/v1/chat/completions', f.token.personal, { model: 'chat', messages: [{ role: 'user', content: 'Hello' }], max_tokens: 64 });
    expect(r.status).toBe(200);
    const body = await r.json() as { object: string; choices: { message: { content: string } }[]; usage: { prompt_tokens: number } };
    expect(body.object).toBe('chat.completion');
    expect(body.choices[0].message.content.length).toBeGreaterThan(0);
    expect(body.usage.prompt_tokens).toBeGreaterThan(0);
    expect(f.anthropic.requests.at(-1)!.path).toBe('/v1/messages');

    const s = await f.post('/v1/chat/completions', f.token.enterprise, { model: 'chat', messages: [{ role: 'user', content: 'Hello' }], stream: true, stream_options: { include_usage: true } });
    expect(s.headers.get('content-type')).toBe('text/event-stream');
    const text = await s.text();
    const events = text.split('\n\n').filter(Boolean);
    expect(events.at(-1)).toBe('data: [DONE]');
    const usage = JSON.parse(events.at(-2)!.slice(6)) as { usage: { completion_tokens: number }; choices: unknown[] };
    expect(usage.choices).toEqual([]);
    expect(usage.usage.completion_tokens).toBeGreaterThan(0);
    expect(f.ollama.requests.at(-1)!.path).toBe('/api/chat');

    const models = await fetch(`${f.router.url}/v1/models`, { headers: { authorization: `Bearer ${f.token.personal}` } });
    expect(((await models.json()) as { data: { id: string }[] }).data.map((m) => m.id).sort()).toEqual(['chat', 'claude-sonnet', 'code', 'embed']);
  });

  it('answer the OpenAI SDK unchanged: completions, streams, embeddings, models and typed errors', async () => {
    const openai = new OpenAI({ baseURL: `${f.router.url}/v1`, apiKey: f.token.enterprise, maxRetries: 0 });
    const c = await openai.chat.completions.create({ model: 'chat', messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Status of ticket 42?' }], max_tokens: 64 });
    expect(c.choices[0].message.content?.length).toBeGreaterThan(0);
    expect(c.usage?.total_tokens).toBeGreaterThan(0);
    const stream = await openai.chat.completions.create({ model: 'code', messages: [{ role: 'user', content: 'Write a haiku.' }], stream: true, stream_options: { include_usage: true } });
    let text = '';
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta?.content ?? '';
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text.length).toBeGreaterThan(0);
    expect(usage?.completion_tokens).toBeGreaterThan(0);
    const e = await openai.embeddings.create({ model: 'embed', input: ['a', 'b'] });
    expect(e.data.map((d) => d.index)).toEqual([0, 1]);
    const models = [];
    for await (const m of openai.models.list()) models.push(m.id);
    expect(models.sort()).toEqual(['chat', 'claude-sonnet', 'code', 'embed']);

    const priv = new OpenAI({ baseURL: `${f.router.url}/v1`, apiKey: f.token.private, maxRetries: 0 });
    const denied = await priv.chat.completions.create({ model: 'claude-sonnet', messages: [{ role: 'user', content: 'x' }] }).catch((err: unknown) => err);
    expect(denied).toBeInstanceOf(OpenAI.NotFoundError);
    expect((denied as InstanceType<typeof OpenAI.NotFoundError>).code).toBe('model_not_found');
    const anon = await new OpenAI({ baseURL: `${f.router.url}/v1`, apiKey: 'nope-nope-nope-nope', maxRetries: 0 }).models.list().catch((err: unknown) => err);
    expect(anon).toBeInstanceOf(OpenAI.AuthenticationError);
  });

  it('carry tool calls across dialects: OpenAI SDK to Claude, ollama client to Ollama', async () => {
    const tools: OpenAI.ChatCompletionTool[] = [{ type: 'function', function: { name: 'get_weather', description: 'Current weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } }];
    const openai = new OpenAI({ baseURL: `${f.router.url}/v1`, apiKey: f.token.personal, maxRetries: 0 });
    const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: 'What is the weather in Oslo?' }];
    const first = await openai.chat.completions.create({ model: 'chat', messages, tools });
    expect(first.choices[0].finish_reason).toBe('tool_calls');
    const call = first.choices[0].message.tool_calls![0] as OpenAI.ChatCompletionMessageFunctionToolCall;
    expect([call.function.name, JSON.parse(call.function.arguments)]).toEqual(['get_weather', { city: 'Oslo' }]);
    expect(f.anthropic.requests.at(-1)!.path).toBe('/v1/messages');
    const second = await openai.chat.completions.create({ model: 'chat', tools, messages: [...messages, first.choices[0].message, { role: 'tool', tool_call_id: call.id, content: '{"temperature": 4}' }] });
    expect(second.choices[0].finish_reason).toBe('stop');
    expect(second.choices[0].message.content?.length).toBeGreaterThan(0);

    const stream = await openai.chat.completions.create({ model: 'chat', messages, tools, stream: true });
    const streamed: { name?: string; args: string }[] = [];
    for await (const chunk of stream) {
      for (const tc of chunk.choices[0]?.delta?.tool_calls ?? []) {
        streamed[tc.index] ??= { args: '' };
        if (tc.function?.name) streamed[tc.index].name = tc.function.name;
        streamed[tc.index].args += tc.function?.arguments ?? '';
      }
    }
    expect(streamed.map((c) => [c.name, JSON.parse(c.args)])).toEqual([['get_weather', { city: 'Oslo' }]]);

    const ollama = new Ollama({ host: f.router.url, headers: { Authorization: `Bearer ${f.token.private}` } });
    const o = await ollama.chat({ model: 'chat', messages: [{ role: 'user', content: 'weather in Oslo?' }], tools: tools as never });
    expect(o.message.tool_calls?.map((c) => [c.function.name, c.function.arguments])).toEqual([['get_weather', { city: 'Oslo' }]]);
  });

  it('as shipped in examples/ are accepted by the API server (server-side dry run)', async () => {
    for (const name of ['enterprise', 'personal', 'private']) {
      const out = await cluster.kubectl(['apply', '--dry-run=server', '-f', `examples/lanepolicy-${name}.yaml`]);
      expect(out.stdout.trim()).toMatch(new RegExp(`^lanepolicy\\.agentlab\\.dev/${name} (created|configured|unchanged) \\(server dry run\\)$`));
    }
  });

  it('are Ready with their namespaces bound, and kubectl shows spend and readiness', async () => {
    for (const short of ['enterprise', 'personal', 'private'] as const) {
      const lane = await cluster.waitFor(async () => {
        const l = await getLane(cluster, f.lane(short));
        return condition(l, 'Ready')?.status === 'True' && (l.status?.boundNamespaces as string[] | undefined)?.includes(f.ns[short]) ? l : undefined;
      }, { what: `${short} lane Ready` });
      expect(lane.status?.namespaceCount).toBe(1);
      expect(condition(lane, 'ProvidersReady')?.status).toBe('True');
      expect(condition(lane, 'BudgetExceeded')?.status).toBe('False');
    }
    // Spend reaches the status in batches: the personal lane paid Claude for one answer.
    const personal = await cluster.waitFor(async () => {
      const l = await getLane(cluster, f.lane('personal'));
      const spend = l.status?.spend as { costUSD?: string; requests?: number } | undefined;
      return spend && (spend.requests ?? 0) >= 1 ? l : undefined;
    }, { what: 'personal lane spend' });
    expect(Number((personal.status!.spend as { costUSD: string }).costUSD)).toBeGreaterThanOrEqual(0);
    const out = await cluster.kubectl(['get', 'lanepolicies', '-l', f.selector]);
    const lines = out.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^NAME\s+CLOUD\s+NAMESPACES\s+SPEND\s+BUDGET\s+READY\s+STATUS\s+AGE$/);
    const row = lines.find((l) => l.startsWith(f.lane('personal')))!;
    expect(row).toMatch(/true\s+1\s+0\.\d\d\s+20\.00\s+True\s+/);
  });
});
