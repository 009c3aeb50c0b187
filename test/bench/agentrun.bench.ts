// AgentRun benchmark. Run: npm run bench:agentrun
// BENCH_RUNS AgentRuns (default 50) created at once and run to steady status (Succeeded, with the
// router's complete count of the run's model calls in status.usage) by the operator (the AgentRun
// controller, its own process), and at the same time BENCH_RUNS more by the floor: a plain client
// making the same writes per run (agentrun-floor.ts, in its own process: agentrun-floor-child.ts), in another namespace of the same server, with
// the same node simulator, router and fake Ollama; above 100 runs a side (more pods than the
// simulator's nodes hold), or with BENCH_TOGETHER=0, the operator's first and the floor's after.
// Prints, never asserts: per side the time from create to Running, to Succeeded and to steady
// status (p50/p99, all), API writes per run, CPU; and operator / floor (target 1.25x).
// BENCH_RUNNER: `agent` (the real agent runner, five model calls a run: four tool rounds on its
// workspace, then an answer) or `trivial` (agentrun-trivial-runner.mjs: one model call, plain
// JavaScript, so that BENCH_RUNS=1000 fits on a small machine); default agent up to 100 runs.
// BENCH_KUBECONFIG: run on that cluster instead of the embedded API server (bench-cluster.ts).
// Processes: this one holds the embedded API server, the node simulator (the runners are its child
// processes, one per pod) and the watchers; the operator, the floor, the router and the fake
// Ollama each run in their own, so their CPU is their own (BENCH_FLOOR_IN_PROCESS=1: the floor here).
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import pino from 'pino';
import { RUNTIME_IMAGES } from '../../hack/nodesim/index.js';
import { KubeClient, type KubeObject } from '../../operators/runtime/kube.js';
import { Informer } from '../../operators/runtime/informer.js';
import { AGENTRUNS, CONFIGMAPS, LANEPOLICIES, PODS } from '../../operators/agentrun/resources.js';
import { RUN_USAGE_LABEL, runUsageFromConfigMap } from '../../operators/model/agentrun/usage.js';
import type { AgentRun } from '../../operators/agentrun/types.js';
import { agentRunController } from '../../operators/agentrun/controller.js';
import { agentRunFloor } from './agentrun-floor.js';
import { benchChild, type BenchChild } from './bench-child.js';
import { benchCluster } from './bench-cluster.js';
import { ownCpu, pct, reads, scrape, sum, writes } from './bench-metrics.js';
import { printTable, ratio, type Row } from './bench-table.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 50);
const RUNNER = process.env.BENCH_RUNNER ?? (RUNS > 100 ? 'trivial' : 'agent');
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
/**
 * Runs the operator drives at once: the AgentRun controller's workers (its maxConcurrentReconciles,
 * 16 like ModelServer's), within the operator's cap. The floor drives as many
 * (BENCH_FLOOR_CONCURRENCY to change it).
 */
const OPERATOR_WORKERS = Math.min(agentRunController().maxConcurrentReconciles ?? 4, CONCURRENCY);
const FLOOR_CONCURRENCY = Number(process.env.BENCH_FLOOR_CONCURRENCY ?? OPERATOR_WORKERS);
const TIMEOUT_MS = Number(process.env.BENCH_TIMEOUT_MS ?? 30 * 60_000);
const TRIVIAL_IMAGE = 'ghcr.io/agentlab/bench-trivial-runner';
/** Runs of both sides that may share the simulator's nodes at once (see `together`). */
const TOGETHER_MAX = 200;
/** The operator, router and fake Ollama run compiled, as the images run them; BENCH_TSX=1: through tsx. */
const COMPILED = process.env.BENCH_TSX !== '1';
/** Node flags for the operator process, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`. */
const OPERATOR_NODE_ARGS = process.env.BENCH_OPERATOR_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
const PROGRESS_MS = Number(process.env.BENCH_PROGRESS_MS ?? 30_000);
/**
 * The floor runs in its own process (agentrun-floor-child.ts), as the operator does: a client in the
 * API server's process is served without a second process being scheduled, which on a loaded
 * machine made its pods start in 1.6 s where the operator's took 14 s. BENCH_FLOOR_IN_PROCESS=1: as before 2026-12-03 14:00.
 */
const FLOOR_IN_PROCESS = process.env.BENCH_FLOOR_IN_PROCESS === '1';
const log = pino({ level: 'warn' }, pino.destination(2));
if (RUNNER !== 'agent' && RUNNER !== 'trivial') throw new Error(`BENCH_RUNNER=${RUNNER}: expected "agent" or "trivial"`);
const MODEL_CALLS = RUNNER === 'agent' ? 5 : 1;

