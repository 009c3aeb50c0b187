import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useCluster } from '../harness/cluster.js';
import { condition, startFlowFixture, type FlowFixture } from './support.js';

const cluster = useCluster();
let f: FlowFixture;

beforeAll(async () => {
  f = await startFlowFixture(cluster, [{ when: 'capital of norway', reply: 'Oslo is the capital of Norway.' }]);
});
afterAll(async () => {
  await f?.stop();
});

const STEP = 'ghcr.io/agentlab/step-runner:0.1.0';

describe('Flow', () => {
  it('plans without running in mode Plan: phase Planned, the plan in status and in kubectl get flows', async () => {
    await f.applyFlow('plan-only', {
      mode: 'Plan',
      nodes: [
        { id: 'a', type: 'tool', tool: { image: STEP, args: ['true'] } },
        { id: 'b', type: 'tool', tool: { image: STEP, args: ['true'] }, dependsOn: ['a'] },
      ],
    });
    const flow = await f.waitForPhase('plan-only', ['Planned'], 20_000);
    expect(flow.status).toMatchObject({
      progress: '0/2',
      planDigest: expect.stringMatching(/^sha256:[0-9a-f]{16}$/),
      plan: [{ node: 'a', wave: 0, action: 'CreatePod', child: 'Pod/plan-only-a-1' }, { node: 'b', wave: 1, action: 'CreatePod', child: 'Pod/plan-only-b-1' }],
    });
    expect(condition(flow, 'Ready')).toMatchObject({ status: 'True', reason: 'Planned' });
    const pods = (await cluster.request({ path: `/api/v1/namespaces/${f.ns}/pods?labelSelector=agentlab.dev%2Fflow%3Dplan-only` })).json() as { items: unknown[] };
    expect(pods.items).toHaveLength(0);
    const { stdout } = await cluster.kubectl(['get', 'flows', '-n', f.ns, 'plan-only']);
    const [header, row] = stdout.trim().split('\n');
    expect(header.split(/\s{2,}/)).toEqual(['NAME', 'PHASE', 'PROGRESS', 'READY', 'STATUS', 'AGE']);
    expect(row).toMatch(/^plan-only\s+Planned\s+0\/2\s+True\s+planned 2 nodes in 2 waves/);
  });

  it('stalls an invalid graph with the field path (kubectl wait --for=condition=Stalled)', async () => {
    await f.applyFlow('cycle', {
      nodes: [
        { id: 'a', type: 'tool', tool: { image: STEP, args: ['true'] }, dependsOn: ['b'] },
        { id: 'b', type: 'tool', tool: { image: STEP, args: ['true'] }, dependsOn: ['a'] },
      ],
    });
    const wait = await cluster.kubectl(['wait', '-n', f.ns, '--for=condition=Stalled', 'flow/cycle', '--timeout=30s']);
    expect(wait.stdout).toContain('flow.agentlab.dev/cycle condition met');
    const flow = await f.getFlow('cycle');
    expect(condition(flow, 'Stalled')).toMatchObject({ reason: 'InvalidGraph', message: 'invalid graph: spec.nodes: dependency cycle: a -> b -> a' });
    expect(condition(flow, 'Ready')).toMatchObject({ status: 'False', reason: 'InvalidGraph' });
    expect(flow.status?.observedGeneration).toBe(flow.metadata.generation);
  });

  it.runIf(cluster.nodeSimulator)('runs two waves of tool pods, passing a typed output into an input, to Succeeded', async () => {
    await f.applyFlow('two-waves', {
      params: [{ name: 'n', value: '20' }],
      nodes: [
        { id: 'count', type: 'tool', tool: { image: STEP, args: ['sh', '-c', 'echo ${params.n} > "$AGENTLAB_OUTPUTS_DIR/n"'] }, outputs: [{ name: 'n', type: 'number' }] },
        {
          id: 'double', type: 'tool',
          inputs: [{ name: 'x', from: { node: 'count', output: 'n' } }],
          tool: { image: STEP, args: ['sh', '-c', 'echo $((INPUT_X * 2)) > "$AGENTLAB_OUTPUTS_DIR/out"; cat "$AGENTLAB_INPUTS_DIR/x" > "$AGENTLAB_OUTPUTS_DIR/seen"'] },
          outputs: [{ name: 'out', type: 'number' }, { name: 'seen' }],
        },
      ],
    });
    const flow = await f.waitForPhase('two-waves', ['Succeeded', 'Failed'], 90_000);
    expect(flow.status?.phase, JSON.stringify(flow.status?.nodes)).toBe('Succeeded');
    expect(flow.status).toMatchObject({
      progress: '2/2',
      nodes: [
        { id: 'count', phase: 'Succeeded', health: 'Green', attempts: 1, child: 'Pod/two-waves-count-1', outputs: { n: '20' } },
        { id: 'double', phase: 'Succeeded', attempts: 1, outputs: { out: '40', seen: '20' } },
      ],
    });
    expect(condition(flow, 'Ready')).toMatchObject({ status: 'True', reason: 'Succeeded' });
    // Events are written beside the status, not before it: the last one may land after Succeeded shows.
    const want = ['NodeStarted', 'NodeSucceeded', 'FlowSucceeded'];
    const events = await cluster.waitFor(async () => {
      const e = (await cluster.request({ path: `/api/v1/namespaces/${f.ns}/events?fieldSelector=involvedObject.name%3Dtwo-waves` })).json() as { items: { reason: string }[] };
      return want.every((r) => e.items.some((x) => x.reason === r)) ? e : undefined;
    }, { what: `the events ${want.join(', ')} of two-waves` });
    expect(events.items.map((e) => e.reason)).toEqual(expect.arrayContaining(want));
  }, 120_000);

  it.runIf(cluster.nodeSimulator)('retries a failing tool node, then fails the flow naming the node', async () => {
    await f.applyFlow('failing', {
      nodes: [{ id: 'flaky', type: 'tool', retries: 1, tool: { image: STEP, args: ['sh', '-c', 'echo "cannot reach the NAS" >&2; exit 3'] }, outputs: [{ name: 'x' }] }],
    });
    const flow = await f.waitForPhase('failing', ['Failed', 'Succeeded'], 90_000);
    expect(flow.status?.phase).toBe('Failed');
    expect(flow.status?.nodes?.[0]).toMatchObject({ id: 'flaky', phase: 'Failed', health: 'Red', attempts: 2, child: 'Pod/failing-flaky-2' });
    expect(flow.status?.nodes?.[0].message).toMatch(/^failed after 2 attempts: the tool exited with code 3: .*cannot reach the NAS/);
    expect(condition(flow, 'Stalled')).toMatchObject({ status: 'True', reason: 'NodeFailed', message: expect.stringMatching(/^node flaky failed after 2 attempts/) });
    const events = (await cluster.request({ path: `/api/v1/namespaces/${f.ns}/events?fieldSelector=involvedObject.name%3Dfailing` })).json() as { items: { reason: string; type: string }[] };
    expect(events.items.filter((e) => e.reason === 'NodeRetrying')).toHaveLength(1);
  }, 120_000);

  it('answers a model node through the lane router from the fake Ollama, with its own router token', async () => {
    await f.applyFlow('ask', {
      params: [{ name: 'country', value: 'Norway' }],
      nodes: [{ id: 'ask', type: 'model', model: { prompt: 'What is the capital of ${params.country}?' }, outputs: [{ name: 'answer' }] }],
    });
    const flow = await f.waitForPhase('ask', ['Succeeded', 'Failed'], 30_000);
    expect(flow.status?.phase, JSON.stringify(flow.status?.nodes)).toBe('Succeeded');
    expect(flow.status?.nodes?.[0]).toMatchObject({ id: 'ask', phase: 'Succeeded', outputs: { answer: 'Oslo is the capital of Norway.' } });
    expect(flow.status?.nodes?.[0].totalTokens).toBeGreaterThan(0);
    expect(flow.status?.usage?.totalTokens).toBe(flow.status?.nodes?.[0].totalTokens);
    expect(f.ollama.requests.filter((r) => r.path === '/api/chat')).toHaveLength(1);
    const secret = (await cluster.request({ path: `/api/v1/namespaces/${f.ns}/secrets/ask-router-token-flow` })).json() as { type: string; metadata: { labels: Record<string, string>; annotations?: Record<string, string>; ownerReferences: { kind: string; name: string }[] } };
    expect(secret).toMatchObject({ type: 'agentlab.dev/router-token', metadata: { labels: { 'agentlab.dev/run': 'ask' }, ownerReferences: [{ kind: 'Flow', name: 'ask' }] } });
    await cluster.waitFor(async () => ((await cluster.request({ path: `/api/v1/namespaces/${f.ns}/secrets/ask-router-token-flow` })).json() as typeof secret).metadata.annotations?.['agentlab.dev/revoked'] === 'true', { what: 'the token revoked once the flow ended' });
  }, 60_000);
});
