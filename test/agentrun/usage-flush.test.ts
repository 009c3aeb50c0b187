// An AgentRun's status.usage follows the router's run usage ConfigMap when the router writes it
// (the controller watches those ConfigMaps), not only on the controller's periodic refresh (15 s
// by default, left at its default here: the fixture starts the operator as `agentlab run` does).
// The run here has ended: nothing else (its pod, its spec) changes and requeues it, and usage the
// router flushes after the end is still picked up (docs/agents.md "Usage").
import { beforeAll, describe, expect, it } from 'vitest';
import { useCluster } from '../harness/cluster.js';
import { runUsageConfigMapName } from '../../operators/model/agentrun/usage.js';
import { startAgentRunFixture, type AgentRunFixture } from './support.js';

const cluster = useCluster();
let f: AgentRunFixture;

beforeAll(async () => {
  f = await startAgentRunFixture(cluster);
});

const TRIAGE = 'Triage issue #142: read what the workspace holds and answer.';
const files = { name: 'files', files: { paths: ['/workspace'], readOnly: true } };
/** Well under the 15 s refresh, generous for one watch event and one reconcile on a loaded machine. */
const FLUSH_SEEN_MS = 8_000;

describe.runIf(cluster.nodeSimulator)('AgentRun usage from the router', () => {
  it('reaches status.usage when the router writes the run usage ConfigMap, flush after flush', async () => {
    const name = 'usage-flush';
    await f.apply(name, { task: TRIAGE, model: 'chat', tools: [files] });
    const ended = await f.waitForPhase(name, ['Succeeded', 'Failed', 'Cancelled'], 90_000);
    expect(ended.status?.phase, JSON.stringify(ended.status)).toBe('Succeeded');
    const cmName = runUsageConfigMapName(f.ns, 'AgentRun', name);
    // The router counted each call before its answer reached the runner, but writes the counts
    // every 200 ms here (5 s by default): the last call's may still be on its way as the run ends,
    // and would land on top of this test's writes below (its GET+PUT conflicting with ours and
    // retried right after), so the status would never show exactly our figures. Written now.
    await f.lanes.router.flushUsage();
    // The router's count of the run's calls has reached the status (however it got there).
    const settled = await cluster.waitFor(async () => {
      const cm = await cluster.core.readNamespacedConfigMap({ namespace: f.lanes.routerNs, name: cmName }).catch(() => undefined);
      const r = await f.get(name);
      return cm && Number(cm.data?.totalTokens ?? 0) > 0 && r.status?.usage?.totalTokens === Number(cm.data!.totalTokens) ? cm : undefined;
    }, { timeoutMs: 40_000, what: `AgentRun ${f.ns}/${name} status.usage to hold the router's count` });

    const seen = (total: number) => cluster.waitFor(async () => {
      const r = await f.get(name);
      return r.status?.usage?.totalTokens === total ? r : undefined;
    }, { timeoutMs: FLUSH_SEEN_MS, intervalMs: 100, what: `AgentRun ${f.ns}/${name} status.usage.totalTokens to be ${total} after the router's write` });
    /** A late flush as the router writes it (operators/router/usage-writer.ts): replace on the resourceVersion read. */
    const flush = async (extraPrompt: number) => {
      const cm = await cluster.core.readNamespacedConfigMap({ namespace: f.lanes.routerNs, name: cmName });
      const prompt = Number(cm.data!.promptTokens) + extraPrompt;
      const total = prompt + Number(cm.data!.completionTokens);
      await cluster.core.replaceNamespacedConfigMap({ namespace: f.lanes.routerNs, name: cmName, body: { ...cm, data: { ...cm.data, promptTokens: String(prompt), totalTokens: String(total), updatedAt: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z') } } });
      return total;
    };

    const first = await seen(await flush(100));
    expect(first.status?.phase).toBe('Succeeded');
    // The second flush right after the first was seen: a refresh that happened to pick up the
    // first is 15 s away from this one.
    const second = await seen(await flush(100));
    expect(second.status?.usage?.promptTokens).toBe(Number(settled.data!.promptTokens) + 200);
  }, 150_000);
});