const secs = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

/**
 * When (ms since t0) each run was first seen started (Running or later) and finished, and when its
 * status first held the router's complete count (the tokens of all its requests, as the router's
 * run usage ConfigMap has them): steady status.
 */
interface Times { running?: number; done?: number; phase?: string; usage?: number; statusTokens?: number; routerTokens?: number }

/** Watches the runs of one namespace and the router's usage of them; `settled` when every run is steady. */
function tracker(watcher: KubeClient, ns: string, routerNs: string, names: string[]) {
  const times = new Map<string, Times>(names.map((n) => [n, {}]));
  let t0 = 0;
  let settled: () => void = () => {};
  const all = new Promise<void>((r) => { settled = r; });
  const check = (t: Times) => {
    if (t.done !== undefined && t.routerTokens !== undefined && t.statusTokens === t.routerTokens) t.usage ??= performance.now() - t0;
    if ([...times.values()].every((x) => x.usage !== undefined)) settled();
  };
  const runs = new Informer({ client: watcher, resource: AGENTRUNS, namespaces: [ns], logger: log });
  runs.addHandler((_type, obj: KubeObject) => {
    const run = obj as AgentRun;
    const t = times.get(run.metadata!.name!);
    if (!t) return;
    const now = performance.now() - t0;
    const phase = run.status?.phase;
    if (phase && !['Pending', 'AwaitingApproval'].includes(phase)) t.running ??= now;
    if (phase && ['Succeeded', 'Failed', 'Cancelled'].includes(phase)) { t.done ??= now; t.phase = phase; }
    t.statusTokens = run.status?.usage?.totalTokens;
    check(t);
  });
  const usage = new Informer({ client: watcher, resource: CONFIGMAPS, namespaces: [routerNs], labelSelector: `${RUN_USAGE_LABEL}=true`, logger: log });
  usage.addHandler((_type, obj: KubeObject) => {
    const u = runUsageFromConfigMap(obj as never);
    const t = u && u.namespace === ns ? times.get(u.run) : undefined;
    if (!t || !u || u.requests < MODEL_CALLS) return;
    t.routerTokens = u.totalTokens;
    check(t);
  });
  runs.start();
  usage.start();
  return {
    times,
    start() { t0 = performance.now(); },
    /** One line: how many runs are Running (or later), finished and steady so far. */
    progress(): string {
      const xs = [...times.values()];
      const n = (f: (t: Times) => boolean) => xs.filter(f).length;
      return `${n((t) => t.running !== undefined)} started, ${n((t) => t.done !== undefined)} finished, ${n((t) => t.usage !== undefined)} steady of ${xs.length}`;
    },
    /** Resolves when every run is steady or the timeout passed (then says which are not). */
    async settled(): Promise<number> {
      const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`not every run reached steady status within ${TIMEOUT_MS / 1000} s`)), TIMEOUT_MS).unref());
      try {
        await Promise.race([all, timeout]);
      } catch (err) {
        const stuck = [...times].filter(([, t]) => t.usage === undefined).map(([n, t]) => `${n}: ${t.phase ?? (t.running !== undefined ? 'Running' : 'not started')}`);
        console.log(`${(err as Error).message}; ${stuck.length} runs: ${stuck.slice(0, 10).join(', ')}`);
      }
      return performance.now() - t0;
    },
    async stop() { await runs.stop(); await usage.stop(); },
  };
}

/** The floor as the benchmark drives it: in this process, or in its own. */
interface FloorDriver {
  run(specs: AgentRun[]): Promise<void>;
  writes(): number;
  /** Its process's CPU (0 in this process: counted with the bench process's). */
  cpuMicros(): Promise<number>;
  stop(): Promise<void>;
}

function inProcessFloor(f: ReturnType<typeof agentRunFloor>): FloorDriver {
  return { run: (specs) => f.run(specs), writes: () => f.writes(), cpuMicros: async () => 0, stop: () => f.stop() };
}

