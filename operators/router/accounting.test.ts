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
import { LaneAccounting } from './accounting.js';
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

const accounting = (writeTimeoutMs?: number) => new LaneAccounting(client, log, new RouterMetrics(), { namespace: ns, flushIntervalMs: 60_000, laneUid: () => undefined, writeTimeoutMs });

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

describe('LaneAccounting.flush', () => {
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
      const a = new LaneAccounting(viaProxy, log, new RouterMetrics(), { namespace: ns, flushIntervalMs: 60_000, laneUid: () => undefined, writeTimeoutMs: 200 });
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
