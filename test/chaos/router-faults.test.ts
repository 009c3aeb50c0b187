// The lane router while its upstreams fail: 5xx answers, a slow first token and streams cut in the
// middle, with the lane falling back from the local Ollama to Claude. Each request is charged to
// its run exactly once (requests and tokens equal what the callers were sent), a fallback happens
// only before the first token, and a stream cut after its first token is never continued by
// another provider. (test/lanes/privacy.test.ts covers each fallback rule on its own.)
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runUsageConfigMapName, runUsageFromConfigMap, type RunUsage } from '../../operators/model/agentrun/usage.js';
import { useCluster } from '../harness/cluster.js';
import { seedLaneSpecs, startLaneFixture, type LaneFixture } from '../lanes/support.js';

const cluster = useCluster();
let f: LaneFixture;
let ns: string;
let token: string;
const RUN = 'router-faults';

beforeAll(async () => {
  f = await startLaneFixture(cluster);
  const specs = seedLaneSpecs({ id: f.id, ollama: f.ollama.url, anthropic: f.anthropic.url, gemini: f.gemini.url, routerNs: f.routerNs });
  ns = await cluster.newNamespace('router-faults');
  const lane = await f.applyLane('faults', { ...specs.enterprise, namespaceSelector: { matchLabels: { 'lanes.test.agentlab.dev/lane': `faults-${f.id}` } }, fallback: { timeout: '300ms' } });
  await cluster.request({ method: 'PATCH', path: `/api/v1/namespaces/${ns}`, contentType: 'application/merge-patch+json', body: { metadata: { labels: { 'lanes.test.agentlab.dev/lane': lane } } } });
  token = (await f.issueToken(ns, RUN)).token;
  await cluster.waitFor(async () => (await ask(false)).status === 200, { what: 'the faults lane serving' });
});
afterAll(async () => {
  f?.ollama.setFaults({});
  await f?.stop();
});

const ask = (stream: boolean) => f.post('/v1/chat/completions', token, {
  model: 'chat', max_tokens: 24, messages: [{ role: 'user', content: 'count the disks' }], stream, ...(stream ? { stream_options: { include_usage: true } } : {}),
});

interface Told { tokens: number; provider: 'ollama' | 'anthropic' | 'none'; interrupted: boolean; both: boolean }

/** Sends one request and returns what the caller was told: its usage and whether the stream was cut. */
async function call(stream: boolean): Promise<Told> {
  const ollamaBefore = f.ollama.requests.length;
  const anthropicBefore = f.anthropic.requests.length;
  const r = await ask(stream);
  expect(r.status).toBe(200);
  let tokens = 0;
  let interrupted = false;
  if (!stream) {
    const u = ((await r.json()) as { usage: { prompt_tokens: number; completion_tokens: number } }).usage;
    tokens = u.prompt_tokens + u.completion_tokens;
  } else {
    for (const ev of (await r.text()).split('\n\n').filter(Boolean)) {
      const data = ev.replace(/^data: /, '');
      if (data === '[DONE]') continue;
      const chunk = JSON.parse(data) as { usage?: { prompt_tokens: number; completion_tokens: number }; error?: { code?: string } };
      if (chunk.usage) tokens = chunk.usage.prompt_tokens + chunk.usage.completion_tokens;
      if (chunk.error?.code === 'upstream_interrupted') interrupted = true;
    }
  }
  const usedAnthropic = f.anthropic.requests.length > anthropicBefore;
  const usedOllama = f.ollama.requests.length > ollamaBefore;
  return { tokens, provider: usedAnthropic ? 'anthropic' : usedOllama ? 'ollama' : 'none', interrupted, both: usedAnthropic && usedOllama };
}

async function runUsage(): Promise<RunUsage> {
  await f.router.flushUsage();
  const r = await cluster.request({ path: `/api/v1/namespaces/${f.routerNs}/configmaps/${runUsageConfigMapName(ns, 'AgentRun', RUN)}` });
  return runUsageFromConfigMap(r.json())!;
}

describe('router upstream faults while the lane falls back', () => {
  it('charges every request once, falls back only before the first token, never switches a started stream', async () => {
    const before = await runUsage();
    // Streams cut after their second chunk (first, while Ollama's circuit is closed).
    f.ollama.setFaults({ disconnectAfterChunks: 2 });
    const cut: Told[] = [];
    for (let i = 0; i < 2; i++) cut.push(await call(true));
    f.ollama.setFaults({});
    // Ollama streamed its first chunks on every request it got, so Claude on the same request would be a switch.
    const cutSwitched = cut.filter((t) => t.both).length;
    const mid = await runUsage();
    // One clean answer resets Ollama's run of failures (the fixture's circuit opens after 3).
    const answered: Told[] = [await call(false)];
    // 5xx: Ollama fails one request in three; the lane moves on to Claude before any token.
    f.ollama.setFaults({ errorRate: 0.34, errorStatus: 500 });
    for (let i = 0; i < 12; i++) answered.push(await call(i % 2 === 0));
    // Slow first token: Ollama takes 1.5 s, the lane's fallback timeout is 300 ms (or its circuit is open by now).
    f.ollama.setFaults({ firstTokenDelayMs: 1500 });
    for (let i = 0; i < 4; i++) answered.push(await call(i % 2 === 0));
    f.ollama.setFaults({});
    const after = await runUsage();

    const figures = {
      sent: answered.length + cut.length,
      counted: after.requests - before.requests,
      toldTokens: answered.reduce((n, t) => n + t.tokens, 0),
      chargedTokens: after.totalTokens - mid.totalTokens,
      viaClaude: answered.filter((t) => t.provider === 'anthropic').length,
      fallbacks: after.fallbacks - mid.fallbacks,
      cutSwitched,
      cutInterrupted: cut.filter((t) => t.interrupted).length,
    };
    console.log(`router faults: ${JSON.stringify(figures)}`);
    // Every request counted once, none twice, none lost.
    expect(figures.counted).toBe(figures.sent);
    // Answered requests: charged exactly the usage the callers were sent (a failed or abandoned
    // attempt before the first token costs nothing).
    expect(figures.chargedTokens).toBe(figures.toldTokens);
    expect(answered.every((t) => t.tokens > 0 && !t.interrupted)).toBe(true);
    // Each request that ended on Claude fell back once (the slow ones all did).
    expect(figures.viaClaude).toBeGreaterThanOrEqual(4);
    expect(figures.fallbacks).toBe(figures.viaClaude);
    // Cut streams: told so, never continued by Claude, each charged once (counted above).
    expect(figures.cutSwitched).toBe(0);
    expect(figures.cutInterrupted).toBe(2);
    expect(cut.every((t) => t.provider === 'ollama')).toBe(true);
    // Ollama answered some of the 5xx phase itself (its circuit was closed then).
    expect(answered.some((t) => t.provider === 'ollama')).toBe(true);
    expect(mid.requests - before.requests).toBe(2);
    expect(mid.totalTokens).toBeGreaterThan(before.totalTokens);
  }, 120_000);
});
