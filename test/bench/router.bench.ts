// Lane router overhead benchmark. Run: npm run bench:router
// Streams chat answers from the fake Ollama directly and through the router (same run, same
// fake, interleaved) at 1, 32 and 256 concurrent streams, and prints the added latency
// (p50/p99 of the whole answer), the time-to-first-token difference and requests/s.
// Targets: router CPU per request within 1.3x of a bare Node reverse proxy piping the same streams
// (the floor, measured in the same run), p99 added latency < 1 ms at one stream, and no buffering
// (same chunk count and TTFT as direct).
// The router runs in its own process (one event loop: one core); the fake Ollama in another. Each
// runs its JavaScript compiled as the images do (BENCH_TSX=1: through tsx, as before 2026-12-03).
// BENCH_REQUESTS scales the number of requests per concurrency level (default 8000), split into
// BENCH_ROUNDS rounds (default 16) in which every side takes its turn (more rounds: less drift on a busy machine; the router/proxy ratio is also printed per round, as the median and quartiles of the rounds, round-ratios.ts);
// The processes compared run on one CPU and the rest on the others wherever there are 2 CPUs and taskset (cpu-pin.ts; BENCH_PIN=0: unpinned,
// where the same build read up to 48 % apart in one run; BENCH_PIN=1: pinned or fail).
// BENCH_ONE_STREAM_REQUESTS sets the one-stream row's chats (default BENCH_REQUESTS): at one stream a chat takes ~1 ms of wall time per side.
// BENCH_LEVELS picks the concurrency levels (default "1,32,256"); BENCH_NODE_ARGS passes flags to the router process (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof"), BENCH_BARE_NODE_ARGS to the bare proxy's.
// Before each level's row every side also runs BENCH_LEVEL_WARM_UP chats (default 500; at most the row's count) at that level,
// so that no row pays V8 compiling the code its own shape makes hot (0: the warm-up at the highest level only, as before).
// BENCH_BASELINE_ROUTER=<router-child.js of another build> runs that router too, as a fourth side in
// the same interleaving, and prints its CPU per request, TTFT and latency beside this one's (before/after in one run).
// BENCH_PROFILE_DIR=<dir> writes a V8 CPU profile of each of the router's, the bare proxy's and the baseline router's own turns
// (<side>-<streams>-<round>.cpuprofile): the measured rows only, without start-up, warm-up or the other sides' turns.
// The profiler's own cost is then in the CPU columns.
// BENCH_KUBECONFIG: the LanePolicy, namespaces and token Secret on that cluster instead of the embedded API server (bench-cluster.ts);
// the router, the bare proxy and the fake Ollama still run here as processes, the router reading the cluster through that kubeconfig.
// The namespaces and the LanePolicy are deleted at the end.
// It also prints the router's and the bare proxy's GC pauses in their own rows (bench-gc.ts): at one stream each pause
// delays the one request in flight, which is where the router's one-stream p99 tail comes from (docs/benchmarks.md).
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { nodeEntry } from '../harness/node-entry.js';
import { KubeClient } from '../../operators/runtime/kube.js';
import { LANEPOLICIES, SECRETS } from '../../operators/model/lanes/resources.js';
import { benchCluster } from './bench-cluster.js';
import { gcDelta, type GcTotals } from './bench-gc.js';
import { pinFromEnv, pinnedCommand } from './cpu-pin.js';
import { formatRoundRatios, roundRatios } from './round-ratios.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..', '..');
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 8000);
const ROUNDS = Math.max(1, Math.floor(Number(process.env.BENCH_ROUNDS ?? 16)));
/** Chats per side in the one-stream row (BENCH_ONE_STREAM_REQUESTS, default and at most BENCH_REQUESTS). */
const ONE_STREAM_REQUESTS = Math.min(REQUESTS, Number(process.env.BENCH_ONE_STREAM_REQUESTS ?? REQUESTS));
/** Chats per side at each level's own shape before its row (BENCH_LEVEL_WARM_UP; 0: none, as before 2026-12-03 19:30). */
const LEVEL_WARM_UP = Math.max(0, Math.floor(Number(process.env.BENCH_LEVEL_WARM_UP ?? 500)));
/** BENCH_PROFILE_DIR: V8 CPU profiles of the router's, the bare proxy's and the baseline router's own turns in each row (bench-profile.ts). */
const PROFILE_DIR = process.env.BENCH_PROFILE_DIR ? path.resolve(process.env.BENCH_PROFILE_DIR) : undefined;
const log = pino({ level: 'warn' }, pino.destination(2));
// Pinned (unless BENCH_PIN=0): the router(s) and the bare proxy on the last CPU, this process and the fake Ollama on the others (cpu-pin.ts).
const PIN = pinFromEnv();

