// Verify nodes through the lane router: a second model call judges a model node's answer against
// the criteria; the fake Ollama answers the question wrongly and the verifier rejects it.
import { isDeepStrictEqual } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useCluster } from '../harness/cluster.js';
import { runUsageConfigMapName, runUsageFromConfigMap } from '../../operators/model/agentrun/usage.js';
import { condition, startFlowFixture, type FlowFixture } from './support.js';

const cluster = useCluster();
let f: FlowFixture;

beforeAll(async () => {
  f = await startFlowFixture(cluster, [
    // The verifier's request carries the criteria and the answer: matched first.
    { when: 'Answer to verify', reply: '{"verdict": false, "reason": "The answer names Bergen, but the capital of Norway is Oslo."}' },
    { when: 'capital of norway', reply: 'Bergen is the capital of Norway.' },
  ]);
});
afterAll(async () => {
  await f?.stop();
});

const spec = (onReject: 'Fail' | 'Continue') => ({
  nodes: [
    { id: 'ask', type: 'model', model: { prompt: 'What is the capital of Norway?' }, outputs: [{ name: 'text' }] },
    { id: 'check', type: 'verify', verify: { target: { node: 'ask', output: 'text' }, criteria: 'Names Oslo as the capital.', onReject } },
  ],
});

describe('Flow verify nodes', () => {
  it('fails the node and the flow with the verifier\'s reason when the answer is wrong (onReject Fail)', async () => {
    await f.applyFlow('verify-fail', spec('Fail'));
    const flow = await f.waitForPhase('verify-fail', ['Succeeded', 'Failed'], 60_000);
    expect(flow.status?.phase, JSON.stringify(flow.status)).toBe('Failed');
    expect(flow.status?.plan).toEqual([{ node: 'ask', wave: 0, action: 'CallModel' }, { node: 'check', wave: 1, action: 'Verify' }]);
    expect(flow.status?.nodes).toMatchObject([
      { id: 'ask', phase: 'Succeeded', outputs: { text: 'Bergen is the capital of Norway.' } },
      { id: 'check', phase: 'Failed', health: 'Red', message: 'failed: the verifier rejected ask.text: The answer names Bergen, but the capital of Norway is Oslo.' },
    ]);
    expect(condition(flow, 'Stalled')).toMatchObject({ status: 'True', reason: 'NodeFailed', message: expect.stringContaining('node check failed: the verifier rejected ask.text') });
    const verifierCall = f.ollama.requests.find((r) => JSON.stringify(r.body).includes('Answer to verify'));
    expect(JSON.stringify(verifierCall?.body)).toContain('Bergen is the capital of Norway.');
  }, 120_000);

  it('puts what the router counted for the flow\'s token (both calls) in status.usage, with cost', async () => {
    const cmName = runUsageConfigMapName(f.ns, 'Flow', 'verify-fail');
    const counted = await cluster.waitFor(async () => {
      const r = await cluster.request({ path: `/api/v1/namespaces/${f.routerNs}/configmaps/${cmName}` });
      if (r.status !== 200) return undefined;
      const u = runUsageFromConfigMap(r.json() as { metadata?: { annotations?: Record<string, string> }; data?: Record<string, string> });
      return u && u.requests >= 2 ? u : undefined;
    }, { what: 'the router to write the flow\'s run usage', timeoutMs: 30_000 });
    const want = { promptTokens: counted.promptTokens, completionTokens: counted.completionTokens, totalTokens: counted.totalTokens, costUSD: counted.costUSD.toFixed(6) };
    // Until the router has flushed, the nodes' own counts stand in; the flow re-reads usage after it ended.
    const flow = await cluster.waitFor(async () => {
      const fl = await f.getFlow('verify-fail');
      return isDeepStrictEqual(fl.status?.usage, want) ? fl : undefined;
    }, { what: `status.usage to become ${JSON.stringify(want)}`, timeoutMs: 30_000 });
    expect(flow.status?.usage).toEqual(want);
    const nodeTokens = flow.status!.nodes!.reduce((n, x) => n + (x.totalTokens ?? 0), 0);
    expect(counted.totalTokens).toBe(nodeTokens);
  }, 120_000);

  it('records the verdict and goes on under onReject Continue', async () => {
    await f.applyFlow('verify-continue', spec('Continue'));
    const flow = await f.waitForPhase('verify-continue', ['Succeeded', 'Failed'], 60_000);
    expect(flow.status?.phase, JSON.stringify(flow.status)).toBe('Succeeded');
    expect(flow.status?.nodes?.[1]).toMatchObject({ id: 'check', phase: 'Succeeded', health: 'Yellow', outputs: { verdict: 'false', reason: 'The answer names Bergen, but the capital of Norway is Oslo.' } });
  }, 120_000);
});