/** agentrun-floor-child.ts started (and stopped with the other children). */
async function floorProcess(children: BenchChild[], env: Record<string, string>): Promise<FloorDriver> {
  const child = await benchChild('agentrun-floor-child.ts', env, ['ready'], { compiled: COMPILED });
  children.push(child);
  let writes = 0;
  let settle: { resolve: () => void; reject: (e: Error) => void } | undefined;
  readline.createInterface({ input: child.proc.stdout! }).on('line', (line) => {
    const [cmd, rest] = [line.slice(0, line.indexOf(' ')), line.slice(line.indexOf(' ') + 1)];
    if (cmd === 'ran') { writes = Number(rest); settle?.resolve(); }
    if (cmd === 'failed') settle?.reject(new Error(`the floor process failed: ${rest}`));
  });
  return {
    run: (specs) => new Promise<void>((resolve, reject) => {
      settle = { resolve, reject };
      child.proc.stdin!.write(`run ${Buffer.from(JSON.stringify(specs)).toString('base64')}\n`);
    }),
    writes: () => writes,
    cpuMicros: () => child.cpuMicros(),
    stop: async () => {},
  };
}

/**
 * One pod of the trivial runner's image through the simulator before t0, to its end (it fails: it
 * has no run config): whatever the simulator does once (its first pod of a runtime image, the
 * TokenRequest path, the node's first process) is not counted against the side that goes first.
 */
async function warmUp(client: KubeClient, ns: string): Promise<void> {
  const name = 'bench-warm-up';
  await client.create(PODS, { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: ns }, spec: { restartPolicy: 'Never', automountServiceAccountToken: false, containers: [{ name: 'agent', image: `${TRIVIAL_IMAGE}:dev` }] } });
  const deadline = Date.now() + 120_000;
  for (;;) {
    const phase = (await client.get<KubeObject & { status?: { phase?: string } }>(PODS, ns, name)).status?.phase;
    if (phase === 'Succeeded' || phase === 'Failed') break;
    if (Date.now() > deadline) throw new Error(`warm-up pod ${ns}/${name} did not end within 120 s (phase ${phase ?? 'none'}): is the node simulator running?`);
    await new Promise((r) => setTimeout(r, 250));
  }
  await client.delete(PODS, ns, name);
}

function runSpec(ns: string, i: number): AgentRun {
  return {
    apiVersion: 'agentlab.dev/v1alpha1', kind: 'AgentRun', metadata: { name: `run-${i}`, namespace: ns },
    spec: {
      task: RUNNER === 'agent' ? `bench-five-turns: keep notes of what the workspace holds (run ${i}).` : `Say hello (run ${i}).`,
      model: 'chat',
      tools: RUNNER === 'agent' ? [{ name: 'files', files: { paths: ['/workspace'] } }] : [],
      limits: { maxTurns: 10, maxTokens: 50_000, timeout: '20m' },
      ...(RUNNER === 'trivial' ? { runtime: { image: `${TRIVIAL_IMAGE}:dev` } } : {}),
    },
  } as AgentRun;
}

