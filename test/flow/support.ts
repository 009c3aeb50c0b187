import { randomBytes } from 'node:crypto';
import pino from 'pino';
import { startFakeOllama, type FakeOllama, type ScriptRule } from '../../hack/fakes/index.js';
import { startOperator, type Operator } from '../../operators/manager.js';
import { startRouter, type Router } from '../../operators/router/server.js';
import type { Cluster } from '../harness/cluster.js';
import { ROUTER_PORT, ROUTER_POD_LABELS, startLaneFixture, type LaneFixture } from '../lanes/support.js';

const logger = pino({ level: process.env.AGENTLAB_TEST_LOG_LEVEL ?? 'silent' });

export interface FlowFixture {
  ns: string;
  /** Where the router runs and writes run usage ConfigMaps. */
  routerNs: string;
  ollama: FakeOllama;
  router: Router;
  operator: Operator;
  applyFlow(name: string, spec: Record<string, unknown>): Promise<void>;
  getFlow(name: string): Promise<FlowRead>;
  waitForPhase(name: string, phases: string[], timeoutMs?: number): Promise<FlowRead>;
  stop(): Promise<void>;
}

export interface FlowRead {
  metadata: { name: string; generation?: number };
  status?: {
    phase?: string; progress?: string; planDigest?: string; observedGeneration?: number;
    plan?: { node: string; wave: number; action: string; child?: string }[];
    nodes?: { id: string; phase?: string; health?: string; attempts?: number; message?: string; child?: string; outputs?: Record<string, string>; totalTokens?: number }[];
    conditions?: { type: string; status: string; reason: string; message: string }[];
    usage?: { promptTokens?: number; completionTokens?: number; totalTokens?: number; costUSD?: string };
  };
}

/**
 * A namespace bound to a lane whose only provider is a fake Ollama, the lane router, and the
 * operator started as `agentlab run` starts it (the Flow controller loaded from its folder,
 * ControllerDeps.routerUrl pointing at the router).
 */
export async function startFlowFixture(cluster: Cluster, rules: ScriptRule[] = []): Promise<FlowFixture> {
  const id = randomBytes(3).toString('hex');
  const selector = `flow.test.agentlab.dev/fixture=${id}`;
  const ns = await cluster.newNamespace('flow');
  const routerNs = await cluster.newNamespace('flow-router');
  await cluster.request({ method: 'PATCH', path: `/api/v1/namespaces/${ns}`, contentType: 'application/merge-patch+json', body: { metadata: { labels: { 'flow.test.agentlab.dev/lane': id } } } });
  const ollama = await startFakeOllama({ models: ['llama3.1:8b'], rules });
  await cluster.applyYaml(JSON.stringify({
    apiVersion: 'agentlab.dev/v1alpha1', kind: 'LanePolicy',
    metadata: { name: `flow-${id}`, labels: { 'flow.test.agentlab.dev/fixture': id } },
    spec: {
      description: 'Flow tests: local fake Ollama only',
      namespaceSelector: { matchLabels: { 'flow.test.agentlab.dev/lane': id } },
      allowCloud: false,
      providers: [{ name: 'fake-ollama', cloud: { provider: 'ollama', baseURL: ollama.url }, models: { default: 'llama3.1:8b' } }],
    },
  }));
  const router = await startRouter({ kubeConfig: cluster.kc, logger, laneSelector: selector, namespace: routerNs, flushIntervalMs: 200, serviceAccess: cluster.serviceAccess });
  const operator = await startOperator({ kubeConfig: cluster.kc, logger, namespaces: [ns], controllers: ['flow'], routerUrl: router.url, router: { namespace: routerNs, podLabels: ROUTER_POD_LABELS, port: ROUTER_PORT }, serviceAccess: cluster.serviceAccess });
  const path = (name: string) => `/apis/agentlab.dev/v1alpha1/namespaces/${ns}/flows/${name}`;
  const getFlow = async (name: string) => (await cluster.request({ path: path(name) })).json() as FlowRead;
  return {
    ns, routerNs, ollama, router, operator,
    async applyFlow(name, spec) {
      await cluster.applyYaml(JSON.stringify({ apiVersion: 'agentlab.dev/v1alpha1', kind: 'Flow', metadata: { name, namespace: ns }, spec }));
    },
    getFlow,
    waitForPhase: (name, phases, timeoutMs = 60_000) => cluster.waitFor(async () => {
      const f = await getFlow(name);
      return f.status?.phase && phases.includes(f.status.phase) ? f : undefined;
    }, { what: `flow ${name} to reach ${phases.join(' or ')}`, timeoutMs }),
    async stop() {
      await operator.stop();
      await router.stop();
      await cluster.request({ method: 'DELETE', path: `/apis/agentlab.dev/v1alpha1/lanepolicies/flow-${id}` });
      await ollama.close();
    },
  };
}

export const condition = (f: FlowRead, type: string) => f.status?.conditions?.find((c) => c.type === type);

export interface FlowAgentFixture {
  lanes: LaneFixture;
  operator: Operator;
  /** The private lane's namespace (local fake Ollama only). */
  ns: string;
  applyFlow(name: string, spec: Record<string, unknown>): Promise<void>;
  getFlow(name: string): Promise<FlowRead>;
  waitForPhase(name: string, phases: string[], timeoutMs?: number): Promise<FlowRead>;
  stop(): Promise<void>;
}

/**
 * The lane fixture plus one operator process running the AgentRun and Flow controllers, as
 * `agentlab run` starts them (one AgentRun informer serves both): a Flow's agent node becomes an
 * AgentRun whose pod runs the real agent runner (node simulator) through the lane router.
 */
export async function startFlowAgentFixture(cluster: Cluster): Promise<FlowAgentFixture> {
  const lanes = await startLaneFixture(cluster);
  const operator = await startOperator({
    kubeConfig: cluster.kc, logger,
    namespaces: Object.values(lanes.ns), labelSelector: lanes.selector,
    controllers: ['agentrun', 'flow'],
    router: { namespace: lanes.routerNs, podLabels: ROUTER_POD_LABELS, port: ROUTER_PORT },
    routerUrl: lanes.router.url,
  });
  const ns = lanes.ns.private;
  const path = (name: string) => `/apis/agentlab.dev/v1alpha1/namespaces/${ns}/flows/${name}`;
  const getFlow = async (name: string) => (await cluster.request({ path: path(name) })).json() as FlowRead;
  return {
    lanes, operator, ns, getFlow,
    async applyFlow(name, spec) {
      await cluster.applyYaml(JSON.stringify({ apiVersion: 'agentlab.dev/v1alpha1', kind: 'Flow', metadata: { name, namespace: ns }, spec }));
    },
    waitForPhase: (name, phases, timeoutMs = 60_000) => cluster.waitFor(async () => {
      const f = await getFlow(name);
      return f.status?.phase && phases.includes(f.status.phase) ? f : undefined;
    }, { what: `flow ${name} to reach ${phases.join(' or ')}`, timeoutMs }),
    async stop() {
      await operator.stop();
      await lanes.stop();
    },
  };
}
