import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { useCluster } from '../harness/cluster.js';
import { startRouter, type Router } from '../../operators/router/server.js';
import { startLaneFixture, type LaneFixture } from './support.js';

const cluster = useCluster();
let f: LaneFixture;
let second: Router;

beforeAll(async () => {
  f = await startLaneFixture(cluster);
  second = await startRouter({ kubeConfig: cluster.kc, logger: pino({ level: 'silent' }), laneSelector: f.selector, namespace: f.routerNs, flushIntervalMs: 50, serviceAccess: cluster.serviceAccess });
});
afterAll(async () => {
  await second?.stop();
  await f?.stop();
});

describe('two router replicas', () => {
  it('add their usage up in the lane\'s ConfigMap without losing an increment', async () => {
    const lane = f.lane('personal');
    const ask = (url: string) => fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${f.token.personal}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'chat', messages: [{ role: 'user', content: 'count me' }], max_tokens: 16 }),
    });
    await cluster.waitFor(async () => (await ask(second.url)).status === 200, { what: 'second replica serving' });
    await Promise.all([f.router.flushUsage(), second.flushUsage()]);
    const read = async () => {
      const r = await cluster.request({ path: `/api/v1/namespaces/${f.routerNs}/configmaps/agentlab-lane-usage-${lane}` });
      return (r.json() as { data: Record<string, string> }).data;
    };
    const before = await read();

    // Both replicas write concurrently (flushes every 200 ms and 50 ms) while requests run.
    const results = await Promise.all(Array.from({ length: 40 }, (_, i) => ask(i % 2 ? second.url : f.router.url)));
    expect(results.every((r) => r.status === 200)).toBe(true);
    let prompt = 0;
    let completion = 0;
    for (const r of results) {
      const u = ((await r.json()) as { usage: { prompt_tokens: number; completion_tokens: number } }).usage;
      prompt += u.prompt_tokens;
      completion += u.completion_tokens;
    }
    await Promise.all([f.router.flushUsage(), second.flushUsage()]);
    const after = await read();
    expect(Number(after.requests) - Number(before.requests)).toBe(40);
    expect(Number(after.promptTokens) - Number(before.promptTokens)).toBe(prompt);
    expect(Number(after.completionTokens) - Number(before.completionTokens)).toBe(completion);
    expect(Number(after.costUSD) - Number(before.costUSD)).toBeCloseTo((prompt * 3 + completion * 15) / 1e6, 6);
  });
});
