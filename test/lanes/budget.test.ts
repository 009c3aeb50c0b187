import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { periodStart } from '../../operators/model/lanes/period.js';
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

/** Sets a lane's recorded usage, as another router replica would have written it. */
async function setSpend(lane: string, costUSD: string) {
  const body = {
    apiVersion: 'v1', kind: 'ConfigMap',
    metadata: { name: `agentlab-lane-usage-${lane}`, namespace: f.routerNs, labels: { 'agentlab.dev/lane-usage': lane } },
    data: { periodStart: periodStart('Monthly', new Date()), costUSD, promptTokens: '1000', completionTokens: '1000', requests: '10', fallbacks: '0' },
  };
  await cluster.applyYaml(JSON.stringify(body));
}

async function usageCost(lane: string): Promise<number> {
  const r = await cluster.request({ path: `/api/v1/namespaces/${f.routerNs}/configmaps/agentlab-lane-usage-${lane}` });
  return Number((r.json() as { data: { costUSD: string } }).data.costUSD);
}

const ask = (token: string, maxTokens: number) =>
  f.post('/v1/chat/completions', token, { model: 'chat', messages: [{ role: 'user', content: 'Summarise my week.' }], max_tokens: maxTokens });

describe('budgets', () => {
  it('50 concurrent requests against a nearly spent lane budget never overshoot it', async () => {
    const lane = f.lane('personal'); // $20.00 per month, onExceeded: Block
    await setSpend(lane, '19.990000');
    // The router learns the figure from its watch; a request reserving more than what is left proves it.
    await cluster.waitFor(async () => (await ask(f.token.personal, 1_000_000)).status === 429, { what: 'router sees the spend' });
    // A probe admitted before the router saw the spend was charged too: start from what is recorded.
    await f.router.flushUsage();
    const baseline = await usageCost(lane);
    expect(baseline).toBeGreaterThanOrEqual(19.99);

    const results = await Promise.all(Array.from({ length: 50 }, () => ask(f.token.personal, 100)));
    const ok = results.filter((r) => r.status === 200);
    const refused = results.filter((r) => r.status === 429);
    expect(ok.length + refused.length).toBe(50);
    expect(ok.length).toBeGreaterThan(0);
    expect(refused.length).toBeGreaterThan(0);
    const err = (await refused[0].json()) as { error: { type: string; code: string; category: string; message: string } };
    expect(err.error).toMatchObject({ type: 'insufficient_quota', code: 'budget_exceeded', category: 'budget' });
    expect(err.error.message).toMatch(new RegExp(`lane ${lane} cost budget exhausted`));
    let spent = 0;
    for (const r of ok) {
      const u = ((await r.json()) as { usage: { prompt_tokens: number; completion_tokens: number } }).usage;
      spent += (u.prompt_tokens * 3 + u.completion_tokens * 15) / 1e6; // claude-sonnet at the lane's price
    }
    expect(baseline + spent).toBeLessThanOrEqual(20);
    await f.router.flushUsage();
    expect(await usageCost(lane)).toBeLessThanOrEqual(20);
    expect(await usageCost(lane)).toBeCloseTo(baseline + spent, 6);
  });

  it('marks the lane BudgetExceeded and refuses everything once the budget is spent', async () => {
    const lane = f.lane('personal');
    await setSpend(lane, '20.000000');
    const l = await cluster.waitFor(async () => {
      const x = await getLane(cluster, lane);
      return condition(x, 'BudgetExceeded')?.status === 'True' ? x : undefined;
    }, { what: 'BudgetExceeded' });
    expect(condition(l, 'BudgetExceeded')!.message).toMatch(/^spent \$20\.00 of \$20\.00 this monthly period; requests are refused/);
    expect((l.status!.spend as { percentOfBudget: number }).percentOfBudget).toBe(100);
    expect(condition(l, 'BudgetWarning')?.status).toBe('True');
    await cluster.waitFor(async () => (await ask(f.token.personal, 1)).status === 429, { what: 'refusal' });
    const out = await cluster.kubectl(['get', 'lanepolicy', lane]);
    expect(out.stdout).toMatch(/20\.00\s+20\.00\s+True\s+spent \$20\.00 of \$20\.00/);
  });

  it('keeps an exhausted LocalOnly lane answering from its local provider', async () => {
    const lane = f.lane('enterprise'); // $50 budget, onExceeded LocalOnly (the default), Ollama first
    await setSpend(lane, '50.000000');
    await cluster.waitFor(async () => condition(await getLane(cluster, lane), 'BudgetExceeded')?.status === 'True', { what: 'enterprise BudgetExceeded' });
    const cloud = f.anthropic.requests.length;
    f.ollama.setFaults({ failNext: 1, errorStatus: 500 });
    // Local fails once: with budget left this would fall back to Claude; over budget it may not.
    const r = await ask(f.token.enterprise, 50);
    expect(r.status).toBe(502);
    expect(f.anthropic.requests.length).toBe(cloud);
    const ok = await ask(f.token.enterprise, 50);
    expect(ok.status).toBe(200);
    f.ollama.setFaults({});
  });

  it('holds a run to its token limit under 50 concurrent requests', async () => {
    const { token } = await f.issueToken(f.ns.private, 'run-limited', { 'agentlab.dev/max-tokens': '400' });
    await cluster.waitFor(async () => (await ask(token, 1)).status === 200, { what: 'token known' });
    const results = await Promise.all(Array.from({ length: 50 }, () => ask(token, 40)));
    let used = 0;
    for (const r of results.filter((x) => x.status === 200)) {
      const u = ((await r.json()) as { usage: { total_tokens: number } }).usage;
      used += u.total_tokens;
    }
    const refused = results.filter((r) => r.status === 429);
    expect(refused.length).toBeGreaterThan(0);
    expect(((await refused[0].json()) as { error: { message: string } }).error.message).toMatch(/run .*\/run-limited token budget exhausted/);
    expect(used).toBeLessThanOrEqual(400);
    const usage = await fetch(`${f.router.url}/agentlab/v1/usage`, { headers: { authorization: `Bearer ${token}` } });
    const own = (await usage.json()) as { tokensUsed: number };
    expect(own).toMatchObject({ namespace: f.ns.private, run: 'run-limited', lane: f.lane('private'), tokenLimit: 400 });
    expect(own.tokensUsed).toBeGreaterThanOrEqual(used);
    expect(own.tokensUsed).toBeLessThanOrEqual(400);
  });
});
