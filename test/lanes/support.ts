import { randomBytes } from 'node:crypto';
import type { KubernetesObject } from '@kubernetes/client-node';
import pino from 'pino';
import { startFakeAnthropic, startFakeGemini, startFakeOllama, type FakeOllama, type FakeServer, type ScriptRule } from '../../hack/fakes/index.js';
import { startOperator, type Operator } from '../../operators/manager.js';
import { lanePolicyController } from '../../operators/lanepolicy/controller.js';
import { startRouter, type Router } from '../../operators/router/server.js';
import type { Cluster } from '../harness/cluster.js';

export const ROUTER_POD_LABELS = { 'app.kubernetes.io/name': 'agentlab-router', 'lanes.test.agentlab.dev/router': 'true' };
export const ROUTER_PORT = 8080;
/** Every fake model calls get_weather when asked about the weather and a tool is offered. */
export const TOOL_RULES: ScriptRule[] = [{ when: 'weather', reply: 'It is 4 degrees in Oslo.', toolCalls: [{ name: 'get_weather', arguments: { city: 'Oslo' } }] }];

export interface LaneFixture {
  id: string;
  routerNs: string;
  /** Lane name -> its cluster-scoped name (suffixed with the fixture id). */
  lane: (short: string) => string;
  /** Namespace bound to each lane. */
  ns: Record<'enterprise' | 'personal' | 'private', string>;
  /** A valid router token per lane namespace. */
  token: Record<'enterprise' | 'personal' | 'private', string>;
  ollama: FakeOllama;
  anthropic: FakeServer;
  gemini: FakeServer;
  router: Router;
  operator: Operator;
  /** The router's log lines (pino JSON), for checking what it does and does not log. */
  routerLogs: string[];
  /** Label every LanePolicy of this fixture carries (the operator and router only see those). */
  selector: string;
  issueToken(namespace: string, run: string, annotations?: Record<string, string>): Promise<{ token: string; secret: string }>;
  /** POSTs JSON to the router with a bearer token. */
  post(path: string, token: string | undefined, body: unknown, headers?: Record<string, string>): Promise<Response>;
  applyLane(short: string, spec: Record<string, unknown>): Promise<string>;
  stop(): Promise<void>;
}

const logger = pino({ level: process.env.AGENTLAB_TEST_LOG_LEVEL ?? 'silent' });

/** The three seed lanes of the homelab, pointed at local fakes. */
export function seedLaneSpecs(f: { id: string; ollama: string; anthropic: string; gemini: string; routerNs: string }) {
  const nsSel = (lane: string) => ({ matchLabels: { 'lanes.test.agentlab.dev/lane': `${lane}-${f.id}` } });
  const ollama = { name: 'gpu-ollama', cloud: { provider: 'ollama', baseURL: f.ollama }, models: { chat: 'llama3.1:8b', code: 'qwen2.5-coder:7b', embed: 'nomic-embed-text' } };
  const claude = {
    name: 'claude',
    cloud: { provider: 'anthropic', baseURL: f.anthropic, secretRef: { name: 'anthropic-key', namespace: f.routerNs } },
    models: { chat: 'claude-sonnet-4-5', code: 'claude-sonnet-4-5', 'claude-sonnet': 'claude-sonnet-4-5' },
    costPerMillionTokens: { input: '3.00', output: '15.00' },
  };
  const gemini = {
    name: 'gemini',
    cloud: { provider: 'gemini', baseURL: f.gemini, secretRef: { name: 'gemini-key', namespace: f.routerNs } },
    models: { chat: 'gemini-2.5-flash', embed: 'text-embedding-004' },
    costPerMillionTokens: { input: '0.30', output: '2.50' },
  };
  return {
    // Enterprise / MSP: client data; local first, Claude as fallback, sensitive requests stay local.
    enterprise: { description: 'Enterprise/MSP client work', namespaceSelector: nsSel('enterprise'), allowCloud: true, sensitiveData: 'LocalOnly', providers: [ollama, claude], fallback: { timeout: '5s' }, budget: { period: 'Monthly', maxCostUSD: '50.00', maxTokensPerRun: 200000 } },
    // Personal projects: Claude or Gemini.
    personal: { description: 'Personal projects', namespaceSelector: nsSel('personal'), allowCloud: true, sensitiveData: 'AllowCloud', providers: [claude, gemini], budget: { period: 'Monthly', maxCostUSD: '20.00', onExceeded: 'Block' } },
    // Private: financial and health data, local Ollama only.
    private: { description: 'Financial and health data: local only', namespaceSelector: nsSel('private'), allowCloud: false, providers: [ollama], fallback: { timeout: '5s' } },
  };
}

