// Lane usage writes against the embedded API server (a real HTTP server with kube-apiserver's
// optimistic concurrency), with injected latency standing in for a loaded etcd.
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeConfig } from '@kubernetes/client-node';
import pino from 'pino';
import { startApiServer, type EmbeddedApiServer } from '../../hack/apiserver/index.js';
import { KubeClient } from '../runtime/kube.js';
import { CONFIGMAPS, NAMESPACES } from '../model/lanes/resources.js';
import { periodStart } from '../model/lanes/period.js';
import { usageConfigMapName, usageFromData, usageToData, emptyUsage } from '../model/lanes/usage.js';
import { runKey, UsageAccounting } from './accounting.js';
import { runUsageConfigMapName, runUsageFromConfigMap } from '../model/agentrun/usage.js';
import { RouterMetrics } from './metrics.js';

let server: EmbeddedApiServer;
let client: KubeClient;
const ns = 'accounting';
const period = periodStart('Monthly', new Date());
const log = pino({ level: process.env.ACC_LOG ?? 'silent' });

beforeAll(async () => {
  server = await startApiServer({ logger: log });
  const kc = new KubeConfig();
  kc.loadFromString(server.kubeconfig());
  client = new KubeClient(kc);
  await client.create(NAMESPACES, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
}, 30_000);

afterAll(async () => {
  client?.close();
  await server?.close();
});

const accounting = (writeTimeoutMs?: number) => new UsageAccounting(client, log, new RouterMetrics(), { namespace: ns, flushIntervalMs: 60_000, laneUid: () => undefined, writeTimeoutMs });

async function stored(lane: string) {
  const cm = await client.get<{ data?: Record<string, string> }>(CONFIGMAPS, ns, usageConfigMapName(lane));
  return usageFromData(cm.data);
}

/**
 * A TCP proxy in front of the API server that, while `loseAnswersTo` names a method, passes such
 * requests on but swallows their answers: a write applied by the server whose answer is lost.
 */
async function answerLosingProxy(target: URL) {
  const sockets = new Set<net.Socket>();
  const proxy = { url: '', loseAnswersTo: undefined as string | undefined, lost: 0, close: () => Promise.resolve() };
  const srv = net.createServer((client) => {
    const upstream = net.connect(Number(target.port), target.hostname);
    sockets.add(client).add(upstream);
    let losing = false;
    client.on('data', (chunk) => {
      // One request at a time per connection (HTTP/1.1 without pipelining): the next answer is this request's.
      if (/^[A-Z]+ /.test(chunk.toString('latin1', 0, 8))) losing = proxy.loseAnswersTo !== undefined && chunk.toString('latin1').startsWith(`${proxy.loseAnswersTo} `);
      upstream.write(chunk);
    });
    upstream.on('data', (chunk) => {
      if (losing) proxy.lost++;
      else client.write(chunk);
    });
    const end = () => { client.destroy(); upstream.destroy(); };
    client.on('close', end).on('error', end);
    upstream.on('close', end).on('error', end);
  });
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  proxy.url = `http://127.0.0.1:${(srv.address() as net.AddressInfo).port}`;
  proxy.close = () => new Promise<void>((resolve) => {
    for (const s of sockets) s.destroy();
    srv.close(() => resolve());
  });
  return proxy;
}

async function until(what: string, probe: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('UsageAccounting.flush', () => {
  it('resolves only once every request recorded before the call is in the ConfigMap, even while earlier flushes queue up', async () => {
    const a = accounting();
    a.record('queued', 'Monthly', period, { requests: 1, promptTokens: 10 });
    await a.flush();
    const slow = server.faults.addLatency({ verbs: ['update'], resources: ['configmaps'], ms: 150 });
    try {
      a.record('queued', 'Monthly', period, { requests: 1, promptTokens: 10 });
      const first = a.flush(); // writing the second request, slowly
      a.record('queued', 'Monthly', period, { requests: 1, promptTokens: 10 });
      const timerTick = a.flush(); // a periodic flush arriving while the first one runs
      a.record('queued', 'Monthly', period, { requests: 1, promptTokens: 10 });
      await a.flush(); // what stop() and tests call
      expect((await stored('queued'))?.requests).toBe(4);
      await Promise.all([first, timerTick]);
    } finally {
      slow();
    }
  });

  it('stop() writes everything recorded, also when a periodic flush is in flight', async () => {
    const a = accounting();
    const slow = server.faults.addLatency({ verbs: ['update', 'create'], resources: ['configmaps'], ms: 100 });
    try {
      a.record('stopping', 'Monthly', period, { requests: 1 });
      void a.flush();
      a.record('stopping', 'Monthly', period, { requests: 1 });
      void a.flush();
      a.record('stopping', 'Monthly', period, { requests: 1 });
      await a.stop();
      expect((await stored('stopping'))?.requests).toBe(3);
    } finally {
      slow();
    }
  });

  it('gives up on a write the API server does not answer, so a hung request does not hold usage back forever', async () => {
    const a = accounting(100);
    a.record('hung', 'Monthly', period, { requests: 1 });
    await a.flush();
    const hang = server.faults.addLatency({ verbs: ['update'], resources: ['configmaps'], ms: 15_000 });
    try {
      a.record('hung', 'Monthly', period, { requests: 1 });
      await a.flush(); // resolves: each attempt times out after 100 ms, the batch stays pending
      a.record('other-lane', 'Monthly', period, { requests: 1 });
      await a.flush(); // another lane's first write (a create) is not stuck behind it
      expect((await stored('other-lane'))?.requests).toBe(1);
    } finally {
      hang();
    }
  }, 12_000);

  it('counts a batch once when the answer to its write was lost but the write landed', async () => {
    const proxy = await answerLosingProxy(new URL(server.url));
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'proxy', server: proxy.url, skipTLSVerify: true }], users: [{ name: 'u', token: server.token }],
      contexts: [{ name: 'proxy', cluster: 'proxy', user: 'u' }], currentContext: 'proxy',
    });
    const viaProxy = new KubeClient(kc);
    try {
      const a = new UsageAccounting(viaProxy, log, new RouterMetrics(), { namespace: ns, flushIntervalMs: 60_000, laneUid: () => undefined, writeTimeoutMs: 200 });
      a.record('lost', 'Monthly', period, { requests: 1 });
      await a.flush();
      expect((await stored('lost'))?.requests).toBe(1);
      proxy.loseAnswersTo = 'PUT'; // the API server applies the PUT; its answer never reaches the router
      a.record('lost', 'Monthly', period, { requests: 1 });
      const flushed = a.flush();
      await until('a PUT answer to be lost', async () => proxy.lost > 0);
      proxy.loseAnswersTo = undefined;
      await flushed;
      expect((await stored('lost'))?.requests).toBe(2);
      a.record('lost', 'Monthly', period, { requests: 1 });
      await a.flush();
      expect((await stored('lost'))?.requests).toBe(3);
    } finally {
      viaProxy.close();
      await proxy.close();
    }
  });

  it('writes the current period of a lane switched to a longer one (Daily to Monthly) instead of dropping it', async () => {
    // The ConfigMap holds today's Daily figure, whose start is later than this month's.
    const today = periodStart('Daily', new Date());
    await client.create(CONFIGMAPS, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: usageConfigMapName('switched'), namespace: ns }, data: usageToData({ ...emptyUsage(today), requests: 5 }) });
    const a = accounting();
    a.record('switched', 'Monthly', period, { requests: 1, costUSD: 0.5 });
    await a.flush();
    expect(await stored('switched')).toMatchObject({ periodStart: period, requests: 1, costUSD: 0.5 });
  });
});

