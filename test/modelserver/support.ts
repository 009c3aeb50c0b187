import { atFileEnd } from '../harness/file-teardown.js';
import pino from 'pino';
import type { Cluster } from '../harness/cluster.js';
import { startOperator, type Operator, type OperatorOptions } from '../../operators/manager.js';
import { KubeClient, type KubeObject } from '../../operators/runtime/kube.js';
import { DEPLOYMENTS, MODELSERVERS, type ModelServer } from '../../operators/modelserver/types.js';
import type { Condition } from '../../operators/runtime/conditions.js';
import { kubeServiceAccess } from '../../operators/runtime/service-access.js';

export const testLogger = () => pino({ level: process.env.AGENTLAB_TEST_LOG_LEVEL ?? 'silent' }, pino.destination(2));

/**
 * Starts an operator that only sees `namespace` (so test files running in parallel never
 * reconcile each other's objects); stopped after the file. The controller is loaded as
 * `agentlab run -n <namespace>` loads it (operators/manager.ts, production defaults, no
 * test-only timing), restricted to the ModelServer controller. It reaches the simulated Ollama
 * the way the backend allows (`cluster.serviceAccess`, undefined on the embedded backend).
 */
export async function operatorFor(cluster: Cluster, namespace: string, opts: Partial<OperatorOptions> = {}): Promise<Operator> {
  const op = await startOperator({
    kubeConfig: cluster.kc, logger: testLogger(), namespaces: [namespace],
    controllers: ['modelserver'], serviceAccess: cluster.serviceAccess,
    ...opts,
  });
  atFileEnd(() => op.stop());
  return op;
}

export function client(cluster: Cluster): KubeClient {
  const c = new KubeClient(cluster.kc);
  atFileEnd(() => c.close());
  return c;
}

export function modelServerYaml(name: string, spec: Record<string, unknown>): string {
  return JSON.stringify({ apiVersion: 'agentlab.dev/v1alpha1', kind: 'ModelServer', metadata: { name }, spec });
}

export async function getModelServer(c: KubeClient, ns: string, name: string): Promise<ModelServer> {
  return c.get<ModelServer>(MODELSERVERS, ns, name);
}

export function condition(ms: ModelServer | undefined, type: string): Condition | undefined {
  return ms?.status?.conditions?.find((c) => c.type === type);
}

/** Waits until the ModelServer's Ready condition satisfies `pred` and returns the object. */
export async function waitForReady(cluster: Cluster, c: KubeClient, ns: string, name: string, pred: (ready: Condition | undefined, ms: ModelServer) => boolean, timeoutMs = 45_000): Promise<ModelServer> {
  return cluster.waitFor(async () => {
    const ms = await getModelServer(c, ns, name);
    return pred(condition(ms, 'Ready'), ms) ? ms : undefined;
  }, { timeoutMs, intervalMs: 100, what: `ModelServer ${ns}/${name} to reach the expected Ready condition` });
}

export async function deployment(c: KubeClient, ns: string, name: string): Promise<KubeObject & { spec: { replicas: number; template: { spec: { containers: { env?: { name: string; value?: string }[] }[] } } } }> {
  return c.get(DEPLOYMENTS, ns, name);
}

export interface CoreEvent { reason: string; type: string; message: string; involvedObject: { name: string; kind: string } }

export async function events(c: KubeClient, ns: string, name: string): Promise<CoreEvent[]> {
  const list = await c.request<{ items: CoreEvent[] }>(`/api/v1/namespaces/${ns}/events`);
  return list.items.filter((e) => e.involvedObject.name === name && e.involvedObject.kind === 'ModelServer');
}

/** The models an Ollama Service's server has (GET /api/tags), reached as the operator reaches it. */
export async function ollamaModels(cluster: Cluster, c: KubeClient, ns: string, service: string): Promise<string[]> {
  const access = cluster.serviceAccess ?? kubeServiceAccess(c);
  const base = await access.base(ns, service, { name: 'http', port: 11434 });
  const res = await base.fetch(`${base.url}/api/tags`, { headers: { Accept: 'application/json' } });
  if (!res.ok) throw new Error(`GET /api/tags of ${ns}/${service}: HTTP ${res.status}`);
  return ((await res.json()) as { models: { name: string }[] }).models.map((m) => m.name);
}

/**
 * How many pulls a server's Ollama received: the `POST "/api/pull"` request lines of its pods'
 * logs (`kubectl logs -l`), which Ollama (and the simulated one) writes in gin's format.
 */
export async function pullRequests(cluster: Cluster, ns: string, server: string): Promise<number> {
  const logs = await cluster.kubectl(['logs', '-n', ns, '-l', `agentlab.dev/modelserver=${server}`, '--tail=-1']);
  return logs.stdout.split('\n').filter((l) => /^\[GIN\] .*\|\s*POST\s+"\/api\/pull"\s*$/.test(l)).length;
}
