// Idempotency-Key on non-streamed chat calls (ADR 0017): the operator's model calls survive its
// own death mid-call without a second upstream request or a second charge.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runUsageConfigMapName, runUsageFromConfigMap, type RunUsage } from '../../operators/model/agentrun/usage.js';
import { useCluster } from '../harness/cluster.js';
import { startLaneFixture, TOOL_RULES, type LaneFixture } from './support.js';

const cluster = useCluster();
let f: LaneFixture;

beforeAll(async () => {
  f = await startLaneFixture(cluster);
  f.ollama.setRules([{ when: 'slow idempotent question', reply: 'the one answer', delayMs: 1500 }, ...TOOL_RULES]);
});
afterAll(async () => {
  await f?.stop();
});

const chat = (content: string) => ({ model: 'chat', messages: [{ role: 'user', content }], stream: false, max_tokens: 16 });
const upstreamCalls = (marker: string) => f.ollama.requests.filter((r) => r.path === '/api/chat' && r.body.includes(marker)).length;

async function runUsage(namespace: string, run: string): Promise<RunUsage | undefined> {
  const r = await cluster.request({ path: `/api/v1/namespaces/${f.routerNs}/configmaps/${runUsageConfigMapName(namespace, 'AgentRun', run)}` });
  return r.status === 200 ? runUsageFromConfigMap(r.json()) : undefined;
}

describe('Idempotency-Key', () => {
  it('a client that disconnects mid-call and repeats with the same key gets the one answer, from one upstream request, counted once', async () => {
    const { token } = await f.issueToken(f.ns.private, 'idem-flow');
    await cluster.waitFor(async () => (await f.post('/v1/chat/completions', token, chat('ping'))).status === 200, { what: 'token known' });
    await f.router.flushUsage();
    const before = (await runUsage(f.ns.private, 'idem-flow'))!;

    const key = { 'idempotency-key': '"3f2c-uid/summarize/1"' };
    const body = chat('slow idempotent question #1');
    // The first client (an operator about to be killed) goes away while the model is thinking.
    const gone = new AbortController();
    const first = fetch(`${f.router.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, ...key }, body: JSON.stringify(body), signal: gone.signal });
    await cluster.waitFor(async () => upstreamCalls('#1') === 1, { what: 'the call reached the model' });
    gone.abort();
    await expect(first).rejects.toThrow();

    // The next operator repeats the same attempt: it waits for the first call's answer.
    const repeat = await f.post('/v1/chat/completions', token, body, key);
    expect(repeat.status).toBe(200);
    const answer = (await repeat.json()) as { choices: { message: { content: string } }[]; usage: { prompt_tokens: number; completion_tokens: number } };
    expect(answer.choices[0].message.content).toBe('the one answer');
    // And once more after it finished: replayed, byte for byte.
    const replay = await f.post('/v1/chat/completions', token, body, key);
    expect(replay.status).toBe(200);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(((await replay.json()) as typeof answer).choices[0].message.content).toBe('the one answer');
    expect(upstreamCalls('#1')).toBe(1);

    await f.router.flushUsage();
    const after = (await runUsage(f.ns.private, 'idem-flow'))!;
    expect(after.requests - before.requests).toBe(1);
    expect(after.promptTokens - before.promptTokens).toBe(answer.usage.prompt_tokens);
    expect(after.completionTokens - before.completionTokens).toBe(answer.usage.completion_tokens);
  });

  it('refuses a key reused with another body (422), a streamed call with a key (400) and a malformed key (400)', async () => {
    const key = { 'idempotency-key': 'uid-9/node/1' };
    expect((await f.post('/v1/chat/completions', f.token.private, chat('first body'), key)).status).toBe(200);
    const reused = await f.post('/v1/chat/completions', f.token.private, chat('another body'), key);
    expect(reused.status).toBe(422);
    expect(((await reused.json()) as { error: { message: string } }).error.message).toMatch(/Idempotency-Key uid-9\/node\/1 was first used with another request body/);
    const streamed = await f.post('/v1/chat/completions', f.token.private, { ...chat('first body'), stream: true }, { 'idempotency-key': 'uid-9/node/2' });
    expect(streamed.status).toBe(400);
    expect(((await streamed.json()) as { error: { message: string } }).error.message).toMatch(/non-streamed/);
    const bad = await f.post('/v1/chat/completions', f.token.private, chat('first body'), { 'idempotency-key': 'has space' });
    expect(bad.status).toBe(400);
    expect(upstreamCalls('another body')).toBe(0);
  });

  it('logs a repeat with the status it really answered and counts joins and replays', async () => {
    const replays = async () => {
      const m = await f.router.registry.getSingleMetric('agentlab_router_idempotent_replays_total')?.get();
      const of = (outcome: string) => m?.values.find((v) => v.labels.outcome === outcome)?.value ?? 0;
      return { joined: of('joined'), replayed: of('replayed') };
    };
    const logLines = (requestId: string | null) => f.routerLogs.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.requestId === requestId && l.route === 'POST /v1/chat/completions');
    const before = await replays();

    // The first call's answer is an error (a model the lane does not serve): its repeat gets that error again.
    const key = { 'idempotency-key': 'uid-404/node/1' };
    const body = { ...chat('no such model'), model: 'no-such-model' };
    const first = await f.post('/v1/chat/completions', f.token.private, body, key);
    expect(first.status).toBe(404);
    const replay = await f.post('/v1/chat/completions', f.token.private, body, key);
    expect(replay.status).toBe(404);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(logLines(first.headers.get('x-request-id'))).toEqual([expect.objectContaining({ status: 404, outcome: 'validation', code: 'model_not_found' })]);
    expect(logLines(replay.headers.get('x-request-id'))).toEqual([expect.objectContaining({ status: 404, outcome: 'replayed' })]);

    // A repeat while the first call still runs joins it.
    const joinKey = { 'idempotency-key': 'uid-join/node/1' };
    const slow = chat('slow idempotent question #2');
    const running = f.post('/v1/chat/completions', f.token.private, slow, joinKey);
    await cluster.waitFor(async () => upstreamCalls('#2') === 1, { what: 'the call reached the model' });
    const joined = await f.post('/v1/chat/completions', f.token.private, slow, joinKey);
    expect([(await running).status, joined.status]).toEqual([200, 200]);
    expect(logLines(joined.headers.get('x-request-id'))).toEqual([expect.objectContaining({ status: 200, outcome: 'joined' })]);

    expect(await replays()).toEqual({ joined: before.joined + 1, replayed: before.replayed + 1 });
  });

  it('never lets a key reach another token\'s entries', async () => {
    const key = { 'idempotency-key': 'shared-key/node/1' };
    const { token: other } = await f.issueToken(f.ns.private, 'idem-other');
    await cluster.waitFor(async () => (await f.post('/v1/chat/completions', other, chat('ping'))).status === 200, { what: 'token known' });
    expect((await f.post('/v1/chat/completions', f.token.private, chat('scoped question'), key)).status).toBe(200);
    const r = await f.post('/v1/chat/completions', other, chat('scoped question'), key);
    expect(r.status).toBe(200);
    expect(r.headers.get('idempotent-replayed')).toBeNull();
    expect(upstreamCalls('scoped question')).toBe(2);
  });
});
