import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOllama } from '../../hack/fakes/index.js';
import { useCluster } from '../harness/cluster.js';
import { seedLaneSpecs, startLaneFixture, type LaneFixture } from './support.js';

const cluster = useCluster();
let f: LaneFixture;

beforeAll(async () => {
  f = await startLaneFixture(cluster);
});
afterAll(async () => {
  await f?.stop();
});

const chat = (model: string, extra: Record<string, unknown> = {}) => ({ model, messages: [{ role: 'user', content: 'My bank statement says...' }], ...extra });
const cloudRequests = () => f.anthropic.requests.length + f.gemini.requests.length;

async function metric(name: string, labels: Record<string, string>): Promise<number> {
  const m = await f.router.registry.getSingleMetric(name)!.get();
  return m.values.filter((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x)).reduce((n, v) => n + v.value, 0);
}

describe('a private lane', () => {
  it('refuses a cloud model, in both dialects, before anything leaves: it is not one of the lane\'s models', async () => {
    const before = cloudRequests();
    for (const model of ['claude-sonnet', 'claude-sonnet-4-5', 'gemini-2.5-flash']) {
      const o = await f.post('/api/chat', f.token.private, chat(model, { stream: false }));
      expect(o.status).toBe(404);
      const ob = await o.json() as { error: string; category: string; code: string };
      expect(ob).toMatchObject({ category: 'validation', code: 'model_not_found' });
      expect(ob.error).toContain(`model "${model}" not found in lane ${f.lane('private')}: its models are "chat", "code", "embed"`);
      const v = await f.post('/v1/chat/completions', f.token.private, chat(model, { stream: true }));
      expect(v.status).toBe(404);
      expect(((await v.json()) as { error: { type: string; code: string } }).error).toMatchObject({ type: 'invalid_request_error', code: 'model_not_found' });
    }
    expect(cloudRequests()).toBe(before);
  });

  it('cannot be given a cloud provider: the API server rejects it at admission', async () => {
    const specs = seedLaneSpecs({ id: f.id, ollama: f.ollama.url, anthropic: f.anthropic.url, gemini: f.gemini.url, routerNs: f.routerNs });
    const tampered = { ...specs.private, providers: [...specs.private.providers, specs.enterprise.providers[1]] };
    await expect(f.applyLane('private', tampered)).rejects.toThrow(/allowCloud is false, so every provider must be local/);
  });
});