async function main(): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'agentlab-bench-agentrun-'));
  const cluster = await benchCluster(dir, log);
  const children: BenchChild[] = [];
  try {
    await cluster.startSimulator({ runtimeImages: [...RUNTIME_IMAGES, { image: TRIVIAL_IMAGE, entrypoint: 'test/bench/agentrun-trivial-runner.mjs' }] });
    const client = new KubeClient(cluster.kc);
    const id = randomBytes(3).toString('hex');
    const lane = `bench-${id}`;
    const laneLabels = { 'bench.agentlab.dev/lane': id };
    const opNs = await cluster.newNamespace(`bench-runs-${id}`, laneLabels);
    const floorNs = await cluster.newNamespace(`bench-floor-${id}`, laneLabels);
    const routerNs = await cluster.newNamespace(`bench-router-${id}`);
    const fake = await benchChild('agentrun-fake-ollama.ts', {}, ['url'], { compiled: COMPILED });
    children.push(fake);
    // A private lane: the fake Ollama as its one provider, both run namespaces bound to it.
    await client.create(LANEPOLICIES, {
      apiVersion: 'agentlab.dev/v1alpha1', kind: 'LanePolicy', metadata: { name: lane, labels: { 'bench.agentlab.dev/run': id } },
      spec: { namespaceSelector: { matchLabels: laneLabels }, allowCloud: false, providers: [{ name: 'ollama', cloud: { provider: 'ollama', baseURL: fake.urls.url }, models: { chat: 'llama3.1:8b' } }] },
    });
    cluster.deleteAtStop(LANEPOLICIES, lane);
    const router = await benchChild('router-child.ts', { KUBECONFIG: cluster.kubeconfigPath, LANE_SELECTOR: `bench.agentlab.dev/run=${id}`, ROUTER_NAMESPACE: routerNs }, ['url', 'metrics'], { compiled: COMPILED });
    children.push(router);
    const routerLocation = { namespace: routerNs, podLabels: { 'app.kubernetes.io/name': 'agentlab-router' }, port: 8080 };
    const operator = await benchChild('agentrun-operator-child.ts', { KUBECONFIG: cluster.kubeconfigPath, NAMESPACES: `${opNs},${routerNs}`, ROUTER_NAMESPACE: routerNs, ROUTER_URL: router.urls.url, CONCURRENCY: String(CONCURRENCY) }, ['metrics'], { compiled: COMPILED, nodeArgs: OPERATOR_NODE_ARGS });
    children.push(operator);
    const watcher = new KubeClient(cluster.kc);
    const names = Array.from({ length: RUNS }, (_, i) => `run-${i}`);

    console.log(`AgentRun benchmark: ${RUNS} runs created at once, runner ${RUNNER} (${MODEL_CALLS} model call${MODEL_CALLS > 1 ? 's' : ''} a run); operator ${OPERATOR_WORKERS} workers (cap ${CONCURRENCY}), floor ${FLOOR_CONCURRENCY} runs in flight (${os.cpus().length} CPUs, load average ${os.loadavg()[0].toFixed(1)} at start)`);
    console.log(cluster.describe());

    // Both sides at once, from one t0: the operator's runs (created by this process, driven by the
    // operator) and the floor's (created and driven by the plain client) share the server, the
    // simulator, the router and the machine's load alike, so their ratio holds on a busy machine.
    // The simulator's three nodes hold about 300 such pods at once (110 pods a node; 80 on the
    // smallest by CPU requests); with more, pods queue for room and the side whose pods came first
    // is served first, so above TOGETHER_MAX runs in all the sides run one after the other.
    const together = (process.env.BENCH_TOGETHER ?? (2 * RUNS <= TOGETHER_MAX ? '1' : '0')) === '1';
    console.log(together ? 'operator and floor at the same time' : `${process.env.BENCH_FIRST === 'floor' ? 'floor first, then the operator' : 'operator first, then the floor'} (BENCH_TOGETHER=1: at the same time; BENCH_FIRST=floor|operator: which goes first)`);
    await warmUp(client, routerNs);
    const floor: FloorDriver = FLOOR_IN_PROCESS
      ? inProcessFloor(agentRunFloor({ client: new KubeClient(cluster.kc), watcher, namespace: floorNs, router: routerLocation, routerUrl: router.urls.url, lane, concurrency: FLOOR_CONCURRENCY, modelCalls: MODEL_CALLS }))
      : await floorProcess(children, { KUBECONFIG: cluster.kubeconfigPath, NAMESPACE: floorNs, ROUTER_NAMESPACE: routerNs, ROUTER_URL: router.urls.url, LANE: lane, CONCURRENCY: String(FLOOR_CONCURRENCY), MODEL_CALLS: String(MODEL_CALLS) });
    const opTrack = tracker(watcher, opNs, routerNs, names);
    const floorTrack = tracker(watcher, floorNs, routerNs, names);
    const opMetrics = async () => ({ m: await scrape(operator.urls.metrics), cpu: await operator.cpuMicros() });
    const floorCpu0 = await floor.cpuMicros();
    const [op0, r0, routerCpu0] = await Promise.all([opMetrics(), scrape(router.urls.metrics), router.cpuMicros()]);
    const bench0 = ownCpu();
    /** Drives one side to steady status; its wall time. */
    const side = async (label: string, track: ReturnType<typeof tracker>, drive: () => Promise<unknown>): Promise<number> => {
      track.start();
      const t0 = performance.now();
      // A line every PROGRESS_MS, so that a long run shows where it is (and where it stalls).
      const progress = setInterval(() => console.log(`  ${label} at ${secs(performance.now() - t0)}: ${track.progress()} (load average ${os.loadavg()[0].toFixed(1)})`), PROGRESS_MS);
      const driving = drive();
      driving.catch((err: unknown) => console.log(`driving the runs failed: ${(err as Error).stack ?? String(err)}`));
      const wall = await track.settled();
      clearInterval(progress);
      await driving.catch(() => {});
      return wall;
    };
    let op1 = op0;
    const opSide = async () => {
      const wall = await side('operator', opTrack, () => Promise.all(names.map((_, i) => client.create(AGENTRUNS, runSpec(opNs, i)))));
      op1 = await opMetrics();
      return wall;
    };
    const floorSide = () => side('floor', floorTrack, () => floor.run(names.map((_, i) => runSpec(floorNs, i))));
    const floorFirst = process.env.BENCH_FIRST === 'floor';
    const [opWall, floorWall] = together
      ? await Promise.all([opSide(), floorSide()])
      : floorFirst ? await floorSide().then(async (f) => [await opSide(), f]) : [await opSide(), await floorSide()];
    const [r1, routerCpu1, floorCpu1] = await Promise.all([scrape(router.urls.metrics), router.cpuMicros(), floor.cpuMicros()]);
    const benchCpu = ownCpu() - bench0;
    await Promise.all([opTrack.stop(), floorTrack.stop(), floor.stop()]);
    const opWrites = writes(op1.m) - writes(op0.m);
    const modelCalls = sum(r1, 'agentlab_llm_requests_total') - sum(r0, 'agentlab_llm_requests_total');
    const flushes = sum(r1, 'agentlab_llm_usage_flushes_total') - sum(r0, 'agentlab_llm_usage_flushes_total');

    const runs = (await client.list<AgentRun>(AGENTRUNS, opNs)).items;
    const turns = runs.map((r) => r.status?.usage?.turns ?? 0);
    const tokens = runs.map((r) => r.status?.usage?.totalTokens ?? 0);
    const col = (times: Map<string, Times>, pick: (t: Times) => number | undefined) => {
      const xs = [...times.values()].flatMap((t) => (pick(t) === undefined ? [] : [pick(t)!]));
      return xs.length === 0 ? 'none' : `${secs(pct(xs, 50))} / ${secs(pct(xs, 99))} (${xs.length})`;
    };
    const outcomes = (times: Map<string, Times>) => {
      const phases = new Map<string, number>();
      for (const t of times.values()) phases.set(t.phase ?? 'unfinished', (phases.get(t.phase ?? 'unfinished') ?? 0) + 1);
      return [...phases].map(([p, n]) => `${n} ${p}`).join(', ');
    };
    const [o, f] = [opTrack.times, floorTrack.times];
    const rows: Row[] = [
      ['outcomes', outcomes(o), outcomes(f), ''],
      ['create -> Running, p50 / p99 (runs)', col(o, (t) => t.running), col(f, (t) => t.running), ''],
      ['create -> Succeeded, p50 / p99 (runs)', col(o, (t) => t.done), col(f, (t) => t.done), ''],
      ['create -> steady status (router count in status.usage), p50 / p99', col(o, (t) => t.usage), col(f, (t) => t.usage), ''],
      [`all ${RUNS} runs steady`, secs(opWall), secs(floorWall), `${ratio(opWall, floorWall)} (target <= 1.25x)`],
      ['API writes per run (the run\'s create not counted)', (opWrites / RUNS).toFixed(2), (floor.writes() / RUNS).toFixed(2), ratio(opWrites, Math.max(1, floor.writes()))],
      ['CPU per run', `${((op1.cpu - op0.cpu) / 1e3 / RUNS).toFixed(1)} ms (operator process)`, FLOOR_IN_PROCESS ? '(in the bench process)' : `${((floorCpu1 - floorCpu0) / 1e3 / RUNS).toFixed(1)} ms (floor process)`, FLOOR_IN_PROCESS ? '' : ratio(op1.cpu - op0.cpu, floorCpu1 - floorCpu0)],
    ];
    printTable(rows);
    console.log(`\noperator: ${sum(op1.m, 'controller_runtime_reconcile_total') - sum(op0.m, 'controller_runtime_reconcile_total')} reconciles, ${reads(op1.m) - reads(op0.m)} GETs (pod logs and usage reads included); its runs: turns ${Math.min(...turns)}-${Math.max(...turns)}, tokens ${Math.min(...tokens)}-${Math.max(...tokens)} per run`);
    console.log(`both sides: router ${(modelCalls / (2 * RUNS)).toFixed(1)} model calls, ${((routerCpu1 - routerCpu0) / 1e3 / (2 * RUNS)).toFixed(1)} ms CPU and ${(flushes / (2 * RUNS)).toFixed(1)} usage writes per run; this process (API server, node simulator, watchers${FLOOR_IN_PROCESS ? ', floor client' : ''}) ${benchCpu.toFixed(2)} s CPU; the runners are the simulator's child processes, not counted`);
    watcher.close();
    client.close();
  } finally {
    for (const c of children.reverse()) await c.stop();
    await cluster.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

main().then(() => process.exit(0), (err: unknown) => {
  console.error(err);
  process.exit(1);
});
