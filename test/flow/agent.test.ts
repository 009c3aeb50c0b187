// A Flow's agent node as a child AgentRun: the AgentRun controller (same operator process) runs
// the real agent runner in a simulated pod, through the lane router, against the fake Ollama.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useCluster } from '../harness/cluster.js';
import { condition, startFlowAgentFixture, type FlowAgentFixture } from './support.js';

const cluster = useCluster();
let f: FlowAgentFixture;

beforeAll(async () => {
  f = await startFlowAgentFixture(cluster);
});
afterAll(async () => {
  await f?.stop();
});

const STEP = 'ghcr.io/agentlab/step-runner:0.1.0';

describe.runIf(cluster.nodeSimulator)('Flow agent nodes', () => {
  it('runs an agent node as an owned AgentRun with its input in the task, and takes its result and usage', async () => {
    await f.applyFlow('triage', {
      params: [{ name: 'repo', value: 'agentlab' }],
      nodes: [
        { id: 'count', type: 'tool', tool: { image: STEP, args: ['sh', '-c', 'echo 3 > "$AGENTLAB_OUTPUTS_DIR/n"'] }, outputs: [{ name: 'n', type: 'number' }] },
        { id: 'summarise', type: 'agent', inputs: [{ name: 'n', from: { node: 'count', output: 'n' }, type: 'number' }], agent: { task: 'Summarise the ${inputs.n} open findings of ${params.repo}.', model: 'chat' }, outputs: [{ name: 'summary' }], timeout: '5m' },
      ],
    });
    const flow = await f.waitForPhase('triage', ['Succeeded', 'Failed'], 120_000);
    expect(flow.status?.phase, JSON.stringify(flow.status)).toBe('Succeeded');
    expect(flow.status?.plan).toEqual([
      { node: 'count', wave: 0, action: 'CreatePod', child: 'Pod/triage-count-1' },
      { node: 'summarise', wave: 1, action: 'CreateAgentRun', child: 'AgentRun/triage-summarise' },
    ]);
    const node = flow.status!.nodes!.find((n) => n.id === 'summarise')!;
    expect(node).toMatchObject({ phase: 'Succeeded', child: 'AgentRun/triage-summarise' });
    // The fake model's default answer quotes the task: the input and param were substituted.
    expect(node.outputs?.summary).toContain('Summarise the 3 open findings of agentlab.');

    const run = (await cluster.request({ path: `/apis/agentlab.dev/v1alpha1/namespaces/${f.ns}/agentruns/triage-summarise` })).json() as {
      metadata: { ownerReferences?: { kind: string; name: string; controller?: boolean }[] }; spec: { task: string }; status: { phase: string; result?: string; usage?: { totalTokens?: number; costUSD?: string } };
    };
    expect(run.metadata.ownerReferences).toEqual([expect.objectContaining({ kind: 'Flow', name: 'triage', controller: true })]);
    expect(run.spec.task).toBe('Summarise the 3 open findings of agentlab.');
    expect(run.status).toMatchObject({ phase: 'Succeeded', result: node.outputs?.summary });
    // The run's usage comes from the router's flushes (every 200 ms here, 5 s by default), which can
    // land after the run ended (docs/agents.md: once the run has ended status.usage follows each
    // flush): a run whose pod ends within one flush of its model call is Succeeded before its usage
    // shows, so it is waited for, not read at the end. Its final usage becomes the flow's, with its cost.
    const settled = await cluster.waitFor(async () => {
      const r = (await cluster.request({ path: `/apis/agentlab.dev/v1alpha1/namespaces/${f.ns}/agentruns/triage-summarise` })).json() as typeof run;
      const fl = await f.getFlow('triage');
      const n = fl.status?.nodes?.find((x) => x.id === 'summarise');
      return r.status.usage?.totalTokens && fl.status?.usage?.totalTokens === r.status.usage.totalTokens && n?.totalTokens === r.status.usage.totalTokens ? { r, fl } : undefined;
    }, { what: "the flow's usage to equal its AgentRun's", timeoutMs: 60_000 });
    expect(settled.r.status.usage!.totalTokens).toBeGreaterThan(0);
    expect(settled.fl.status?.usage?.costUSD).toBe(Number(settled.r.status.usage!.costUSD ?? 0).toFixed(6));
    expect(condition(flow, 'Ready')).toMatchObject({ status: 'True', reason: 'Succeeded' });
  }, 150_000);
});
