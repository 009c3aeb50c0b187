// Benchmark of the embedded API server (issue 2, "Performance"). Not a test: it prints figures
// next to their targets. Run with `npm run bench:apiserver` (or `npx tsx test/bench/apiserver.bench.ts`).
//
//   1. create N custom resources (~2 KB each) from C concurrent clients: throughput, p50/p99 latency
//   2. memory of the server process (RSS, heap) before and after, holding the N objects
//   3. watch delivery latency, write -> event, with W open watches
//
// Sizes can be changed with BENCH_OBJECTS, BENCH_CLIENTS, BENCH_WATCHERS, BENCH_WATCH_WRITES;
// BENCH_CPU_PROF=<dir> profiles the server process. Server CPU per create and per watch event is
// the server process's user + system time over the phase, which machine load hardly changes.
import { fork, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

const OBJECTS = intFromEnv('BENCH_OBJECTS', 10_000);
const CLIENTS = intFromEnv('BENCH_CLIENTS', 32);
const WATCHERS = intFromEnv('BENCH_WATCHERS', 100);
const WATCH_WRITES = intFromEnv('BENCH_WATCH_WRITES', 200);
const TARGET_WATCH_P99_MS = 5;
const TARGET_RSS_MB = 300;

const GROUP = 'bench.agentlab.dev';
const NAMESPACE = 'bench';
const WATCH_NAMESPACE = 'bench-watch';

function intFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name}=${raw}: expected a positive integer`);
  return n;
}

/** CPU time in microseconds: user (the server's JavaScript, GC) and system (the kernel: socket reads and writes). */
interface Cpu {
  user: number;
  system: number;
}

const cpuSince = (a: Cpu, b: Cpu): Cpu => ({ user: b.user - a.user, system: b.system - a.system });

/** `total µs (user u, system s)` per operation. */
function perOp(c: Cpu, ops: number, digits = 0): string {
  const f = (v: number): string => (v / ops).toFixed(digits);
  return `${f(c.user + c.system)} µs (user ${f(c.user)}, system ${f(c.system)})`;
}

interface Memory {
  rss: number;
  heapUsed: number;
}

class Server {
  private constructor(
    private readonly child: ChildProcess,
    readonly url: URL,
    readonly token: string,
  ) {}

  static async start(): Promise<Server> {
    const entry = path.join(path.dirname(fileURLToPath(import.meta.url)), 'apiserver-child.ts');
    // BENCH_CPU_PROF=<dir> writes a V8 CPU profile of the server process there (open it in Chrome DevTools).
    const prof = process.env.BENCH_CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_CPU_PROF] : [];
    const child = fork(entry, [], { execArgv: ['--import', 'tsx', '--expose-gc', ...prof], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const ready = await new Promise<{ url: string; token: string }>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (code) => reject(new Error(`the server process exited (${code}) before it was ready`)));
      child.on('message', (m: any) => m?.type === 'ready' && resolve(m));
    });
    return new Server(child, new URL(ready.url), ready.token);
  }

  memory(): Promise<Memory> {
    return new Promise((resolve) => {
      const onMessage = (m: any): void => {
        if (m?.type !== 'memory') return;
        this.child.off('message', onMessage);
        resolve({ rss: m.usage.rss, heapUsed: m.usage.heapUsed });
      };
      this.child.on('message', onMessage);
      this.child.send({ type: 'memory' });
    });
  }

  /** The server process's CPU time so far, in microseconds. */
  cpu(): Promise<Cpu> {
    return new Promise((resolve) => {
      const onMessage = (m: any): void => {
        if (m?.type !== 'cpu') return;
        this.child.off('message', onMessage);
        resolve({ user: m.usage.user, system: m.usage.system });
      };
      this.child.on('message', onMessage);
      this.child.send({ type: 'cpu' });
    });
  }

  async stop(): Promise<void> {
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.send({ type: 'stop' });
    await exited;
  }
}

class Client {
  private readonly agent: http.Agent;
  private readonly mod: typeof http | typeof https;

  constructor(
    private readonly server: Server,
    sockets: number,
  ) {
    this.mod = server.url.protocol === 'https:' ? https : http;
    this.agent = new this.mod.Agent({ keepAlive: true, maxSockets: sockets, rejectUnauthorized: false } as https.AgentOptions);
  }

  request(method: string, p: string, body?: unknown, contentType = 'application/json'): Promise<{ status: number; text: string }> {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    return new Promise((resolve, reject) => {
      const req = this.mod.request(
        new URL(p, this.server.url),
        {
          method,
          agent: this.agent,
          headers: {
            Authorization: `Bearer ${this.server.token}`,
            Accept: 'application/json',
            ...(payload ? { 'Content-Type': contentType, 'Content-Length': payload.length } : {}),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  }

  async must(method: string, p: string, body?: unknown, contentType?: string): Promise<any> {
    const res = await this.request(method, p, body, contentType);
    if (res.status >= 300) throw new Error(`${method} ${p}: HTTP ${res.status}: ${res.text.slice(0, 300)}`);
    return JSON.parse(res.text);
  }

  /**
   * Opens a watch; `onLine` gets each raw event line with the time its bytes arrived. Parsing is
   * left to the caller, after the measurement, so that 100 streams parsed in this one process do
   * not queue behind each other and inflate the figures.
   */
  watch(p: string, onLine: (line: string, at: number) => void): Promise<() => void> {
    return new Promise((resolve, reject) => {
      const req = this.mod.request(
        new URL(`${p}${p.includes('?') ? '&' : '?'}watch=1`, this.server.url),
        { headers: { Authorization: `Bearer ${this.server.token}` }, rejectUnauthorized: false } as https.RequestOptions,
        (res) => {
          if (res.statusCode !== 200) return reject(new Error(`watch ${p}: HTTP ${res.statusCode}`));
          let buffer = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            const at = performance.now();
            buffer += chunk;
            let nl: number;
            while ((nl = buffer.indexOf('\n')) >= 0) {
              const line = buffer.slice(0, nl);
              buffer = buffer.slice(nl + 1);
              if (line.length > 0) onLine(line, at);
            }
          });
          res.on('error', () => {});
          resolve(() => req.destroy());
        },
      );
      req.on('error', (err) => reject(err));
      req.end();
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

const mb = (bytes: number): string => (bytes / 1024 / 1024).toFixed(1);
const ms = (v: number): string => v.toFixed(2);

function crd(): unknown {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `items.${GROUP}` },
    spec: {
      group: GROUP,
      scope: 'Namespaced',
      names: { plural: 'items', singular: 'item', kind: 'Item', listKind: 'ItemList' },
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          subresources: { status: {} },
          schema: {
            openAPIV3Schema: {
              type: 'object',
              properties: {
                spec: {
                  type: 'object',
                  properties: {
                    index: { type: 'integer', minimum: 0 },
                    owner: { type: 'string', maxLength: 64 },
                    notes: { type: 'string', maxLength: 4096 },
                    tags: { type: 'array', maxItems: 32, items: { type: 'string', maxLength: 64 } },
                  },
                },
              },
            },
          },
        },
      ],
    },
  };
}

/** An object whose JSON is about 2 KB, like a typical small custom resource. */
function item(i: number): unknown {
  return {
    apiVersion: `${GROUP}/v1`,
    kind: 'Item',
    metadata: { name: `item-${i}`, labels: { app: 'bench', shard: String(i % 16) }, annotations: { 'bench.agentlab.dev/created-by': 'apiserver.bench.ts' } },
    spec: {
      index: i,
      owner: `client-${i % CLIENTS}`,
      notes: 'x'.repeat(1700),
      tags: Array.from({ length: 8 }, (_, t) => `tag-${t}-${i % 97}`),
    },
  };
}

async function setUp(client: Client): Promise<void> {
  await client.must('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', crd());
  const deadline = Date.now() + 30_000;
  for (;;) {
    const res = await client.request('GET', `/apis/${GROUP}/v1/namespaces/default/items`);
    if (res.status === 200) break;
    if (Date.now() > deadline) throw new Error(`the benchmark CRD was not served within 30 s (last HTTP ${res.status})`);
    await new Promise((r) => setTimeout(r, 50));
  }
  for (const ns of [NAMESPACE, WATCH_NAMESPACE]) {
    await client.must('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  }
}

async function createPhase(client: Client): Promise<{ seconds: number; latencies: number[]; bytes: number }> {
  const latencies: number[] = [];
  let next = 0;
  const bytes = Buffer.byteLength(JSON.stringify(item(OBJECTS - 1)));
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      for (let i = next++; i < OBJECTS; i = next++) {
        const t0 = performance.now();
        const res = await client.request('POST', `/apis/${GROUP}/v1/namespaces/${NAMESPACE}/items`, item(i));
        latencies.push(performance.now() - t0);
        if (res.status !== 201) throw new Error(`create item-${i}: HTTP ${res.status}: ${res.text.slice(0, 200)}`);
      }
    }),
  );
  return { seconds: (performance.now() - started) / 1000, latencies: latencies.sort((a, b) => a - b), bytes };
}

async function watchPhase(client: Client): Promise<{ delays: number[]; writes: number }> {
  const collection = `/apis/${GROUP}/v1/namespaces/${WATCH_NAMESPACE}/items`;
  const probe = await client.must('POST', collection, { apiVersion: `${GROUP}/v1`, kind: 'Item', metadata: { name: 'probe' }, spec: { index: 0 } });
  const sentAt = new Map<number, number>();
  const arrivals: Array<{ line: string; at: number }> = [];
  let pending = 0;
  let wake: (() => void) | undefined;
  const closers: Array<() => void> = [];
  // Only the probe object changes in this namespace, so each write is one event per watch.
  for (let w = 0; w < WATCHERS; w++) {
    closers.push(
      await client.watch(`${collection}?resourceVersion=${probe.metadata.resourceVersion}`, (line, at) => {
        arrivals.push({ line, at });
        if (--pending === 0) wake?.();
      }),
    );
  }
  // The first writes warm up both sides (JIT, socket buffers) and are not measured.
  const warmup = Math.min(10, WATCH_WRITES);
  for (let n = 1; n <= warmup + WATCH_WRITES; n++) {
    const delivered = new Promise<void>((resolve) => (wake = resolve));
    pending = WATCHERS;
    sentAt.set(n, performance.now());
    await client.must('PATCH', `${collection}/probe`, { spec: { index: n } }, 'application/merge-patch+json');
    await Promise.race([delivered, new Promise((r) => setTimeout(r, 5_000))]);
  }
  for (const close of closers) close();
  const delays: number[] = [];
  for (const { line, at } of arrivals) {
    const e = JSON.parse(line);
    const n = Number(e.object?.spec?.index);
    const sent = sentAt.get(n);
    if (e.type === 'MODIFIED' && sent !== undefined && n > warmup) delays.push(at - sent);
  }
  return { delays: delays.sort((a, b) => a - b), writes: warmup + WATCH_WRITES };
}

async function main(): Promise<void> {
  console.log(`embedded API server benchmark: ${OBJECTS} objects, ${CLIENTS} clients, ${WATCHERS} watches, ${WATCH_WRITES} watched writes`);
  const server = await Server.start();
  const client = new Client(server, Math.max(CLIENTS, 4));
  try {
    await setUp(client);
    const before = await server.memory();

    const cpu0 = await server.cpu();
    const create = await createPhase(client);
    const createCpu = cpuSince(cpu0, await server.cpu());
    const after = await server.memory();
    const list = await client.must('GET', `/apis/${GROUP}/v1/namespaces/${NAMESPACE}/items?limit=1`);
    const held = (list.metadata.remainingItemCount ?? 0) + list.items.length;

    const cpu1 = await server.cpu();
    const watch = await watchPhase(client);
    const watchCpu = cpuSince(cpu1, await server.cpu());
    const delays = watch.delays;
    const p99Watch = percentile(delays, 99);
    const rows: Array<[string, string, string]> = [
      ['create throughput', `${(OBJECTS / create.seconds).toFixed(0)} objects/s (${create.seconds.toFixed(1)} s)`, ''],
      ['create latency p50', `${ms(percentile(create.latencies, 50))} ms`, ''],
      ['create latency p99', `${ms(percentile(create.latencies, 99))} ms`, ''],
      ['server CPU per create', perOp(createCpu, OBJECTS), ''],
      ['object size', `${create.bytes} bytes of JSON`, '~2 KB'],
      ['objects held', String(held), String(OBJECTS)],
      ['server RSS before', `${mb(before.rss)} MB`, ''],
      ['server RSS holding the objects', `${mb(after.rss)} MB`, `< ${TARGET_RSS_MB} MB ${after.rss < TARGET_RSS_MB * 1024 * 1024 ? 'OK' : 'MISSED'}`],
      ['server RSS delta', `${mb(after.rss - before.rss)} MB`, ''],
      ['server heap delta', `${mb(after.heapUsed - before.heapUsed)} MB`, ''],
      ['watch delivery p50', `${ms(percentile(delays, 50))} ms`, ''],
      ['watch delivery p99', `${ms(p99Watch)} ms`, `<= ${TARGET_WATCH_P99_MS} ms ${p99Watch <= TARGET_WATCH_P99_MS ? 'OK' : 'MISSED'}`],
      ['watch events measured', `${delays.length} of ${WATCHERS * WATCH_WRITES}`, ''],
      ['server CPU per watched write', `${perOp(watchCpu, watch.writes)}: the patch and ${WATCHERS} events`, ''],
      ['server CPU per watch event', perOp(watchCpu, watch.writes * WATCHERS, 1), ''],
    ];
    const w0 = Math.max(...rows.map((r) => r[0].length));
    const w1 = Math.max(...rows.map((r) => r[1].length));
    console.log(`${'figure'.padEnd(w0)}  ${'measured'.padEnd(w1)}  target`);
    for (const [name, value, target] of rows) console.log(`${name.padEnd(w0)}  ${value.padEnd(w1)}  ${target}`);
    console.log('Note: watch delivery is measured from just before the write is sent to the arrival of the event bytes in this');
    console.log('process (parsed afterwards); the load generator shares the machine with the server, so it is an upper bound.');
    console.log('Server CPU is the server process\'s own time over the phase, which load on the machine changes far less than');
    console.log('latency: user is its JavaScript and GC, system the kernel\'s socket work (a write per response and per event).');
  } finally {
    client.close();
    await server.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.stack : err);
  process.exit(1);
});