interface Child { proc: ChildProcess; url: string; cpuMicros(): Promise<number>; gc(): Promise<GcTotals> }

// Every child started, so that a failed run does not leave them running.
const started: ChildProcess[] = [];

/**
 * How a child runs: its JavaScript compiled as the images run it (test/harness/node-entry.ts: no
 * tsx loader, none of the name-keeping wrappers tsx adds to every closure), or with BENCH_TSX=1
 * through tsx as the benchmark ran before 2026-12-03 (for comparing with older figures).
 */
async function entry(script: string): Promise<string[]> {
  return process.env.BENCH_TSX === '1' ? ['--import', 'tsx', path.join(here, script)] : nodeEntry(path.join('test', 'bench', script));
}

async function child(script: string, env: Record<string, string>, compiledFile?: string): Promise<Child> {
  const nodeArgs = script === 'router-child.ts' ? process.env.BENCH_NODE_ARGS : script === 'router-bare-proxy.ts' ? process.env.BENCH_BARE_NODE_ARGS : undefined;
  const [command, args] = pinnedCommand(PIN, script === 'router-fake-ollama.ts' ? 'driving' : 'measured', process.execPath, [...(nodeArgs ? nodeArgs.split(' ') : []), ...(compiledFile ? [compiledFile] : await entry(script))]);
  const proc = spawn(command, args, { cwd: repo, env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'inherit'] });
  started.push(proc);
  const cpuWaiters: ((n: number) => void)[] = [];
  const gcWaiters: ((t: GcTotals) => void)[] = [];
  return new Promise((resolve, reject) => {
    const rl = readline.createInterface({ input: proc.stdout! });
    rl.on('line', (line) => {
      if (line.startsWith('url ')) {
        resolve({
          proc,
          url: line.slice(4),
          cpuMicros: () => new Promise((r) => {
            cpuWaiters.push(r);
            proc.stdin!.write('cpu\n');
          }),
          gc: () => new Promise((r) => {
            gcWaiters.push(r);
            proc.stdin!.write('gc\n');
          }),
        });
      } else if (line.startsWith('cpu ')) cpuWaiters.shift()?.(Number(line.slice(4)));
      else if (line.startsWith('gc ')) gcWaiters.shift()?.(JSON.parse(line.slice(3)) as GcTotals);
    });
    proc.once('exit', (code) => reject(new Error(`${script} exited ${code}`)));
  });
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 1024 });

interface Sample { totalMs: number; ttftMs: number; chunks: number }

/**
 * One streamed chat: time to the first token-bearing chunk and to the end. A pooled connection the
 * server closed as idle just as it was reused (the fake Ollama closes idle ones after 5 s, and a
 * row of the other sides takes longer under load) resets before any answer: that chat is sent
 * again while the reset connection was a pooled one, as the router and the bare proxy do upstream
 * (connections idle since the same row close together, so the next pooled one may be reset too).
 */
function stream(url: string, token: string | undefined, model: string): Promise<Sample> {
  const body = JSON.stringify({ model, messages: [{ role: 'user', content: 'Write two sentences about homelabs.' }], stream: true, options: { num_predict: 64 } });
  const u = new URL(`${url}/api/chat`);
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    let ttft = -1;
    let chunks = 0;
    let rest = '';
    let answered = false;
    const req = http.request(u, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...(token ? { authorization: `Bearer ${token}` } : {}) } }, (res) => {
      answered = true;
      if (res.statusCode !== 200) {
        reject(new Error(`HTTP ${res.statusCode} from ${url}`));
        res.resume();
        return;
      }
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        rest += c;
        let nl: number;
        while ((nl = rest.indexOf('\n')) !== -1) {
          const line = rest.slice(0, nl);
          rest = rest.slice(nl + 1);
          if (!line) continue;
          const j = JSON.parse(line) as { message?: { content?: string }; done?: boolean };
          if (j.message?.content) {
            chunks++;
            if (ttft < 0) ttft = Number(process.hrtime.bigint() - t0) / 1e6;
          }
        }
      });
      res.on('end', () => resolve({ totalMs: Number(process.hrtime.bigint() - t0) / 1e6, ttftMs: ttft, chunks }));
      res.on('error', reject);
    });
    req.setNoDelay(true);
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (req.reusedSocket && !answered && (err.code === 'ECONNRESET' || err.code === 'EPIPE')) stream(url, token, model).then(resolve, reject);
      else reject(err);
    });
    req.end(body);
  });
}

