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
});

const TRIAGE = 'Triage issue #142: read what the workspace holds and answer.';
const spec = { task: TRIAGE, model: 'chat', tools: [{ name: 'files', files: { paths: ['/workspace'], readOnly: true } }], limits: { maxTurns: 10, maxTokens: 100000, timeout: '5m' } };

interface UsageConfigMap { metadata: { uid: string }; data?: Record<string, string> }

async function usageConfigMap(name: string): Promise<UsageConfigMap | undefined> {
  const r = await cluster.request({ path: `/api/v1/namespaces/${f.lanes.routerNs}/configmaps/${runUsageConfigMapName(f.ns, 'AgentRun', name)}` });
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
    // It follows the router's flushes (docs/agents.md), so one written during the run can be a
    // part of the figures: wait until it has caught up with the ConfigMap, which no longer moves.
    const settled = await cluster.waitFor(async () => {
      const [r, c] = [await f.get('reuse'), await usageConfigMap('reuse')];
      return c && r.status?.usage?.totalTokens === Number(c.data!.totalTokens) ? { r, c } : undefined;
    }, { what: 'the second run\'s status.usage to be the router\'s count for it', timeoutMs: 40_000 });
    expect(settled.c.data).toMatchObject({ requests: String(calls), runUid: second.metadata.uid });
    expect(settled.r.status!.usage!.totalTokens).toBeGreaterThan(0);
  }, 300_000);
});

describe('the router\'s token limit of a run created again under the same name', () => {
  it('does not count the deleted run\'s usage against the new run\'s limit', async () => {
    const ns = f.ns;
    const name = 'budget-again';
    // The run objects are Flows here (inert: this operator runs the AgentRun controller only), the
    // token Secrets the router reads made as their controllers make them: owned by the run.
    const createRun = async () => {
      await cluster.applyYaml(JSON.stringify({ apiVersion: 'agentlab.dev/v1alpha1', kind: 'Flow', metadata: { name, namespace: ns }, spec: { nodes: [{ id: 'ask', type: 'model', model: { prompt: 'x' } }] } }));
      return (await cluster.request({ path: `/apis/agentlab.dev/v1alpha1/namespaces/${ns}/flows/${name}` })).json() as { metadata: { uid: string } };
    };
    const token = async (uid: string, maxTokens: number) => {
      const t = `tok-${uid}-0123456789abcdef`;
      await cluster.core.createNamespacedSecret({
        namespace: ns,
        body: {
          apiVersion: 'v1', kind: 'Secret', type: 'agentlab.dev/router-token',
          metadata: { name: `${name}-router-token`, labels: { 'agentlab.dev/router-token': 'true', 'agentlab.dev/run': name }, annotations: { 'agentlab.dev/max-tokens': String(maxTokens) }, ownerReferences: [{ apiVersion: 'agentlab.dev/v1alpha1', kind: 'Flow', name, uid, controller: true }] },
          data: { token: Buffer.from(t).toString('base64') },
        },
      });
      return t;
    };
    // A request reserving little: its prompt's bytes plus one completion token.
    const ask = (t: string) => f.lanes.post('/api/chat', t, { model: 'chat', messages: [{ role: 'user', content: 'ping' }], stream: false, options: { num_predict: 1 } });
    const cm = async () => {
      const r = await cluster.request({ path: `/api/v1/namespaces/${f.lanes.routerNs}/configmaps/${runUsageConfigMapName(ns, 'Flow', name)}` });
      return r.status === 200 ? (r.json() as { data?: Record<string, string> }) : undefined;
    };

    const first = await createRun();
    const t1 = await token(first.metadata.uid, 100000);
    await cluster.waitFor(async () => (await ask(t1)).status === 200, { what: 'the router to accept the first run\'s token', timeoutMs: 20_000 });
    for (let i = 0; i < 4; i++) expect((await ask(t1)).status).toBe(200);
    const used = await cluster.waitFor(async () => {
      const c = await cm();
      return c?.data?.requests === '5' ? Number(c.data.totalTokens) : undefined;
    }, { what: 'the first run\'s 5 requests written', timeoutMs: 20_000 });

    await cluster.core.deleteNamespacedSecret({ namespace: ns, name: `${name}-router-token` });
    await cluster.request({ method: 'DELETE', path: `/apis/agentlab.dev/v1alpha1/namespaces/${ns}/flows/${name}` });
    await cluster.waitFor(async () => (await ask(t1)).status === 401, { what: 'the router to forget the first run\'s token', timeoutMs: 20_000 });

    // The new run's limit is what the deleted run used: its own first request fits; counted with
    // the deleted run's usage it would not.
    const second = await createRun();
    expect(second.metadata.uid).not.toBe(first.metadata.uid);
    const t2 = await token(second.metadata.uid, used);
    const answer = await cluster.waitFor(async () => {
      const r = await ask(t2);
      return r.status === 401 ? undefined : r;
    }, { what: 'the router to know the second run\'s token', timeoutMs: 20_000 });
    expect(answer.status, await answer.clone().text()).toBe(200);
    const after = await cluster.waitFor(async () => {
      const c = await cm();
      return c?.data?.runUid === second.metadata.uid ? c : undefined;
    }, { what: 'the second run\'s usage written', timeoutMs: 20_000 });
    expect(after.data).toMatchObject({ requests: '1', runKind: 'Flow' });
  }, 120_000);
});