export async function startLaneFixture(cluster: Cluster, opts: { budgets?: Partial<Record<'enterprise' | 'personal' | 'private', Record<string, unknown>>> } = {}): Promise<LaneFixture> {
  const id = randomBytes(3).toString('hex');
  const selectorKey = 'lanes.test.agentlab.dev/fixture';
  const selector = `${selectorKey}=${id}`;
  const routerNs = await cluster.newNamespace('lanes-router');
  const ns = {
    enterprise: await cluster.newNamespace('lanes-msp'),
    personal: await cluster.newNamespace('lanes-personal'),
    private: await cluster.newNamespace('lanes-private'),
  };
  for (const [lane, name] of Object.entries(ns)) {
    await cluster.request({ method: 'PATCH', path: `/api/v1/namespaces/${name}`, contentType: 'application/merge-patch+json', body: { metadata: { labels: { 'lanes.test.agentlab.dev/lane': `${lane}-${id}` } } } });
  }
  const [ollama, anthropic, gemini] = await Promise.all([
    startFakeOllama({ models: ['llama3.1:8b', 'qwen2.5-coder:7b', 'nomic-embed-text'], rules: TOOL_RULES }),
    startFakeAnthropic({ apiKey: 'sk-ant-test', rules: TOOL_RULES }),
    startFakeGemini({ apiKey: 'gemini-test', rules: TOOL_RULES }),
  ]);
  for (const [name, key] of [['anthropic-key', 'sk-ant-test'], ['gemini-key', 'gemini-test']]) {
    await cluster.core.createNamespacedSecret({ namespace: routerNs, body: { apiVersion: 'v1', kind: 'Secret', metadata: { name }, data: { apiKey: Buffer.from(key).toString('base64') } } });
  }
  const laneName = (short: string) => `${short}-${id}`;
  const applyLane = async (short: string, spec: Record<string, unknown>) => {
    const name = laneName(short);
    await cluster.applyYaml(JSON.stringify({ apiVersion: 'agentlab.dev/v1alpha1', kind: 'LanePolicy', metadata: { name, labels: { [selectorKey]: id } }, spec }));
    return name;
  };
  const specs = seedLaneSpecs({ id, ollama: ollama.url, anthropic: anthropic.url, gemini: gemini.url, routerNs });
  for (const [short, spec] of Object.entries(specs)) {
    const extra = opts.budgets?.[short as keyof typeof specs];
    await applyLane(short, extra ? { ...spec, budget: { ...(spec as { budget?: object }).budget, ...extra } } : spec);
  }

  const operator = await startOperator({
    kubeConfig: cluster.kc,
    logger,
    labelSelector: selector,
    controllerOverrides: [lanePolicyController({ router: { namespace: routerNs, podLabels: ROUTER_POD_LABELS, port: ROUTER_PORT }, refreshMs: 300 })],
  });
  const routerLogs: string[] = [];
  const routerLogger = pino({ level: 'debug' }, { write: (line: string) => routerLogs.push(line) });
  const router = await startRouter({ kubeConfig: cluster.kc, logger: routerLogger, laneSelector: selector, namespace: routerNs, flushIntervalMs: 200, breaker: { threshold: 3, openMs: 60_000 }, serviceAccess: cluster.serviceAccess });

  const issueToken = async (namespace: string, run: string, annotations: Record<string, string> = {}) => {
    const token = randomBytes(32).toString('base64url');
    const secret = `${run}-router-token`;
    await cluster.core.createNamespacedSecret({
      namespace,
      body: {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: secret, labels: { 'agentlab.dev/router-token': 'true', 'agentlab.dev/run': run }, annotations },
        type: 'agentlab.dev/router-token',
        data: { token: Buffer.from(token).toString('base64') },
      },
    });
    return { token, secret };
  };
  const token = {
    enterprise: (await issueToken(ns.enterprise, 'run-msp')).token,
    personal: (await issueToken(ns.personal, 'run-personal')).token,
    private: (await issueToken(ns.private, 'run-private')).token,
  };
  const post = (path: string, tok: string | undefined, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${router.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...(tok ? { authorization: `Bearer ${tok}` } : {}), ...headers }, body: JSON.stringify(body) });

  // The router answers once its watches have seen the tokens and lanes.
  await cluster.waitFor(async () => (await post('/api/chat', token.private, { model: 'chat', messages: [{ role: 'user', content: 'ping' }], stream: false })).status === 200, { what: 'router ready for the private lane', timeoutMs: 20_000 });
  ollama.requests.length = 0;

  const fixture: LaneFixture = {
    id, routerNs, ns, token, ollama, anthropic, gemini, router, operator, selector, routerLogs, issueToken, post, applyLane,
    lane: laneName,
    async stop() {
      // Deleted while the operator runs: it holds a finalizer on each lane until it has fenced the lane's namespaces.
      const lanes = `/apis/agentlab.dev/v1alpha1/lanepolicies?labelSelector=${encodeURIComponent(selector)}`;
      await cluster.request({ method: 'DELETE', path: lanes });
      await cluster.waitFor(async () => ((await cluster.request({ path: lanes })).json() as { items: unknown[] }).items.length === 0, { what: 'lanes finalized', timeoutMs: 20_000 });
      await router.stop();
      await operator.stop();
      // The fixture's fake Ollama, which a test may have replaced (privacy.test.ts restarts it on its port).
      await Promise.all([fixture.ollama.close(), anthropic.close(), gemini.close()]);
    },
  };
  return fixture;
}

