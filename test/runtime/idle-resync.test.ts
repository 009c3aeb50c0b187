import { randomBytes } from 'node:crypto';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOperator, type Operator } from '../../operators/manager.js';
import { useCluster } from '../harness/cluster.js';
import { ROUTER_PORT, ROUTER_POD_LABELS, startLaneFixture, type LaneFixture } from '../lanes/support.js';

// Every controller at steady state costs the API server nothing on a resync: the informers replay
// each object to its controller, which finds its children up to date and its status unchanged, and
// writes nothing (test/modelserver/idle-resync.test.ts does the same for ModelServer). The
// operators are started as `agentlab run` starts them (controllers loaded from their folders,
// production defaults) but with a 1 s resync period, restricted to this file's namespaces and
// LanePolicies. Each kind: one object driven to its steady state (LanePolicy Ready, AgentRun
// Succeeded with its usage, Flow Succeeded, HardwareTask Succeeded), then at least three
// resyncs counted.
const cluster = useCluster();
const logger = pino({ level: process.env.AGENTLAB_TEST_LOG_LEVEL ?? 'silent' });
const RESYNC_MS = 1000;
const STEP = 'ghcr.io/agentlab/step-runner:0.1.0';

let lanes: LaneFixture;
let laneOp: Operator;
let op: Operator;
const id = randomBytes(3).toString('hex');
const laneSelector = `idle.test.agentlab.dev/run=${id}`;
const router = () => ({ namespace: lanes.routerNs, podLabels: ROUTER_POD_LABELS, port: ROUTER_PORT });

beforeAll(async () => {
  lanes = await startLaneFixture(cluster);
  // The LanePolicy controller of its own, for a LanePolicy of this file's own (the fixture's
  // operator keeps the fixture's lanes).
  laneOp = await startOperator({ kubeConfig: cluster.kc, logger, labelSelector: laneSelector, controllers: ['lanepolicy'], router: router(), resyncPeriodMs: RESYNC_MS, serviceAccess: cluster.serviceAccess });
  // AgentRun, Flow and HardwareTask in the fixture's private lane, as `agentlab run -n ...` runs them.
  op = await startOperator({
    kubeConfig: cluster.kc, logger, namespaces: [lanes.ns.private, lanes.routerNs], labelSelector: lanes.selector,
    controllers: ['agentrun', 'flow', 'hardwaretask'], router: router(), routerUrl: lanes.router.url,
    resyncPeriodMs: RESYNC_MS, serviceAccess: cluster.serviceAccess,
  });
});

afterAll(async () => {
  await op?.stop();
  await laneOp?.stop();
  await cluster.request({ method: 'DELETE', path: `/apis/agentlab.dev/v1alpha1/lanepolicies/idle-${id}` });
  await lanes?.stop();
});

/** Reconciles of one controller so far (controller_runtime_reconcile_total, every result). */
async function reconciles(o: Operator, controller: string): Promise<number> {
  const text = await o.registry.metrics();
  return [...text.matchAll(new RegExp(`^controller_runtime_reconcile_total\\{controller="${controller}",[^}]*\\} (\\d+)`, 'gm'))].reduce((a, m) => a + Number(m[1]), 0);
}

/**
 * Waits out the echoes of the last writes, then counts the operator's writes across three resyncs
 * of each controller's objects: waited for (at least three more reconciles each), not given 3.5
 * resync periods, which a loaded machine can stretch past.
 */
async function idleWrites(o: Operator, controllers: string[]): Promise<{ writes: number; reconciles: number[] }> {
  await new Promise((r) => setTimeout(r, 2 * RESYNC_MS));
  const writes0 = o.client.counter.writes;
  const counts = () => Promise.all(controllers.map((c) => reconciles(o, c)));
  const reconciles0 = await counts();
  await cluster.waitFor(async () => (await counts()).every((n, i) => n - reconciles0[i] >= 3), { what: `three resyncs of ${controllers.join(', ')}`, timeoutMs: 60_000, intervalMs: 200 });
  return { writes: o.client.counter.writes - writes0, reconciles: (await counts()).map((n, i) => n - reconciles0[i]) };
}

