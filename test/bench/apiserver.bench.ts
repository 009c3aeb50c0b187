// Benchmark of the embedded API server (issue 2, "Performance"). Not a test: it prints figures
// next to their targets. Run with `npm run bench:apiserver` (or `npx tsx test/bench/apiserver.bench.ts`).
//
//   1. create N custom resources (~2 KB each) from C concurrent clients: throughput, p50/p99 latency
//   2. memory of the server process (RSS, heap) before and after, holding the N objects
//   3. watch delivery latency, commit -> event (and write sent -> event), with W open watches
//
// Sizes can be changed with BENCH_OBJECTS, BENCH_CLIENTS, BENCH_WATCHERS, BENCH_WATCH_WRITES,
// BENCH_WATCH_WARMUP; BENCH_CPU_PROF=<dir> profiles the server process, BENCH_SERVER_NODE_ARGS adds
// node options to it (e.g. `--trace-opt --trace-deopt`, or `--perf-basic-prof` for perf). Server CPU
// per create and per watch event is the server process's user + system time over the phase, which
// machine load hardly changes.
import { fork, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { PerformanceObserver, performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { openWatch } from './watch-stream.js';

const OBJECTS = intFromEnv('BENCH_OBJECTS', 10_000);
const CLIENTS = intFromEnv('BENCH_CLIENTS', 32);
const WATCHERS = intFromEnv('BENCH_WATCHERS', 100);
const WATCH_WRITES = intFromEnv('BENCH_WATCH_WRITES', 200);
// Unmeasured writes first. With 10 (until 2026-12-03), V8 still compiled the fan-out's functions
// (dispatch, publish, the socket write path) with TurboFan during the measured writes
// (`BENCH_SERVER_NODE_ARGS='--trace-opt'`): they ran unoptimized for the first measured writes and
// their compile jobs took one of the two cores. By 100 they are optimized before the measure starts.
const WATCH_WARMUP = intFromEnv('BENCH_WATCH_WARMUP', 100);
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

/** Milliseconds since the epoch with sub-millisecond resolution; the server process reports times on the same kind of clock. */
const now = (): number => performance.timeOrigin + performance.now();

/** A garbage collection pause: when it started (`now()` clock) and how long it took. */
interface GcPause {
  at: number;
  ms: number;
}

/** Records this process's garbage collection pauses until stopped. */
function observeGc(): { pauses: GcPause[]; stop(): void } {
  const pauses: GcPause[] = [];
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) pauses.push({ at: performance.timeOrigin + e.startTime, ms: e.duration });
  });
  observer.observe({ entryTypes: ['gc'] });
  return { pauses, stop: () => observer.disconnect() };
}