export async function getLane(cluster: Cluster, name: string): Promise<KubernetesObject & { spec?: Record<string, unknown>; status?: Record<string, unknown> & { conditions?: { type: string; status: string; reason: string; message: string }[] } }> {
  const r = await cluster.request({ method: 'GET', path: `/apis/agentlab.dev/v1alpha1/lanepolicies/${name}` });
  return r.json();
}

export const condition = (obj: { status?: { conditions?: { type: string; status: string; reason: string; message: string }[] } }, type: string) =>
  obj.status?.conditions?.find((c) => c.type === type);

/** The lane egress NetworkPolicy of a namespace as a test reads it. */
export interface LaneNetworkPolicy {
  metadata: {
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: { apiVersion: string; kind: string; name: string; uid: string; controller?: boolean }[];
  };
  spec: Record<string, unknown>;
}

export async function laneNetworkPolicy(cluster: Cluster, ns: string): Promise<LaneNetworkPolicy | undefined> {
  const r = await cluster.request({ path: `/apis/networking.k8s.io/v1/namespaces/${ns}/networkpolicies/agentlab-lane-egress` });
  return r.status === 200 ? (r.json() as LaneNetworkPolicy) : undefined;
}

/** The DNS egress rule every lane policy carries (kube-dns in kube-system, UDP and TCP 53). */
export const DNS_RULE = {
  to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } }, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }],
  ports: [{ protocol: 'UDP', port: 53 }, { protocol: 'TCP', port: 53 }],
};
