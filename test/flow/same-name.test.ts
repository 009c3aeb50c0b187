// A Flow deleted and applied again under the same name (a Flux re-apply, a re-run by hand) is a new
// run: status.usage counts only what the router counted for the new flow's token, not the deleted
// flow's figures in the run usage ConfigMap of the same name.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useCluster } from '../harness/cluster.js';
import { runUsageConfigMapName } from '../../operators/model/agentrun/usage.js';
import { startFlowFixture, type FlowFixture } from './support.js';

const cluster = useCluster();
let f: FlowFixture;

beforeAll(async () => {
  f = await startFlowFixture(cluster);
});

afterAll(async () => {
  await f?.stop();
});

const spec = { nodes: [{ id: 'ask', type: 'model', model: { prompt: 'What is the capital of Norway?' }, outputs: [{ name: 'answer' }] }] };

async function usageConfigMap(): Promise<{ data?: Record<string, string> } | undefined> {
  const r = await cluster.request({ path: `/api/v1/namespaces/${f.routerNs}/configmaps/${runUsageConfigMapName(f.ns, 'Flow', 'again')}` });
  return r.status === 200 ? (r.json() as { data?: Record<string, string> }) : undefined;
}

describe('Flow deleted and applied again under the same name', () => {
  it('the new flow\'s status.usage is its own', async () => {
    await f.applyFlow('again', spec);
    const first = await f.waitForPhase('again', ['Succeeded', 'Failed'], 30_000);
    expect(first.status?.phase, JSON.stringify(first.status?.nodes)).toBe('Succeeded');
    await cluster.waitFor(async () => Number((await usageConfigMap())?.data?.requests ?? 0) === 1, { what: 'the first flow\'s usage in the router\'s ConfigMap', timeoutMs: 20_000 });

    await cluster.kubectl(['-n', f.ns, 'delete', 'flow', 'again', '--wait=true', '--timeout=60s']);
    // Its token Secret goes with it: by the garbage collector where one runs, else as it would.
    if (!cluster.controllers) await cluster.kubectl(['-n', f.ns, 'delete', 'secret', 'again-router-token-flow', '--ignore-not-found']);
    await cluster.waitFor(async () => (await cluster.request({ path: `/api/v1/namespaces/${f.ns}/secrets/again-router-token-flow` })).status === 404, { what: 'the deleted flow\'s token Secret gone', timeoutMs: 60_000 });

    // updatedAt has whole seconds: the second flow's writes are in a later second than the first's.
    await new Promise((r) => setTimeout(r, 1100));
    const applied = Math.floor(Date.now() / 1000) * 1000;
    await f.applyFlow('again', spec);
    const second = await f.waitForPhase('again', ['Succeeded', 'Failed'], 30_000);
    expect(second.status?.phase, JSON.stringify(second.status?.nodes)).toBe('Succeeded');
    const cm = await cluster.waitFor(async () => {
      const c = await usageConfigMap();
      return c?.data?.updatedAt && Date.parse(c.data.updatedAt) >= applied ? c : undefined;
    }, { what: 'the second flow\'s usage in the router\'s ConfigMap', timeoutMs: 20_000 });
    expect(cm.data?.requests).toBe('1');
    const nodeTokens = second.status!.nodes![0].totalTokens!;
    expect(nodeTokens).toBeGreaterThan(0);
    // Once the flow has read the router's figures (it re-reads a finished flow's usage every 10 s): one call's worth.
    const flow = await cluster.waitFor(async () => {
      const x = await f.getFlow('again');
      return x.status?.usage?.totalTokens === Number(cm.data!.totalTokens) ? x : undefined;
    }, { what: 'the second flow\'s status.usage from the router', timeoutMs: 30_000 });
    expect(flow.status!.usage!.totalTokens).toBe(nodeTokens);
  }, 150_000);
});
