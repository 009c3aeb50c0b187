// The router's per-run ConfigMaps in its own namespace (run-usage-<hash>, run-report-<hash>) have no
// owner reference (the run is in another namespace): the operator's sweep (started by the AgentRun
// controller here; the Flow controller shares it when both run) deletes them
// once their run is gone, and never while it exists. A short grace period and interval here; the
// operator runs the same sweep with 10 minutes each.
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useCluster } from '../harness/cluster.js';
import { startOperator, type Operator } from '../../operators/manager.js';
import { agentRunController } from '../../operators/agentrun/controller.js';
import { AGENTRUNS } from '../../operators/agentrun/resources.js';
import type { AgentRun } from '../../operators/agentrun/types.js';
import { KubeClient } from '../../operators/runtime/kube.js';
import { runUsageConfigMapName, runUsageMetadata, runUsageToData } from '../../operators/model/agentrun/usage.js';
import { RunConfigMapSweep } from '../../operators/agentrun/run-configmap-sweep.js';
import { runReportConfigMapName } from '../../operators/model/agentrun/report.js';
import { runKindOf } from '../../operators/model/agentrun/run-owner.js';
import { ROUTER_PORT, ROUTER_POD_LABELS, startLaneFixture, type LaneFixture } from '../lanes/support.js';

const cluster = useCluster();
let lanes: LaneFixture;
let operator: Operator;
let client: KubeClient;
const operatorLogs: string[] = [];
const GRACE_MS = 3000;

beforeAll(async () => {
  lanes = await startLaneFixture(cluster);
  operator = await startOperator({
    kubeConfig: cluster.kc, logger: pino({ level: 'info' }, { write: (line: string) => operatorLogs.push(line) }),
    namespaces: Object.values(lanes.ns), labelSelector: lanes.selector,
    controllerOverrides: [agentRunController({ router: { namespace: lanes.routerNs, podLabels: ROUTER_POD_LABELS, port: ROUTER_PORT }, routerUrl: lanes.router.url, runConfigMapSweep: { intervalMs: 500, graceMs: GRACE_MS } })],
  });
  client = new KubeClient(cluster.kc);
});

afterAll(async () => {
  await operator?.stop();
  client?.close();
  await lanes?.stop();
});

const exists = async (name: string) => (await cluster.request({ path: `/api/v1/namespaces/${lanes.routerNs}/configmaps/${name}` })).status === 200;
const get = (name: string) => client.get<AgentRun>(AGENTRUNS, lanes.ns.private, name);
const termination = JSON.stringify({ outcome: 'Succeeded', reason: 'Completed', message: '', result: 'done', turns: 1, toolCalls: 0, toolErrors: 0 });

describe.runIf(cluster.nodeSimulator)('sweep of the router\'s run ConfigMaps', () => {
  it('deletes a run\'s usage once the run is gone, never while it exists; a run without owner once its token is gone', async () => {
    const ns = lanes.ns.private;
    await cluster.applyYaml(JSON.stringify({
      apiVersion: 'agentlab.dev/v1alpha1', kind: 'AgentRun', metadata: { name: 'swept', namespace: ns },
      spec: { task: 'Triage issue #142: read what the workspace holds and answer.', model: 'chat', tools: [{ name: 'files', files: { paths: ['/workspace'], readOnly: true } }], limits: { maxTurns: 10, timeout: '5m' } },
    }));
    const run = await cluster.waitFor(async () => {
      const r = await get('swept');
      return r.status?.phase && ['Succeeded', 'Failed', 'Cancelled'].includes(r.status.phase) ? r : undefined;
    }, { what: 'AgentRun swept to end', timeoutMs: 90_000 });
    expect(run.status?.phase, JSON.stringify(run.status)).toBe('Succeeded');
    const usageCm = runUsageConfigMapName(ns, 'AgentRun', 'swept');
    // The run's status is the record: the usage is there before anything can delete the ConfigMap.
    await cluster.waitFor(async () => ((await get('swept')).status?.usage?.totalTokens ?? 0) > 0, { what: 'status.usage of swept', timeoutMs: 40_000 });
    expect(await exists(usageCm)).toBe(true);

    // A token without an owner (made by hand, counted as an AgentRun's): its usage and report are kept while the token exists.
    const ghost = await lanes.issueToken(ns, 'ghost');
    expect((await lanes.post('/api/chat', ghost.token, { model: 'chat', messages: [{ role: 'user', content: 'ping' }], stream: false })).status).toBe(200);
    expect((await lanes.post('/agentlab/v1/report', ghost.token, { termination, transcript: '' })).status).toBe(201);
    const ghostUsage = runUsageConfigMapName(ns, 'AgentRun', 'ghost');
    const ghostReport = runReportConfigMapName(ns, 'AgentRun', 'ghost');
    await cluster.waitFor(async () => (await exists(ghostUsage)) && (await exists(ghostReport)), { what: 'the ghost run\'s usage and report', timeoutMs: 20_000 });
    await new Promise((r) => setTimeout(r, GRACE_MS + 1500));
    expect({ usage: await exists(ghostUsage), report: await exists(ghostReport) }).toEqual({ usage: true, report: true });

    await cluster.core.deleteNamespacedSecret({ namespace: ns, name: ghost.secret });
    await cluster.waitFor(async () => !(await exists(ghostUsage)) && !(await exists(ghostReport)), { what: 'the sweep to delete the ghost run\'s ConfigMaps', timeoutMs: 30_000 });
    // That sweep also judged swept's older usage ConfigMap, and the fixture's run-private one: both runs are there.
    expect(await exists(usageCm)).toBe(true);
    expect(await exists(runUsageConfigMapName(ns, 'AgentRun', 'run-private'))).toBe(true);

    await cluster.kubectl(['-n', ns, 'delete', 'agentrun', 'swept', '--wait=true', '--timeout=60s']);
    await cluster.waitFor(async () => !(await exists(usageCm)), { what: 'the sweep to delete the deleted run\'s usage ConfigMap', timeoutMs: 30_000 });
    const line = operatorLogs.map((l) => JSON.parse(l) as { msg: string; configMap?: string; reason?: string }).find((l) => l.configMap === `${lanes.routerNs}/${usageCm}`);
    expect(line).toMatchObject({ msg: 'deleted a run ConfigMap that outlived its run', reason: `AgentRun ${ns}/swept no longer exists` });
  }, 240_000);
});

