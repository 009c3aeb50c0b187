/**
 * Benchmark of the embedded API server (prints figures; not a test):
 *   npx tsx hack/apiserver/bench.ts [objects=10000] [clients=32] [watches=100]
 * Creates custom resources of ~2 KB from concurrent clients over HTTP, with watches open,
 * and reports create throughput and latency, write-to-watch-event latency, and RSS.
 */
import http from 'node:http';
import { startApiServer } from './server.js';

const [objects = 10_000, clients = 32, watches = 100] = process.argv.slice(2).map(Number);

const CRD = {
  apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: 'benches.bench.agentlab.dev' },
  spec: { group: 'bench.agentlab.dev', scope: 'Namespaced', names: { plural: 'benches', singular: 'bench', kind: 'Bench' },
    versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', properties: {
      spec: { type: 'object', properties: { payload: { type: 'string', maxLength: 4096 }, index: { type: 'integer' } } } } } } }] },
};

const agent = new http.Agent({ keepAlive: true, maxSockets: clients + watches + 4 });

function request(url: string, token: string, method: string, body?: unknown): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request(url, { method, agent, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { text += c; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end(data);
  });
}

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
}

const server = await startApiServer();
const base = server.url;
await request(`${base}/apis/apiextensions.k8s.io/v1/customresourcedefinitions`, server.token, 'POST', CRD);
await new Promise((r) => setTimeout(r, 100));
const path = '/apis/bench.agentlab.dev/v1/namespaces/default/benches';

// Phase 1: bulk creates from concurrent clients (throughput, create latency, memory).
const payload = 'x'.repeat(1900);
const latencies: number[] = [];
let next = 0;
const started = performance.now();
await Promise.all(Array.from({ length: clients }, async () => {
  while (next < objects) {
    const i = next++;
    const t0 = performance.now();
    const r = await request(`${base}${path}`, server.token, 'POST',
      { apiVersion: 'bench.agentlab.dev/v1', kind: 'Bench', metadata: { name: `bench-${i}`, labels: { app: 'bench' } }, spec: { payload, index: i } });
    if (r.status !== 201) throw new Error(`create bench-${i}: ${r.status} ${r.text}`);
    latencies.push(performance.now() - t0);
  }
}));
const seconds = (performance.now() - started) / 1000;
global.gc?.();
const rss = process.memoryUsage().rss / 1024 / 1024;

// Phase 2: open watches, then write one object at a time and time write -> event on every watcher.
const waiting = new Map<number, () => void>();
const streams: http.ClientRequest[] = [];
const rv = JSON.parse((await request(`${base}${path}?limit=1`, server.token, 'GET')).text).metadata.resourceVersion as string;
for (let i = 0; i < watches; i++) {
  await new Promise<void>((resolve) => {
    const req = http.request(`${base}${path}?watch=true&resourceVersion=${rv}`, { agent, headers: { authorization: `Bearer ${server.token}` } }, (res) => {
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        buf += c;
        let n: number;
        while ((n = buf.indexOf('\n')) >= 0) { buf = buf.slice(n + 1); waiting.get(i)?.(); }
      });
      resolve();
    });
    req.end();
    streams.push(req);
  });
}
const deliveries: number[] = [];
const writes = Math.min(500, objects);
for (let k = 0; k < writes; k++) {
  const arrived = Array.from({ length: watches }, (_, i) => new Promise<void>((resolve) => waiting.set(i, resolve)));
  const t0 = performance.now();
  const body = JSON.stringify({ spec: { index: -k - 1 } });
  await new Promise<void>((resolve, reject) => {
    const req = http.request(`${base}${path}/bench-${k}`, { method: 'PATCH', agent,
      headers: { authorization: `Bearer ${server.token}`, 'content-type': 'application/merge-patch+json' } }, (res) => { res.resume(); res.on('end', resolve); });
    req.on('error', reject);
    req.end(body);
  });
  await Promise.all(arrived);
  deliveries.push(performance.now() - t0);
}

console.log(JSON.stringify({
  objects, clients, watches,
  createsPerSecond: Math.round(objects / seconds),
  createP50Ms: +percentile(latencies, 50).toFixed(2), createP99Ms: +percentile(latencies, 99).toFixed(2),
  rssMiBAfterCreates: Math.round(rss),
  watchDeliveryP50Ms: +percentile(deliveries, 50).toFixed(2), watchDeliveryP99Ms: +percentile(deliveries, 99).toFixed(2),
  note: 'server and clients share one process (RSS includes both); delivery = PATCH sent -> event received by all watchers',
}, null, 2));
for (const s of streams) s.destroy();
agent.destroy();
await server.close();