describe('run usage', () => {
  const runCm = async (namespace: string, run: string) => client.get<{ metadata: { labels: Record<string, string>; annotations: Record<string, string> }; data: Record<string, string> }>(CONFIGMAPS, ns, runUsageConfigMapName(namespace, 'AgentRun', run));

  it('two writers (router replicas) add up in the run\'s ConfigMap; provider and model are the last answer\'s', async () => {
    const [a, b] = [accounting(), accounting()];
    const writes: Promise<void>[] = [];
    for (let i = 0; i < 20; i++) {
      const w = i % 2 ? a : b;
      w.recordRun('team', 'AgentRun', 'triage', { requests: 1, promptTokens: 10, completionTokens: 5, costUSD: 0.001, fallbacks: i % 5 === 0 ? 1 : 0, provider: 'claude', model: 'claude-sonnet-4-5' });
      if (i % 3 === 0) writes.push(w.flush());
    }
    await Promise.all([...writes, a.flush(), b.flush()]);
    const cm = await runCm('team', 'triage');
    expect(runUsageFromConfigMap(cm)).toMatchObject({ namespace: 'team', run: 'triage', requests: 20, promptTokens: 200, completionTokens: 100, totalTokens: 300, costUSD: 0.02, fallbacks: 4, provider: 'claude', model: 'claude-sonnet-4-5' });
    expect(cm.metadata.labels).toMatchObject({ 'agentlab.dev/usage-run': 'true', 'agentlab.dev/run-namespace': 'team', 'agentlab.dev/run': 'triage', 'app.kubernetes.io/managed-by': 'agentlab' });
    expect(Object.keys(JSON.parse(cm.metadata.annotations['agentlab.dev/usage-writes']) as object)).toHaveLength(2);
    expect(Date.parse(cm.data.updatedAt)).toBeGreaterThan(Date.now() - 60_000);
  });

  it('still writes the usage of a run whose token Secret was deleted, then drops its account', async () => {
    const a = accounting();
    a.recordRun('team', 'AgentRun', 'gone', { requests: 1, promptTokens: 7, completionTokens: 3 });
    const admitted = a.ledger.admit([{ key: runKey('team', 'AgentRun', 'gone'), limits: {}, label: 'run' }], { tokens: 10, costUSD: 0 });
    if (!admitted.ok) throw new Error(admitted.reason);
    a.ledger.settle(admitted.reservation, { tokens: 10, costUSD: 0 });
    a.forgetRun('team', 'AgentRun', 'gone');
    await a.flush();
    expect(runUsageFromConfigMap(await runCm('team', 'gone'))).toMatchObject({ requests: 1, totalTokens: 10 });
    expect(a.ledger.used(runKey('team', 'AgentRun', 'gone')).tokens).toBe(0);
  });
});