async function run(concurrency: number, n: number, fn: () => Promise<Sample>): Promise<{ samples: Sample[]; seconds: number }> {
  const samples: Sample[] = [];
  let i = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (i++ < n) samples.push(await fn());
  }));
  return { samples, seconds: (performance.now() - t0) / 1000 };
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const f2 = (x: number) => x.toFixed(3).padStart(8);
const zeroGc = (): GcTotals => ({ minor: 0, minorMs: 0, major: 0, majorMs: 0, maxMs: 0 });
function addGc(into: GcTotals, d: GcTotals): void {
  into.minor += d.minor;
  into.minorMs += d.minorMs;
  into.major += d.major;
  into.majorMs += d.majorMs;
  into.maxMs = Math.max(into.maxMs, d.maxMs);
}
const fmtGc = (g: GcTotals, requests: number) => `${g.minor} scavenges (${(1000 * g.minor / requests).toFixed(1)} per 1,000 requests, ${g.minorMs.toFixed(1)} ms in all), ${g.major} mark-compacts (${g.majorMs.toFixed(1)} ms), longest pause ${g.maxMs.toFixed(2)} ms`;

async function main(): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'agentlab-bench-router-'));
  // The LanePolicy and the token Secret live on the embedded API server, or on BENCH_KUBECONFIG's cluster (bench-cluster.ts).
  const cluster = await benchCluster(dir, log);
  const kubeconfigPath = cluster.kubeconfigPath;
  const client = new KubeClient(cluster.kc);

  const fake = await child('router-fake-ollama.ts', {});
  const id = randomBytes(3).toString('hex');
  const ns = `bench-${id}`;
  const routerNs = `bench-router-${id}`;
  for (const n of [ns, routerNs]) await cluster.newNamespace(n, { 'bench.agentlab.dev/lane': id });
  cluster.deleteAtStop(LANEPOLICIES, `bench-${id}`);
  await client.create(LANEPOLICIES, {
    apiVersion: 'agentlab.dev/v1alpha1', kind: 'LanePolicy',
    metadata: { name: `bench-${id}`, labels: { 'bench.agentlab.dev/run': id } },
    spec: { namespaceSelector: { matchLabels: { 'bench.agentlab.dev/lane': id } }, providers: [{ name: 'ollama', cloud: { provider: 'ollama', baseURL: fake.url }, models: { chat: 'llama3.1:8b' } }] },
  });
  const token = randomBytes(32).toString('base64url');
  await client.create(SECRETS, {
    apiVersion: 'v1', kind: 'Secret', type: 'agentlab.dev/router-token',
    metadata: { name: 'bench-token', namespace: ns, labels: { 'agentlab.dev/router-token': 'true', 'agentlab.dev/run': 'bench' } },
    data: { token: Buffer.from(token).toString('base64') },
  });
  const routerEnv = { KUBECONFIG: kubeconfigPath, LANE_SELECTOR: `bench.agentlab.dev/run=${id}`, ROUTER_NAMESPACE: routerNs };
  const router = await child('router-child.ts', routerEnv);
  const baselineFile = process.env.BENCH_BASELINE_ROUTER;
  const baseline = baselineFile ? await child('router-child.ts', routerEnv, path.resolve(baselineFile)) : undefined;

  const bare = await child('router-bare-proxy.ts', { UPSTREAM: fake.url });
  const direct = () => stream(fake.url, undefined, 'llama3.1:8b');
  const routed = () => stream(router.url, token, 'chat');
  const proxied = () => stream(bare.url, undefined, 'llama3.1:8b');
  const routedBefore = baseline ? () => stream(baseline.url, token, 'chat') : undefined;
  const levels = (process.env.BENCH_LEVELS ?? '1,32,256').split(',').map(Number);
  // Warm up JIT, the router's caches and, at the highest level, as many pooled connections as the
  // rows will use, so that no row pays connection setup on one side only. 2,000 chats per side at
  // least: after 500, V8 was still compiling (TurboFan, on its worker threads) during the measured
  // rows, 10 % of the router's CPU per request and 9 % of the bare proxy's (perf, 2026-12-03). After
  // 2,000, fewer functions are compiled in the measured rows (52 instead of 117 or more at 32
  // streams), but the router's hottest ones are optimized again there, after their code was
  // dropped (perf: 72 µs per request of the router's CPU, 23 µs of the proxy's; why, not found).
  const warm = Math.max(32, ...levels);
  for (const fn of [direct, routed, proxied, ...(routedBefore ? [routedBefore] : [])]) await run(warm, Math.max(2000, 4 * warm), fn);

  console.log(`lane router overhead (${REQUESTS} streamed chats of ~14 chunks per row and side, ${ONE_STREAM_REQUESTS} at one stream; ${os.cpus().length} CPUs, load average ${os.loadavg()[0].toFixed(1)} at start; processes run ${process.env.BENCH_TSX === '1' ? 'through tsx' : 'compiled JavaScript, as the images'}${PIN ? `; pinned: router(s) and bare proxy on CPU ${PIN.measured}, this process and the fake on ${PIN.driving}` : '; unpinned (BENCH_PIN=0, one CPU or no taskset): the CPU figures of one build wander by up to half between runs'})`);
  console.log(cluster.describe());
  console.log('The floor: a bare Node.js reverse proxy (router-bare-proxy.ts) piping the same streams in the same run, interleaved with the router and direct calls.');
  console.log('streams | direct p50   p99 ms | router added p50  p99 ms | bare proxy added p50  p99 ms | TTFT diff router p50 p99 ms | chunks direct/router/bare | router CPU/req | bare proxy CPU/req | router/bare CPU (target <= 1.3x) | fake Ollama CPU/req');
  let routerP99At1 = NaN;
  let bareP99At1 = NaN;
  const cpuRatios: string[] = [];
  const baselineRows: string[] = [];
  const gcRows: string[] = [];
  for (const c of levels) {
    const n = c === 1 ? ONE_STREAM_REQUESTS : REQUESTS;
    // Interleave rounds (BENCH_ROUNDS, default 2) so drift on a shared machine hits every side
    // alike; each round starts one side later than the one before, so every side takes every place
    // in turn and none runs twice in a row across a round's end.
    const samples = { direct: [] as Sample[], routed: [] as Sample[], proxied: [] as Sample[], baseline: [] as Sample[] };
    const cpu = { router: 0, bare: 0, fake: 0, baseline: 0 };
    // Each side's CPU in each round, for the per-round ratios (round-ratios.ts).
    const perRound = { router: [] as number[], bare: [] as number[], fake: [] as number[], baseline: [] as number[] };
    // GC pauses in the router's and the bare proxy's rows (the baseline build's child may not answer "gc").
    const gc = { router: zeroGc(), bare: zeroGc() };
    const sides: { fn: () => Promise<Sample>; proc: Child; out?: Sample[]; cpu: keyof typeof cpu }[] = [
      { fn: direct, proc: fake, out: samples.direct, cpu: 'fake' },
      { fn: routed, proc: router, out: samples.routed, cpu: 'router' },
      { fn: proxied, proc: bare, out: samples.proxied, cpu: 'bare' },
      ...(baseline && routedBefore ? [{ fn: routedBefore, proc: baseline, out: samples.baseline, cpu: 'baseline' as const }] : []),
    ];
    // Warm up at this level's own shape too: at one stream an answer comes in ~14 upstream reads
    // (one or two at 32 and more), so code the rows at higher levels barely run becomes hot only
    // here. Without this V8 compiled it during the measured one-stream row: TurboFan was 13 % of
    // the router's CPU in that row and 8 % of the bare proxy's (perf, 2026-12-03), a start-up cost
    // counted in each side's CPU per request, the router's more (more code).
    for (const side of sides) await run(c, Math.min(n, LEVEL_WARM_UP), side.fn);
    const per = n / ROUNDS;
    for (let round = 0; round < ROUNDS; round++) {
      for (let k = 0; k < sides.length; k++) {
        const side = sides[(round + k) % sides.length];
        const gcSide = side.cpu === 'router' || side.cpu === 'bare' ? side.cpu : undefined;
        const g0 = gcSide ? await side.proc.gc() : undefined;
        const profile = PROFILE_DIR !== undefined && side.cpu !== 'fake';
        if (profile) side.proc.proc.stdin!.write('profile start\n');
        const c0 = await side.proc.cpuMicros();
        const r = await run(c, per, side.fn);
        const used = (await side.proc.cpuMicros()) - c0;
        cpu[side.cpu] += used;
        perRound[side.cpu][round] = used;
        if (gcSide && g0) addGc(gc[gcSide], gcDelta(g0, await side.proc.gc()));
        if (profile) side.proc.proc.stdin!.write(`profile stop ${path.join(PROFILE_DIR, `${side.cpu}-${c}-${round}.cpuprofile`)}\n`);
        side.out?.push(...r.samples);
      }
    }
    const tot = (xs: Sample[]) => xs.map((x) => x.totalMs);
    const ttft = (xs: Sample[]) => xs.map((x) => x.ttftMs);
    const d = samples.direct;
    const added = (xs: Sample[], p: number) => pct(tot(xs), p) - pct(tot(d), p);
    if (c === 1) { routerP99At1 = added(samples.routed, 99); bareP99At1 = added(samples.proxied, 99); }
    const chunks = (xs: Sample[]) => (xs.reduce((a, x) => a + x.chunks, 0) / xs.length).toFixed(1);
    if (baseline) {
      const ttftP50 = (xs: Sample[]) => (pct(ttft(xs), 50) - pct(ttft(d), 50)).toFixed(3);
      baselineRows.push(`${c}: ${(cpu.baseline / n).toFixed(0)} µs = ${(cpu.baseline / cpu.bare).toFixed(2)}x the bare proxy, this router ${(cpu.router / n).toFixed(0)} µs = ${(cpu.router / cpu.bare).toFixed(2)}x (${(100 * (cpu.router / cpu.baseline - 1)).toFixed(1)} %); TTFT diff p50 ${ttftP50(samples.baseline)} vs ${ttftP50(samples.routed)} ms, added p50 ${added(samples.baseline, 50).toFixed(3)} vs ${added(samples.routed, 50).toFixed(3)} ms, p99 ${added(samples.baseline, 99).toFixed(3)} vs ${added(samples.routed, 99).toFixed(3)} ms`);
    }
    gcRows.push(`${c}: router ${fmtGc(gc.router, n)}; bare proxy ${fmtGc(gc.bare, n)}`);
    const ratio = cpu.router / cpu.bare;
    cpuRatios.push(`${c}: ${ratio.toFixed(2)}x of the totals, per round ${formatRoundRatios(roundRatios(perRound.router, perRound.bare))}`);
    if (baseline) baselineRows.push(`${c}: this router / baseline per round ${formatRoundRatios(roundRatios(perRound.router, perRound.baseline))}`);
    console.log(`${String(c).padStart(7)} | ${f2(pct(tot(d), 50))} ${f2(pct(tot(d), 99))} | ${f2(added(samples.routed, 50))} ${f2(added(samples.routed, 99))} | ${f2(added(samples.proxied, 50))} ${f2(added(samples.proxied, 99))} | ${f2(pct(ttft(samples.routed), 50) - pct(ttft(d), 50))} ${f2(pct(ttft(samples.routed), 99) - pct(ttft(d), 99))} | ${chunks(d)}/${chunks(samples.routed)}/${chunks(samples.proxied)} | ${(cpu.router / n).toFixed(0).padStart(10)} µs | ${(cpu.bare / n).toFixed(0).padStart(10)} µs | ${ratio.toFixed(2).padStart(8)}x | ${(cpu.fake / n).toFixed(0).padStart(10)} µs`);
  }
  console.log(`router CPU per request / bare proxy's, by streams: ${cpuRatios.join(', ')} (target <= 1.3x)`);
  if (baseline) {
    console.log(`baseline router (${baselineFile}) vs this router, by streams (CPU per request; TTFT and whole-answer latency over direct):`);
    for (const row of baselineRows) console.log(`  ${row}`);
  }
  console.log('GC pauses in each side\'s own rows, by streams (wall time of each pause, so a loaded machine lengthens them; at one stream a pause delays the one request in flight, and pauses coming more often than every 100 requests set the p99):');
  for (const row of gcRows) console.log(`  ${row}`);
  if (levels.includes(1)) console.log(`added p99 at one stream: router ${routerP99At1.toFixed(3)} ms, bare proxy ${bareP99At1.toFixed(3)} ms (target < 1 ms on a quiet machine)`);
  console.log('no buffering: the router forwards each upstream chunk as it arrives (same chunk count as direct above).');
  console.log('latency figures include scheduling on a shared machine; the CPU columns are each process\'s own time per request.');

  bare.proc.kill('SIGTERM');
  router.proc.kill('SIGTERM');
  baseline?.proc.kill('SIGTERM');
  fake.proc.kill('SIGTERM');
  agent.destroy();
  client.close();
  await cluster.stop();
  await rm(dir, { recursive: true, force: true });
}

main().catch((err: unknown) => {
  console.error(err);
  for (const p of started) p.kill('SIGTERM');
  process.exit(1);
});
