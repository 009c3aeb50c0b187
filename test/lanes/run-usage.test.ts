// Per-run usage, as the AgentRun controller reads it: the routers' own accounting of a run's token.
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runUsageConfigMapName, runUsageFromConfigMap, type RunUsage } from '../../operators/model/agentrun/usage.js';
import { startRouter, type Router } from '../../operators/router/server.js';
import { useCluster } from '../harness/cluster.js';
import { startLaneFixture, type LaneFixture } from './support.js';

const cluster = useCluster();
let f: LaneFixture;
let second: Router;

const startReplica = () => startRouter({ kubeConfig: cluster.kc, logger: pino({ level: 'silent' }), laneSelector: f.selector, namespace: f.routerNs, flushIntervalMs: 50, serviceAccess: cluster.serviceAccess });

beforeAll(async () => {
  f = await startLaneFixture(cluster);
  second = await startReplica();
});
afterAll(async () => {
  await second?.stop();
  await f?.stop();
});

const ask = (url: string, token: string, maxTokens = 16) => fetch(`${url}/v1/chat/completions`, {
  method: 'POST',
  headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
  body: JSON.stringify({ model: 'chat', messages: [{ role: 'user', content: 'count me' }], max_tokens: maxTokens }),
});

async function runUsage(namespace: string, run: string): Promise<RunUsage | undefined> {
  const r = await cluster.request({ path: `/api/v1/namespaces/${f.routerNs}/configmaps/${runUsageConfigMapName(namespace, 'AgentRun', run)}` });
  return r.status === 200 ? runUsageFromConfigMap(r.json()) : undefined;
}

describe('run usage', () => {
  it('two router replicas add a run\'s usage up exactly in its ConfigMap, with provider and model', async () => {
    const { token } = await f.issueToken(f.ns.personal, 'usage-twin');
    await cluster.waitFor(async () => (await ask(f.router.url, token)).status === 200 && (await ask(second.url, token)).status === 200, { what: 'both replicas know the token' });
    await Promise.all([f.router.flushUsage(), second.flushUsage()]);
    const before = (await runUsage(f.ns.personal, 'usage-twin'))!;
    expect(before).toMatchObject({ namespace: f.ns.personal, run: 'usage-twin' });

    // Both replicas write concurrently (every 200 ms and 50 ms) while the requests run.
    const results = await Promise.all(Array.from({ length: 40 }, (_, i) => ask(i % 2 ? second.url : f.router.url, token)));
    expect(results.every((r) => r.status === 200)).toBe(true);
    let prompt = 0;
    let completion = 0;
    for (const r of results) {
      const u = ((await r.json()) as { usage: { prompt_tokens: number; completion_tokens: number } }).usage;
      prompt += u.prompt_tokens;
      completion += u.completion_tokens;
    }
    await Promise.all([f.router.flushUsage(), second.flushUsage()]);
    const after = (await runUsage(f.ns.personal, 'usage-twin'))!;
    expect(after.requests - before.requests).toBe(40);
    expect(after.promptTokens - before.promptTokens).toBe(prompt);
    expect(after.completionTokens - before.completionTokens).toBe(completion);
    expect(after.totalTokens).toBe(after.promptTokens + after.completionTokens);
    expect(after.costUSD - before.costUSD).toBeCloseTo((prompt * 3 + completion * 15) / 1e6, 6); // claude-sonnet at the lane's price
    expect(after).toMatchObject({ provider: 'claude', model: 'claude-sonnet-4-5', fallbacks: 0 });

    // What kubectl shows an administrator.
    const out = await cluster.kubectl(['-n', f.routerNs, 'get', 'configmap', '-l', `agentlab.dev/usage-run=true,agentlab.dev/run-namespace=${f.ns.personal},agentlab.dev/run=usage-twin`, '-o', 'jsonpath={.items[*].data.totalTokens}']);
    expect(out.stdout.trim()).toBe(String(after.totalTokens));
  });

  it('still writes the usage of a run whose token Secret is deleted right after its last request', async () => {
    const { token, secret } = await f.issueToken(f.ns.enterprise, 'usage-gone');
    await cluster.waitFor(async () => (await ask(second.url, token)).status === 200, { what: 'token known' });
    await second.flushUsage();
    const before = (await runUsage(f.ns.enterprise, 'usage-gone'))!;
    const last = await ask(second.url, token);
    expect(last.status).toBe(200);
    const used = ((await last.json()) as { usage: { total_tokens: number } }).usage.total_tokens;
    await cluster.request({ method: 'DELETE', path: `/api/v1/namespaces/${f.ns.enterprise}/secrets/${secret}` });
    await cluster.waitFor(async () => (await ask(second.url, token)).status === 401, { what: 'token gone' });
    await second.flushUsage();
    const after = (await runUsage(f.ns.enterprise, 'usage-gone'))!;
    expect(after.requests - before.requests).toBe(1);
    expect(after.totalTokens - before.totalTokens).toBe(used);
  });

  it('refuses a request past the token Secret\'s max-tokens with 429 naming the limit, also on a router started later', async () => {
    const { token, secret } = await f.issueToken(f.ns.private, 'usage-limited', { 'agentlab.dev/max-tokens': '300' });
    await cluster.waitFor(async () => (await ask(f.router.url, token, 1)).status === 200, { what: 'token known' });
    const results = await Promise.all(Array.from({ length: 20 }, () => ask(f.router.url, token, 40)));
    const refused = results.filter((r) => r.status === 429);
    expect(refused.length).toBeGreaterThan(0);
    const err = ((await refused[0].json()) as { error: { message: string; code: string; type: string } }).error;
    expect(err).toMatchObject({ code: 'run_token_limit', type: 'insufficient_quota' });
    expect(err.message).toContain(`run ${f.ns.private}/usage-limited token budget exhausted`);
    expect(err.message).toContain(`(limit 300 tokens from agentlab.dev/max-tokens on Secret ${f.ns.private}/${secret}, the run's limits.maxTokens)`);
    await f.router.flushUsage();
    const written = (await runUsage(f.ns.private, 'usage-limited'))!;
    expect(written.totalTokens).toBeLessThanOrEqual(300);

    // A router that starts now reads the run's usage back: a request for more than what is left
    // is refused at once (one that knew nothing of the run would admit it).
    const late = await startReplica();
    try {
      const r = await ask(late.url, token, 300 - written.totalTokens + 1);
      expect(r.status).toBe(429);
      expect(((await r.json()) as { error: { message: string } }).error.message).toContain(`${written.totalTokens} of 300 used or reserved`);
    } finally {
      await late.stop();
    }
  });
});
