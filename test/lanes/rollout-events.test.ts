// The example private lane and its two example ModelServers, applied in `kubectl apply -f
// examples/` order (the lane first): while the servers roll out the lane is progressing, which
// is not worth a Warning event (Grafana would page on every start); it becomes Ready once one
// server answers, and says so in one Normal event.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { parse } from 'yaml';
import { useCluster } from '../harness/cluster.js';
import { startOperator } from '../../operators/manager.js';
import { condition, getLane } from './support.js';

const cluster = useCluster();
const logger = pino({ level: process.env.AGENTLAB_TEST_LOG_LEVEL ?? 'silent' });
const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

type Obj = { metadata: { name: string; namespace?: string; labels?: Record<string, string>; uid?: string }; spec: Record<string, any> };
const example = (file: string) => parse(readFileSync(new URL(`../../examples/${file}`, import.meta.url), 'utf8')) as Obj;
interface CoreEvent { type: string; reason: string; message: string; involvedObject: { uid?: string; kind?: string } }

describe('a lane whose ModelServers are rolling out', () => {
  // Needs pods that serve: the node simulator runs fake Ollama and vLLM servers for them.
  it.runIf(cluster.nodeSimulator)('emits no Warning event while they start, and one Normal event once it is active', async () => {
    const id = randomBytes(3).toString('hex');
    const msNs = await cluster.newNamespace('lanes-rollout');
    const operator = await startOperator({
      kubeConfig: cluster.kc, logger, namespaces: [msNs], labelSelector: `lanes.test.agentlab.dev/fixture=${id}`,
      // Both controllers as `agentlab run` loads them, with the dependencies it passes.
      controllers: ['modelserver', 'lanepolicy'], serviceAccess: cluster.serviceAccess, router: { namespace: msNs, podLabels: { app: 'router' }, port: 8080 },
    });
    cleanups.push(() => operator.stop());

    // The example lane under a name of its own, pointed at this test's namespace; its servers
    // without GPU placement, since other test files hold the simulator's two GPUs meanwhile (the
    // vLLM one keeps its GPU, as vLLM requires; the lane may be Ready from Ollama alone).
    const lane = example('lanepolicy-private.yaml');
    lane.metadata = { name: `private-rollout-${id}`, labels: { 'lanes.test.agentlab.dev/fixture': id } };
    lane.spec.namespaceSelector = { matchLabels: { 'lanes.test.agentlab.dev/lane': lane.metadata.name } };
    for (const p of lane.spec.providers) p.modelServerRef.namespace = msNs;
    const servers = [example('modelserver-ollama-rtx3060.yaml'), example('modelserver-vllm-rtx3070.yaml')];
    for (const s of servers) {
      delete s.spec.placement;
      if (s.spec.runtime === 'ollama') delete s.spec.gpu;
      else s.spec.gpu = { count: 1 };
      s.metadata.namespace = msNs;
    }
    expect(lane.spec.providers.map((p: { modelServerRef: { name: string } }) => p.modelServerRef.name).sort()).toEqual(servers.map((s) => s.metadata.name).sort());

    await cluster.applyYaml(JSON.stringify({ apiVersion: 'agentlab.dev/v1alpha1', kind: 'LanePolicy', ...lane }));
    cleanups.push(async () => {
      await cluster.request({ method: 'DELETE', path: `/apis/agentlab.dev/v1alpha1/lanepolicies/${lane.metadata.name}` });
      await cluster.waitFor(async () => (await cluster.request({ path: `/apis/agentlab.dev/v1alpha1/lanepolicies/${lane.metadata.name}` })).status === 404, { what: 'lane finalized' });
    });
    for (const s of servers) await cluster.applyYaml(JSON.stringify({ apiVersion: 'agentlab.dev/v1alpha1', kind: 'ModelServer', ...s }), { namespace: msNs });

    const ready = await cluster.waitFor(async () => {
      const l = await getLane(cluster, lane.metadata.name);
      return condition(l, 'Ready')?.status === 'True' ? l : undefined;
    }, { what: 'the lane Ready once a ModelServer serves', timeoutMs: 90_000 });
    const uid = ready.metadata!.uid!;
    const events = await cluster.waitFor(async () => {
      // Events of a cluster-scoped object live in the default namespace (as for Nodes).
      const list = (await cluster.request({ path: '/api/v1/namespaces/default/events' })).json() as { items: CoreEvent[] };
      const mine = list.items.filter((e) => e.involvedObject.uid === uid);
      return mine.some((e) => e.type === 'Normal') ? mine : undefined;
    }, { what: 'the lane\'s Normal event' });
    expect(events.filter((e) => e.type === 'Warning').map((e) => `${e.reason}: ${e.message}`)).toEqual([]);
    expect(events.filter((e) => e.type === 'Normal').map((e) => e.reason)).toEqual(['LaneActive']);
  }, 120_000);
});
