// The Flow operator SIGKILLed while a model node's call is in flight: the next operator repeats
// the same attempt with the same Idempotency-Key, and the lane router answers it from the first
// call (ADR 0017): one upstream request, the first call's answer, its usage counted once.
import { randomBytes } from 'node:crypto';
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOllama, type FakeOllama } from '../../hack/fakes/index.js';
import { runUsageConfigMapName, runUsageFromConfigMap } from '../../operators/model/agentrun/usage.js';
import { startRouter, type Router } from '../../operators/router/server.js';
import { exited } from '../chaos/fleet.js';
import { useCluster } from '../harness/cluster.js';
import { nodeEntry } from '../harness/node-entry.js';
import type { FlowRead } from './support.js';

const cluster = useCluster();
const logger = pino({ level: process.env.AGENTLAB_TEST_LOG_LEVEL ?? 'silent' });
const MARKER = 'slow question 5b1e';
let ns: string;
let routerNs: string;
let laneName: string;
let ollama: FakeOllama;
let router: Router;
let operator: ChildProcess | undefined;
let operatorEntry: string[];

beforeAll(async () => {
  const id = randomBytes(3).toString('hex');
  ns = await cluster.newNamespace('flow-callkill');
  routerNs = await cluster.newNamespace('flow-callkill-router');
  await cluster.request({ method: 'PATCH', path: `/api/v1/namespaces/${ns}`, contentType: 'application/merge-patch+json', body: { metadata: { labels: { 'flow.test.agentlab.dev/lane': id } } } });
  // The model thinks for 4 s: long enough to kill the operator while the call is in flight.
  ollama = await startFakeOllama({ models: ['llama3.1:8b'], rules: [{ when: MARKER, reply: 'forty-two', delayMs: 4000 }] });
  laneName = `callkill-${id}`;
  await cluster.applyYaml(JSON.stringify({
    apiVersion: 'agentlab.dev/v1alpha1', kind: 'LanePolicy',
    metadata: { name: laneName, labels: { 'flow.test.agentlab.dev/fixture': id } },
    spec: {
      description: 'Flow model call kill test: local fake Ollama only',
      namespaceSelector: { matchLabels: { 'flow.test.agentlab.dev/lane': id } },
      allowCloud: false,
      providers: [{ name: 'fake-ollama', cloud: { provider: 'ollama', baseURL: ollama.url }, models: { default: 'llama3.1:8b' } }],
    },
  }));
  router = await startRouter({ kubeConfig: cluster.kc, logger, laneSelector: `flow.test.agentlab.dev/fixture=${id}`, namespace: routerNs, flushIntervalMs: 200, serviceAccess: cluster.serviceAccess });
  operatorEntry = await nodeEntry(path.join(import.meta.dirname, 'fixtures', 'operator-process.ts'));
});
afterAll(async () => {
  operator?.kill('SIGKILL');
  await router?.stop();
  await cluster.request({ method: 'DELETE', path: `/apis/agentlab.dev/v1alpha1/lanepolicies/${laneName}` });
  await ollama?.close();
});

function startOperatorProcess(): { child: ChildProcess; started: Promise<boolean> } {
  const child = spawn(process.execPath, operatorEntry, {
    env: { ...process.env, KUBECONFIG: cluster.kubeconfigPath, NAMESPACES: ns, ROUTER_URL: router.url, ROUTER_NAMESPACE: routerNs },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const started = new Promise<boolean>((resolve) => {
    readline.createInterface({ input: child.stdout! }).on('line', (l) => { if (l === 'started') resolve(true); });
    child.on('exit', () => resolve(false));
  });
  return { child, started };
}

const getFlow = async (name: string) => (await cluster.request({ path: `/apis/agentlab.dev/v1alpha1/namespaces/${ns}/flows/${name}` })).json() as FlowRead;
const upstreamCalls = () => ollama.requests.filter((r) => r.path === '/api/chat' && r.body.includes(MARKER)).length;

describe('Flow operator killed while a model call is in flight', () => {
  it('the next operator gets the first call\'s answer: one upstream request, usage counted once', async () => {
    let current = startOperatorProcess();
    operator = current.child;
    expect(await current.started).toBe(true);
    await cluster.applyYaml(JSON.stringify({
      apiVersion: 'agentlab.dev/v1alpha1', kind: 'Flow', metadata: { name: 'ask-once', namespace: ns },
      spec: { nodes: [{ id: 'ask', type: 'model', model: { prompt: `${MARKER}: what is six times seven?` }, outputs: [{ name: 'text' }] }] },
    }));
    // The router forwarded the call; the operator dies before the answer is in status.
    await cluster.waitFor(async () => upstreamCalls() === 1, { what: 'the model call to reach the fake Ollama', timeoutMs: 60_000 });
    current.child.kill('SIGKILL');
    await exited(current.child);
    expect((await getFlow('ask-once')).status?.nodes?.[0]?.phase).not.toBe('Succeeded');
    current = startOperatorProcess();
    operator = current.child;

    const flow = await cluster.waitFor(async () => {
      const f = await getFlow('ask-once');
      return f.status?.phase === 'Succeeded' || f.status?.phase === 'Failed' ? f : undefined;
    }, { what: 'flow ask-once to end', timeoutMs: 90_000 });
    expect(flow.status?.phase, JSON.stringify(flow.status)).toBe('Succeeded');
    expect(flow.status?.nodes?.map((n) => [n.id, n.phase, n.attempts, n.outputs])).toEqual([['ask', 'Succeeded', 1, { text: 'forty-two' }]]);
    expect(upstreamCalls()).toBe(1);

    // The router counted the call once, and status.usage says what it counted.
    await router.flushUsage();
    const r = await cluster.request({ path: `/api/v1/namespaces/${routerNs}/configmaps/${runUsageConfigMapName(ns, 'Flow', 'ask-once')}` });
    expect(r.status).toBe(200);
    const counted = runUsageFromConfigMap(r.json() as { metadata?: { annotations?: Record<string, string> }; data?: Record<string, string> })!;
    expect(counted.requests).toBe(1);
    expect(flow.status?.nodes?.[0]?.totalTokens).toBe(counted.totalTokens);
    const settled = await cluster.waitFor(async () => {
      const f = await getFlow('ask-once');
      // Until the router's figures are read, the node's own count stands in (totalTokens only).
      return f.status?.usage?.promptTokens !== undefined ? f : undefined;
    }, { what: 'status.usage to carry the router\'s figures', timeoutMs: 30_000 });
    expect(settled.status?.usage).toMatchObject({ promptTokens: counted.promptTokens, completionTokens: counted.completionTokens, totalTokens: counted.totalTokens });
  }, 240_000);
});