const loadAverage = (): string => os.loadavg().map((l) => l.toFixed(2)).join(' ');

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
    const extra = (process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean);
    const child = fork(entry, [], { execArgv: ['--import', 'tsx', '--expose-gc', ...prof, ...extra], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const ready = await new Promise<{ url: string; token: string }>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (code) => reject(new Error(`the server process exited (${code}) before it was ready`)));
      child.on('message', (m: any) => m?.type === 'ready' && resolve(m));
    });
    return new Server(child, new URL(ready.url), ready.token);
  }

  /** Sends `{ type, ...extra }` to the server process and resolves with its answer of the same type. */
  private ask(type: string, extra: object = {}): Promise<any> {
    return new Promise((resolve) => {
      const onMessage = (m: any): void => {
        if (m?.type !== type) return;
        this.child.off('message', onMessage);
        resolve(m);
      };
      this.child.on('message', onMessage);
      this.child.send({ type, ...extra });
    });
  }

  async memory(): Promise<Memory> {
    const { usage } = await this.ask('memory');
    return { rss: usage.rss, heapUsed: usage.heapUsed };
  }

  /** The server process's CPU time so far, in microseconds. */
  async cpu(): Promise<Cpu> {
    const { usage } = await this.ask('cpu');
    return { user: usage.user, system: usage.system };
  }

  /**
   * How far the server process's clock is ahead of this one's, in ms: from the quickest of 20 round
   * trips, so the error is under half that round trip (printed with the figures).
   */
  async clockOffset(): Promise<{ offset: number; error: number }> {
    let best = { offset: 0, error: Infinity };
    for (let i = 0; i < 20; i++) {
      const t0 = now();
      const { now: server } = await this.ask('clock');
      const t1 = now();
      if ((t1 - t0) / 2 < best.error) best = { offset: server - (t0 + t1) / 2, error: (t1 - t0) / 2 };
    }
    return best;
  }

  /** For each resourceVersion, when the server committed its event and when its last watcher's socket write returned (server clock). */
  async commits(rvs: number[]): Promise<{ commits: Array<{ commit: number; fannedOut: number } | null>; gcPauses: GcPause[] }> {
    const { commits, gcPauses } = await this.ask('commits', { rvs });
    return { commits, gcPauses };
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
   * Opens a watch; `onLine` gets each event line (bytes, without the newline; valid during the call)
   * with the time the read that completed it returned. Read by `openWatch` (watch-stream.ts), not
   * Node's http client, which costs as much CPU per event as the server's fan-out: 100 streams
   * read by one process would then queue behind each other and the figure would measure the client.
   */
  watch(p: string, onLine: (line: Buffer, at: number) => void): Promise<() => void> {
    return openWatch(new URL(`${p}${p.includes('?') ? '&' : '?'}watch=1`, this.server.url), this.server.token, now, onLine);
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

const MODIFIED = Buffer.from('{"type":"MODIFIED","object":{');
const RESOURCE_VERSION = Buffer.from('"resourceVersion":"');

/**
 * The resourceVersion of a MODIFIED event's object, read from the line's bytes without decoding or
 * parsing it (about a microsecond; a JSON.parse of the line costs several, and keeping the lines
 * to parse later made this process's garbage collector pause in the middle of deliveries); -1 for
 * any other line. Only the probe object changes, and its first "resourceVersion" key is its own:
 * the metadata comes before spec, and a quote inside a JSON string is escaped.
 */
function eventStamp(line: Buffer): number {
  if (line.length < MODIFIED.length || line.compare(MODIFIED, 0, MODIFIED.length, 0, MODIFIED.length) !== 0) return -1;
  const at = line.indexOf(RESOURCE_VERSION, MODIFIED.length);
  if (at < 0) return -1;
  let rv = 0;
  let i = at + RESOURCE_VERSION.length;
  for (let c = line[i]; c >= 48 && c <= 57; c = line[++i]) rv = rv * 10 + (c - 48);
  return line[i] === 34 && i > at + RESOURCE_VERSION.length ? rv : -1;
}

interface WatchResult {
  writes: number;
  /** Per event: write sent -> event bytes here. */
  sentToEvent: number[];
  /** Per event: write committed on the server -> event bytes here. */
  commitToEvent: number[];
  /** Per write: sent -> committed. */
  sentToCommit: number[];
  /** Per write: committed -> the last watcher's socket write returned, on the server. */
  fanOut: number[];
  /** Per write: the server's last socket write returned -> the last watcher's event here (this process's backlog, and the kernel's). */
  clientLag: number[];
  /** Lines that were not a MODIFIED event of the probe. */
  unmeasured: number;
  /** This process's CPU time over the writes: the writes, reading 100 streams, stamping events. */
  benchCpu: Cpu;
  clockError: number;
  serverGc: GcPause[];
  benchGc: GcPause[];
}

async function watchPhase(server: Server, client: Client): Promise<WatchResult> {
  const collection = `/apis/${GROUP}/v1/namespaces/${WATCH_NAMESPACE}/items`;
  const probe = await client.must('POST', collection, { apiVersion: `${GROUP}/v1`, kind: 'Item', metadata: { name: 'probe' }, spec: { index: 0 } });
  // The first writes warm up both sides (JIT, socket buffers) and are not measured.
  const warmup = WATCH_WARMUP;
  const writes = warmup + WATCH_WRITES;
  // Every event's resourceVersion and arrival, in arrays allocated up front: nothing is kept per
  // event that the garbage collector would have to trace or move while deliveries are measured.
  const capacity = WATCHERS * writes;
  const eventRv = new Float64Array(capacity);
  const eventAt = new Float64Array(capacity);
  let events = 0;
  let unmeasured = 0;
  let pending = 0;
  let wake: (() => void) | undefined;
  const closers: Array<() => void> = [];
  // Only the probe object changes in this namespace, so each write is one event per watch.
  for (let w = 0; w < WATCHERS; w++) {
    closers.push(
      await client.watch(`${collection}?resourceVersion=${probe.metadata.resourceVersion}`, (line, at) => {
        const rv = eventStamp(line);
        if (rv >= 0 && events < capacity) {
          eventRv[events] = rv;
          eventAt[events++] = at;
        } else unmeasured++;
        if (--pending === 0) wake?.();
      }),
    );
  }
  const benchGc = observeGc();
  const benchCpu0 = process.cpuUsage();
  const sentAt = new Map<number, number>();
  for (let n = 1; n <= writes; n++) {
    const delivered = new Promise<void>((resolve) => (wake = resolve));
    pending = WATCHERS;
    const sent = now();
    const patched = await client.must('PATCH', `${collection}/probe`, { spec: { index: n } }, 'application/merge-patch+json');
    if (n > warmup) sentAt.set(Number(patched.metadata.resourceVersion), sent);
    await Promise.race([delivered, new Promise((r) => setTimeout(r, 5_000))]);
  }
  const benchCpu = process.cpuUsage(benchCpu0);
  for (const close of closers) close();
  benchGc.stop();

  const measured = [...sentAt.keys()];
  const { commits, gcPauses } = await server.commits(measured);
  const clock = await server.clockOffset();
  // Server times on this process's clock.
  const commitAt = new Map<number, { commit: number; fannedOut: number }>();
  measured.forEach((rv, i) => {
    const c = commits[i];
    if (c) commitAt.set(rv, { commit: c.commit - clock.offset, fannedOut: c.fannedOut - clock.offset });
  });
  const sentToEvent: number[] = [];
  const commitToEvent: number[] = [];
  const lastArrival = new Map<number, number>();
  for (let i = 0; i < events; i++) {
    const sent = sentAt.get(eventRv[i]);
    if (sent === undefined) continue;
    sentToEvent.push(eventAt[i] - sent);
    const c = commitAt.get(eventRv[i]);
    if (c) commitToEvent.push(eventAt[i] - c.commit);
    lastArrival.set(eventRv[i], Math.max(lastArrival.get(eventRv[i]) ?? -Infinity, eventAt[i]));
  }
  const sorted = (xs: number[]): number[] => xs.sort((a, b) => a - b);
  const from = Math.min(...sentAt.values());
  return {
    writes,
    sentToEvent: sorted(sentToEvent),
    commitToEvent: sorted(commitToEvent),
    sentToCommit: sorted([...commitAt].map(([rv, c]) => c.commit - sentAt.get(rv)!)),
    fanOut: sorted([...commitAt.values()].map((c) => c.fannedOut - c.commit)),
    clientLag: sorted([...commitAt].filter(([rv]) => lastArrival.has(rv)).map(([rv, c]) => lastArrival.get(rv)! - c.fannedOut)),
    unmeasured,
    benchCpu,
    clockError: clock.error,
    serverGc: gcPauses.filter((g) => g.at - clock.offset >= from),
    benchGc: benchGc.pauses.filter((g) => g.at >= from),
  };
}

async function main(): Promise<void> {
  console.log(`embedded API server benchmark: ${OBJECTS} objects, ${CLIENTS} clients, ${WATCHERS} watches, ${WATCH_WRITES} watched writes after ${WATCH_WARMUP} unmeasured`);
  const load0 = loadAverage();
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
    const watch = await watchPhase(server, client);
    const watchCpu = cpuSince(cpu1, await server.cpu());
    const p99Watch = percentile(watch.commitToEvent, 99);
    const p50p99 = (xs: number[]): string => `${ms(percentile(xs, 50))} / ${ms(percentile(xs, 99))} ms`;
    const gc = (pauses: GcPause[]): string =>
      `${pauses.length}, ${ms(pauses.reduce((t, g) => t + g.ms, 0))} ms in all, longest ${ms(Math.max(0, ...pauses.map((g) => g.ms)))} ms`;
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
      ['watch delivery p50', `${ms(percentile(watch.commitToEvent, 50))} ms`, ''],
      ['watch delivery p99', `${ms(p99Watch)} ms`, `<= ${TARGET_WATCH_P99_MS} ms ${p99Watch <= TARGET_WATCH_P99_MS ? 'OK' : 'MISSED'}`],
      ['  write sent -> event p50 / p99', p50p99(watch.sentToEvent), ''],
      ['  write sent -> commit p50 / p99', p50p99(watch.sentToCommit), ''],
      ['  server fan-out p50 / p99', p50p99(watch.fanOut), ''],
      ['  last socket write -> last event here p50 / p99', p50p99(watch.clientLag), ''],
      ['  clock offset error', `< ${ms(watch.clockError)} ms`, ''],
      ['  GC pauses, server', gc(watch.serverGc), ''],
      ['  GC pauses, bench client', gc(watch.benchGc), ''],
      ['watch events measured', `${watch.commitToEvent.length} of ${WATCHERS * WATCH_WRITES} (${watch.unmeasured} other lines)`, ''],
      ['server CPU per watched write', `${perOp(watchCpu, watch.writes)}: the patch and ${WATCHERS} events`, ''],
      ['server CPU per watch event', perOp(watchCpu, watch.writes * WATCHERS, 1), ''],
      ['bench client CPU per watch event', `${perOp(watch.benchCpu, watch.writes * WATCHERS, 1)}, its patch included`, ''],
      ['load average at start / end', `${load0} / ${loadAverage()}`, ''],
    ];
    const w0 = Math.max(...rows.map((r) => r[0].length));
    const w1 = Math.max(...rows.map((r) => r[1].length));
    console.log(`${'figure'.padEnd(w0)}  ${'measured'.padEnd(w1)}  target`);
    for (const [name, value, target] of rows) console.log(`${name.padEnd(w0)}  ${value.padEnd(w1)}  ${target}`);
    console.log('Note: watch delivery is measured from the write\'s commit in the server (its event handed to the watch hub) to');
    console.log('the arrival of the event bytes in this process (parsed afterwards), on clocks lined up by IPC round trips;');
    console.log('"write sent -> event" adds the write\'s own handling before the commit. Server fan-out is commit to the last');
    console.log('watcher\'s socket write returning. The load generator shares the machine with the server: an upper bound.');
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
