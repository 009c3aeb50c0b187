// An AgentRun deleted and created again under the same name is a new run: its usage (status.usage,
// the router's count for its token limit) starts from nothing, not from the deleted run's, whose
// run usage ConfigMap in the router's namespace has the same name (it depends on namespace/name).
import { beforeAll, describe, expect, it } from 'vitest';
import { useCluster } from '../harness/cluster.js';
import { runUsageConfigMapName } from '../../operators/model/agentrun/usage.js';
import { startAgentRunFixture, type AgentRunFixture } from './support.js';

const cluster = useCluster();
let f: AgentRunFixture;

beforeAll(async () => {
  f = await startAgentRunFixture(cluster);
}, 90_000);

const TRIAGE = 'Triage issue #142: read what the workspace holds and answer.';
const spec = { task: TRIAGE, model: 'chat', tools: [{ name: 'files', files: { paths: ['/workspace'], readOnly: true } }], limits: { maxTurns: 10, maxTokens: 100000, timeout: '5m' } };

interface UsageConfigMap { metadata: { uid: string }; data?: Record<string, string> }

async function usageConfigMap(name: string): Promise<UsageConfigMap | undefined> {
  const r = await cluster.request({ path: `/api/v1/namespaces/${f.lanes.routerNs}/configmaps/${runUsageConfigMapName(f.ns, name)}` });
  return r.status === 200 ? (r.json() as UsageConfigMap) : undefined;
}

/** The run's children are gone: by the garbage collector where one runs, else removed as it would remove them. */
async function childrenGone(name: string): Promise<void> {
  const kinds = ['pods', 'secrets', 'configmaps', 'serviceaccounts', 'networkpolicies.networking.k8s.io'];
  const selector = `agentlab.dev/run=${name}`;
  if (!cluster.controllers) {
    for (const k of kinds) await cluster.kubectl(['-n', f.ns, 'delete', k, '-l', selector, '--wait=false']);
  }
  await cluster.waitFor(async () => {
    const out = await cluster.kubectl(['-n', f.ns, 'get', kinds.join(','), '-l', selector, '-o', 'name']);
    return out.stdout.trim() === '' ? true : undefined;
  }, { what: `the children of AgentRun ${name} to be deleted`, timeoutMs: 60_000 });
}

describe.runIf(cluster.nodeSimulator)('AgentRun deleted and created again under the same name', () => {
  it('the new run counts only its own usage, not the deleted run\'s', async () => {
    await f.apply('reuse', spec);
    const first = await f.waitForPhase('reuse', ['Succeeded', 'Failed', 'Cancelled'], 90_000);
    expect(first.status?.phase, JSON.stringify(first.status)).toBe('Succeeded');
    const firstCm = await cluster.waitFor(async () => {
      const cm = await usageConfigMap('reuse');
      return Number(cm?.data?.requests ?? 0) > 0 ? cm : undefined;
    }, { what: 'the first run\'s usage in the router\'s ConfigMap', timeoutMs: 30_000 });
    const firstRequests = Number(firstCm.data!.requests);
    await cluster.waitFor(async () => ((await f.get('reuse')).status?.usage?.totalTokens ?? 0) > 0, { what: 'the first run\'s status.usage', timeoutMs: 40_000 });

    await cluster.kubectl(['-n', f.ns, 'delete', 'agentrun', 'reuse', '--wait=true', '--timeout=60s']);
    await childrenGone('reuse');

    const before = f.lanes.ollama.requests.length;
    await f.apply('reuse', spec);
    const second = await f.waitForPhase('reuse', ['Succeeded', 'Failed', 'Cancelled'], 90_000);
    expect(second.metadata.uid).not.toBe(first.metadata.uid);
    expect(second.status?.phase, JSON.stringify(second.status)).toBe('Succeeded');
    const calls = f.lanes.ollama.requests.length - before;
    expect(calls).toBeGreaterThan(0);

    // The router's figures for the name are the new run's requests only, once they are all written.
    const cm = await cluster.waitFor(async () => {
      const c = await usageConfigMap('reuse');
      return c?.data?.updatedAt && Date.parse(c.data.updatedAt) >= Date.parse(second.status!.startTime!) - 1000 && Number(c.data.requests) >= calls ? c : undefined;
    }, { what: 'the second run\'s usage in the router\'s ConfigMap', timeoutMs: 30_000 });
    expect({ requests: Number(cm.data!.requests), firstRequests }).toEqual({ requests: calls, firstRequests });
    // The router records whose figures they are: the run its token Secret is owned by.
    expect(cm.data).toMatchObject({ runKind: 'AgentRun', runUid: second.metadata.uid });

    // status.usage is the new run's: what the router counted for it, nothing of the deleted run.
    const run = await cluster.waitFor(async () => {
      const r = await f.get('reuse');
      return (r.status?.usage?.totalTokens ?? 0) > 0 ? r : undefined;
    }, { what: 'the second run\'s status.usage', timeoutMs: 40_000 });
    const settled = (await usageConfigMap('reuse'))!;
    expect(run.status!.usage!.totalTokens).toBe(Number(settled.data!.totalTokens));
  }, 300_000);
});
