// An AgentRun and a Flow with the same name in one namespace are two runs: each has its own router
// token Secret, its own usage ConfigMap in the router's namespace and its own status.usage. Before
// the kind was in those names, the two shared `<name>-router-token` (the Flow used the AgentRun's
// token, so its model calls were counted as the AgentRun's) and one `run-usage-<hash>` ConfigMap,
// whose recorded UID made each run's writes reset the other's figures.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runUsageConfigMapName } from '../../operators/model/agentrun/usage.js';
import { useCluster } from '../harness/cluster.js';
import { startFlowAgentFixture, type FlowAgentFixture } from './support.js';

const cluster = useCluster();
let f: FlowAgentFixture;

beforeAll(async () => {
  f = await startFlowAgentFixture(cluster);
});
afterAll(async () => {
  await f?.stop();
});

const NAME = 'twin';
const AGENT_TASK = 'Twin-agent: list what the workspace holds and answer.';
const FLOW_PROMPT = 'Twin-flow: what is the capital of Norway?';

interface Run { metadata: { uid: string }; status?: { phase?: string; usage?: { totalTokens?: number } } }
interface UsageConfigMap { metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> }; data?: Record<string, string> }

const agentRun = async () => (await cluster.request({ path: `/apis/agentlab.dev/v1alpha1/namespaces/${f.ns}/agentruns/${NAME}` })).json() as Run;
async function usageConfigMap(kind: 'AgentRun' | 'Flow'): Promise<UsageConfigMap | undefined> {
  const r = await cluster.request({ path: `/api/v1/namespaces/${f.lanes.routerNs}/configmaps/${runUsageConfigMapName(f.ns, kind, NAME)}` });
  return r.status === 200 ? (r.json() as UsageConfigMap) : undefined;
}
/** Chat requests that reached the fake model for one of the two runs (its marker is in every prompt). */
const modelCalls = (marker: string) => f.lanes.ollama.requests.filter((r) => r.path === '/api/chat' && r.body.includes(marker)).length;

describe.runIf(cluster.nodeSimulator)('an AgentRun and a Flow with the same name', () => {
  it('each has its own token, its own usage ConfigMap and its own status.usage', async () => {
    await cluster.applyYaml(JSON.stringify({
      apiVersion: 'agentlab.dev/v1alpha1', kind: 'AgentRun', metadata: { name: NAME, namespace: f.ns },
      spec: { task: AGENT_TASK, model: 'chat', tools: [{ name: 'files', files: { paths: ['/workspace'], readOnly: true } }], limits: { maxTurns: 10, timeout: '5m' } },
    }));
    await f.applyFlow(NAME, { nodes: [{ id: 'ask', type: 'model', model: { model: 'chat', prompt: FLOW_PROMPT }, outputs: [{ name: 'answer' }] }] });

    const run = await cluster.waitFor(async () => {
      const r = await agentRun();
      return r.status?.phase && ['Succeeded', 'Failed', 'Cancelled'].includes(r.status.phase) ? r : undefined;
    }, { what: `AgentRun ${NAME} to end`, timeoutMs: 120_000 });
    expect(run.status?.phase, JSON.stringify(run.status)).toBe('Succeeded');
    const flow = await f.waitForPhase(NAME, ['Succeeded', 'Failed'], 60_000);
    expect(flow.status?.phase, JSON.stringify(flow.status?.nodes)).toBe('Succeeded');

    // Two token Secrets, each owned by its run.
    const secrets = await cluster.kubectl(['-n', f.ns, 'get', 'secrets', '-l', `agentlab.dev/run=${NAME},agentlab.dev/router-token=true`, '-o', 'jsonpath={range .items[*]}{.metadata.name}={.metadata.ownerReferences[0].kind}{"\\n"}{end}']);
    expect(secrets.stdout.trim().split('\n').sort()).toEqual([`${NAME}-router-token=AgentRun`, `${NAME}-router-token-flow=Flow`].sort());

    // The router counted each run's calls in that run's ConfigMap, recording whose they are.
    const agentCalls = modelCalls('Twin-agent');
    expect(agentCalls).toBeGreaterThan(0);
    expect(modelCalls('Twin-flow')).toBe(1);
    const [agentCm, flowCm] = await cluster.waitFor(async () => {
      await f.lanes.router.flushUsage();
      const a = await usageConfigMap('AgentRun');
      const fl = await usageConfigMap('Flow');
      return a && fl && Number(a.data?.requests) === agentCalls && Number(fl.data?.requests) === 1 ? [a, fl] as const : undefined;
    }, { what: 'each run\'s requests in its own usage ConfigMap', timeoutMs: 30_000 });
    expect(agentCm.metadata.name).not.toBe(flowCm.metadata.name);
    expect(agentCm.data).toMatchObject({ runKind: 'AgentRun', runUid: run.metadata.uid });
    expect(flowCm.data).toMatchObject({ runKind: 'Flow', runUid: (flow as unknown as Run).metadata.uid });
    expect(agentCm.metadata.labels).toMatchObject({ 'agentlab.dev/run-kind': 'AgentRun', 'agentlab.dev/run': NAME });
    expect(flowCm.metadata.labels).toMatchObject({ 'agentlab.dev/run-kind': 'Flow', 'agentlab.dev/run': NAME });

    // Each status.usage is its own ConfigMap's figures, and they stay so (no write resets the other's).
    const settled = await cluster.waitFor(async () => {
      const r = await agentRun();
      const fl = await f.getFlow(NAME);
      return r.status?.usage?.totalTokens === Number(agentCm.data!.totalTokens) && fl.status?.usage?.totalTokens === Number(flowCm.data!.totalTokens) ? { r, fl } : undefined;
    }, { what: 'each run\'s status.usage to be its own router figures', timeoutMs: 40_000 });
    expect(settled.fl.status!.usage!.totalTokens).toBe(settled.fl.status!.nodes![0].totalTokens);
    expect({ agent: (await usageConfigMap('AgentRun'))!.data!.requests, flow: (await usageConfigMap('Flow'))!.data!.requests }).toEqual({ agent: String(agentCalls), flow: '1' });
  }, 240_000);
});