type Obj = { status?: { phase?: string; conditions?: { type: string; status: string }[]; usage?: { totalTokens?: number } } };
const get = async (path: string) => (await cluster.request({ path })).json() as Obj;
const ready = (o: Obj) => o.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';

describe('an idle operator across resyncs', () => {
  it('LanePolicy: a Ready lane is reconciled on every resync and costs no API write', async () => {
    await cluster.applyYaml(JSON.stringify({
      apiVersion: 'agentlab.dev/v1alpha1', kind: 'LanePolicy', metadata: { name: `idle-${id}`, labels: { 'idle.test.agentlab.dev/run': id } },
      spec: { namespaceSelector: { matchLabels: { 'idle.test.agentlab.dev/lane': id } }, allowCloud: false, providers: [{ name: 'ollama', cloud: { provider: 'ollama', baseURL: lanes.ollama.url }, models: { chat: 'llama3.1:8b' } }] },
    }));
    await cluster.waitFor(async () => ready(await get(`/apis/agentlab.dev/v1alpha1/lanepolicies/idle-${id}`)), { what: `LanePolicy idle-${id} Ready`, timeoutMs: 60_000 });
    const idle = await idleWrites(laneOp, ['lanepolicy']);
    expect(idle.reconciles[0]).toBeGreaterThanOrEqual(3);
    expect(idle.writes).toBe(0);
  }, 120_000);

  it.runIf(cluster.nodeSimulator)('AgentRun, Flow, HardwareTask: finished runs, flows and tasks are reconciled on every resync and cost no API write', async () => {
    const ns = lanes.ns.private;
    await cluster.applyYaml([
      { apiVersion: 'agentlab.dev/v1alpha1', kind: 'AgentRun', metadata: { name: 'idle-run', namespace: ns }, spec: { task: 'Say hello.', model: 'chat', limits: { maxTurns: 2, timeout: '5m' } } },
      { apiVersion: 'agentlab.dev/v1alpha1', kind: 'Flow', metadata: { name: 'idle-flow', namespace: ns }, spec: { nodes: [{ id: 'a', type: 'tool', tool: { image: STEP, args: ['true'] } }] } },
      { apiVersion: 'agentlab.dev/v1alpha1', kind: 'HardwareTask', metadata: { name: 'idle-task', namespace: ns }, spec: { node: 'pumped-piglet', steps: [{ name: 'look', type: 'command', command: { commands: ['echo ok'] } }] } },
    ].map((d) => JSON.stringify(d)).join('\n---\n'));
    const base = `/apis/agentlab.dev/v1alpha1/namespaces/${ns}`;
    await cluster.waitFor(async () => {
      const [run, flow, task] = await Promise.all([get(`${base}/agentruns/idle-run`), get(`${base}/flows/idle-flow`), get(`${base}/hardwaretasks/idle-task`)]);
      // The run's steady status carries the router's count of its model calls.
      return run.status?.phase === 'Succeeded' && (run.status.usage?.totalTokens ?? 0) > 0 && flow.status?.phase === 'Succeeded' && task.status?.phase === 'Succeeded';
    }, { what: 'the run, the flow and the task to succeed', timeoutMs: 180_000, intervalMs: 250 });
    const before = await Promise.all(['agentrun', 'flow', 'hardwaretask'].map((c) => reconciles(op, c)));
    const idle = await idleWrites(op, ['agentrun', 'flow', 'hardwaretask']);
    const after = await Promise.all(['agentrun', 'flow', 'hardwaretask'].map((c) => reconciles(op, c)));
    // Every controller saw its object again on the resyncs (at least three each), and none wrote.
    for (const [i, c] of ['agentrun', 'flow', 'hardwaretask'].entries()) expect(after[i] - before[i], c).toBeGreaterThanOrEqual(3);
    expect(idle.writes).toBe(0);
  }, 240_000);
});