describe('one run ConfigMap sweep', () => {
  it('one sweep: deletes what records a run that is gone or replaced by another object of the same name, keeps the rest and what is recent', async () => {
    const ns = lanes.ns.private;
    // A router namespace of its own: the operator's background sweep does not look here.
    const routerNs = await cluster.newNamespace('sweep-router');
    const flow = async (name: string) => {
      await cluster.applyYaml(JSON.stringify({ apiVersion: 'agentlab.dev/v1alpha1', kind: 'Flow', metadata: { name, namespace: ns }, spec: { nodes: [{ id: 'ask', type: 'model', model: { prompt: 'x' } }] } }));
      return ((await cluster.request({ path: `/apis/agentlab.dev/v1alpha1/namespaces/${ns}/flows/${name}` })).json() as { metadata: { uid: string } }).metadata.uid;
    };
    // Flows are inert here (this operator runs the AgentRun controller only).
    const current = await flow('current-flow');
    await flow('replaced-flow');
    const usage = async (run: string, owner?: { kind: string; uid: string }) => {
      const kind = runKindOf(owner);
      const meta = runUsageMetadata(ns, kind, run);
      await cluster.core.createNamespacedConfigMap({ namespace: routerNs, body: { metadata: { name: runUsageConfigMapName(ns, kind, run), ...meta }, data: runUsageToData({ promptTokens: 1, completionTokens: 1, costUSD: 0, requests: 1, fallbacks: 0 }, new Date(), owner) } });
      return runUsageConfigMapName(ns, kind, run);
    };
    const kept = await usage('current-flow', { kind: 'Flow', uid: current });
    const replaced = await usage('replaced-flow', { kind: 'Flow', uid: '00000000-0000-4000-8000-00000000000a' });
    const gone = await usage('gone-flow', { kind: 'Flow', uid: '00000000-0000-4000-8000-00000000000b' });
    const goneRun = await usage('gone-agentrun', { kind: 'AgentRun', uid: '00000000-0000-4000-8000-00000000000c' });
    const fixtureRun = await usage('run-private');
    const log = pino({ level: 'silent' });

    expect(await new RunConfigMapSweep({ client, log, routerNamespace: routerNs, graceMs: 60_000 }).sweep()).toEqual({ deleted: [], failed: [] });
    const swept = await new RunConfigMapSweep({ client, log, routerNamespace: routerNs, graceMs: 0 }).sweep();
    expect(swept.failed).toEqual([]);
    expect(swept.deleted.sort()).toEqual([replaced, gone, goneRun].sort());
    const names = (await cluster.core.listNamespacedConfigMap({ namespace: routerNs, labelSelector: 'agentlab.dev/usage-run=true' })).items.map((c) => c.metadata!.name).sort();
    expect(names).toEqual([kept, fixtureRun].sort());
  }, 60_000);
});