describe('fallback', () => {
  it('moves on a rate-limited provider to the next one in lane order', async () => {
    f.anthropic.setFaults({ failNext: 1, errorStatus: 429 });
    const geminiBefore = f.gemini.requests.length;
    const r = await f.post('/v1/chat/completions', f.token.personal, chat('chat', { max_tokens: 32 }));
    expect(r.status).toBe(200);
    expect(f.gemini.requests.length).toBe(geminiBefore + 1);
    expect(await metric('agentlab_llm_fallbacks_total', { lane: f.lane('personal'), provider: 'claude', reason: 'RateLimited' })).toBe(1);
    f.anthropic.setFaults({});
  });

  it('never switches provider once the first token was streamed', async () => {
    const before = cloudRequests();
    f.ollama.setFaults({ disconnectAfterChunks: 2 });
    const r = await f.post('/api/chat', f.token.enterprise, chat('chat', { stream: true }));
    expect(r.status).toBe(200);
    const lines = (await r.text()).trim().split('\n').map((l) => JSON.parse(l) as { message?: { content: string }; error?: string; done?: boolean });
    expect(lines.filter((l) => l.message?.content).length).toBeGreaterThanOrEqual(1);
    expect(lines.at(-1)!.error).toMatch(/the provider failed mid-answer/);
    expect(lines.some((l) => l.done)).toBe(false);

    const v = await f.post('/v1/chat/completions', f.token.enterprise, chat('chat', { stream: true }));
    const events = (await v.text()).split('\n\n').filter(Boolean);
    expect(events.at(-2)).toMatch(/"code":"upstream_interrupted"/);
    expect(events.at(-1)).toBe('data: [DONE]');
    expect(cloudRequests()).toBe(before);
    expect(await metric('agentlab_llm_requests_total', { lane: f.lane('enterprise'), outcome: 'interrupted' })).toBe(2);
    f.ollama.setFaults({});
  });

  it('falls back when the local provider sends no first token in time', async () => {
    const specs = seedLaneSpecs({ id: f.id, ollama: f.ollama.url, anthropic: f.anthropic.url, gemini: f.gemini.url, routerNs: f.routerNs });
    const lane = await f.applyLane('impatient', { ...specs.enterprise, namespaceSelector: { matchLabels: { 'lanes.test.agentlab.dev/lane': `impatient-${f.id}` } }, fallback: { timeout: '300ms' } });
    const ns = await cluster.newNamespace('lanes-impatient');
    await cluster.request({ method: 'PATCH', path: `/api/v1/namespaces/${ns}`, contentType: 'application/merge-patch+json', body: { metadata: { labels: { 'lanes.test.agentlab.dev/lane': lane } } } });
    const { token } = await f.issueToken(ns, 'run-impatient');
    await cluster.waitFor(async () => (await f.post('/api/chat', token, chat('chat', { stream: false }))).status === 200, { what: 'impatient lane serving' });
    // Read after the wait: on a loaded machine a request of that wait may itself miss the 300 ms
    // and fall back (it still answers 200).
    const anthropicBefore = f.anthropic.requests.length;
    const timeoutsBefore = await metric('agentlab_llm_fallbacks_total', { lane, provider: 'gpu-ollama', reason: 'Timeout' });
    // Far beyond the lane's timeout: the router moves on long before the local provider answers
    // (how fast it did so is a speed figure, not this test's business).
    f.ollama.setFaults({ firstTokenDelayMs: 15_000 });
    try {
      const ollamaBefore = f.ollama.requests.length;
      const r = await f.post('/api/chat', token, chat('chat', { stream: true }));
      expect(r.status).toBe(200);
      expect((await r.text()).trim().split('\n').at(-1)).toMatch(/"done":true/);
      // The whole answer came before the slow provider's first byte (an order, not a time).
      const local = f.ollama.requests.slice(ollamaBefore).filter((q) => q.path === '/api/chat');
      expect(local).toHaveLength(1);
      expect(local[0].answeredAt, 'the local provider had sent nothing when the answer was complete').toBeUndefined();
      expect(f.anthropic.requests.length).toBe(anthropicBefore + 1);
      expect(await metric('agentlab_llm_fallbacks_total', { lane, provider: 'gpu-ollama', reason: 'Timeout' })).toBe(timeoutsBefore + 1);
    } finally {
      f.ollama.setFaults({});
    }
  });

  it('local primary down: the enterprise lane falls back to cloud, the private lane returns 503', async () => {
    const port = f.ollama.port;
    await f.ollama.close();
    try {
      const anthropicBefore = f.anthropic.requests.length;
      const e = await f.post('/api/chat', f.token.enterprise, chat('chat', { stream: false }));
      expect(e.status).toBe(200);
      expect(((await e.json()) as { message: { content: string } }).message.content.length).toBeGreaterThan(0);
      expect(f.anthropic.requests.length).toBe(anthropicBefore + 1);

      const before = cloudRequests();
      const p = await f.post('/api/chat', f.token.private, chat('chat', { stream: false }));
      expect(p.status).toBe(503);
      const body = await p.json() as { error: string; category: string };
      expect(body.category).toBe('upstream');
      // Down, or skipped because its circuit breaker opened after the failures above.
      expect(body.error).toMatch(/gpu-ollama: (Unavailable|CircuitOpen)/);
      const s = await f.post('/v1/chat/completions', f.token.private, chat('chat', { stream: true }));
      expect(s.status).toBe(503);
      expect(cloudRequests()).toBe(before);
    } finally {
      f.ollama = await startFakeOllama({ port, models: ['llama3.1:8b', 'qwen2.5-coder:7b', 'nomic-embed-text'] });
    }
  });

  it('keeps sensitive requests of the enterprise lane on local providers', async () => {
    const before = cloudRequests();
    const r = await f.post('/api/chat', f.token.enterprise, chat('claude-sonnet', { stream: false }), { 'x-agentlab-sensitive': 'true' });
    expect(r.status).toBe(403);
    expect(((await r.json()) as { error: string }).error).toContain('(sensitive data: local providers only)');
    expect(cloudRequests()).toBe(before);
  });
});
