// ModelServer operator benchmark. Run: npm run bench:operator
// Against the embedded API server by default, or an existing cluster with BENCH_KUBECONFIG
// (bench-cluster.ts: the node simulator starts there for the latency phase as the test harness starts it).
// Prints figures; asserts nothing (targets: operator within 1.25x of a plain client's write time,
// 0 writes on an idle resync, RSS < 200 MB with 10,000 AgentLab objects cached).
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { constants as perfConstants, PerformanceObserver } from 'node:perf_hooks';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { KubeConfig } from '@kubernetes/client-node';
import pino from 'pino';
import { isNotFound, KubeClient, type KubeObject, type ResourceRef } from '../../operators/runtime/kube.js';
import { Informer } from '../../operators/runtime/informer.js';
import { startOperator } from '../../operators/manager.js';
import { DEPLOYMENTS, MODELSERVERS, NODES, PVCS, SERVICES, type ModelServer } from '../../operators/modelserver/types.js';
import { desiredDeployment, desiredPVC, desiredService } from '../../operators/modelserver/desired.js';
import { APPLIED_HASH_ANNOTATION, MANAGED_BY_LABEL, MANAGED_BY_VALUE, controllerReference, desiredHash } from '../../operators/runtime/apply.js';
import { benchCluster } from './bench-cluster.js';
import { fullGc } from './bench-gc.js';
import { ownCpu, pct, reads, scrape, sum, writes } from './bench-metrics.js';
import { printTable, ratio, type Row } from './bench-table.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..', '..');
const N = Number(process.env.BENCH_N ?? 1000);
const CACHED = Number(process.env.BENCH_CACHED ?? 10_000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
// Objects sent through the operator and through the floor's client, unmeasured, before either is
// timed: the API server runs in this process, and its first thousands of requests run code V8 has
// not optimized yet. Without it the operator's burst, which ran first, paid the server's warm-up
// and the floor ran on a warm server (load 9-12: a floor run first, on a cold server, used 10.5 s
// of CPU, the same floor after a burst 6.2-7.3 s; the first of four bursts 10.1 s, the others
// 5.5-7.2 s).
const WARMUP = Number(process.env.BENCH_WARMUP ?? 250);
// Timed rounds, each an operator burst and both floors, alternating which goes first (see throughputAndIdle).
const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 4));
const EVENTS: ResourceRef = { group: '', version: 'v1', plural: 'events', kind: 'Event', namespaced: true };
const log = pino({ level: 'warn' }, pino.destination(2));

async function pool<T>(items: T[], n: number, fn: (item: T) => Promise<unknown>): Promise<void> {
  let i = 0;
  await Promise.all(Array.from({ length: n }, async () => {
    while (i < items.length) await fn(items[i++]);
  }));
}

const ms = (name: string, ns: string, spec: Partial<ModelServer['spec']> = {}): ModelServer => ({
  apiVersion: 'agentlab.dev/v1alpha1', kind: 'ModelServer', metadata: { name, namespace: ns },
  spec: { models: [{ name: 'qwen2.5:0.5b' }], ...spec },
});

/** Registers the homelab's three nodes (what the node simulator would), without running pods. */
async function registerNodes(c: KubeClient): Promise<void> {
  const nodes = [
    { name: 'chief-horse', gpu: ['NVIDIA-GeForce-RTX-3060', '12288'] },
    { name: 'still-fawn', gpu: ['NVIDIA-GeForce-RTX-3070', '8192'] },
    { name: 'pumped-piglet' },
  ];
  for (const n of nodes) {
    const labels: Record<string, string> = { 'kubernetes.io/hostname': n.name };
    const allocatable: Record<string, string> = { cpu: '16', memory: '64Gi', pods: '110' };
    if (n.gpu) {
      labels['nvidia.com/gpu.product'] = n.gpu[0];
      labels['nvidia.com/gpu.memory'] = n.gpu[1];
      allocatable['nvidia.com/gpu'] = '1';
    }
    let node: KubeObject;
    try { node = await c.create(NODES, { apiVersion: 'v1', kind: 'Node', metadata: { name: n.name, labels } }); } catch { node = await c.get(NODES, undefined, n.name); }
    await c.replace(NODES, { ...node, status: { allocatable, capacity: allocatable, conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'bench', lastHeartbeatTime: new Date().toISOString(), lastTransitionTime: new Date().toISOString() }] } }, 'status');
  }
}

/**
 * Compiles the operator (type-stripping only) the way a release image ships it: RSS is then the
 * operator's own, not tsx's on-the-fly compiler. The output lives under node_modules/ so that the
 * compiled files resolve the project's dependencies.
 */
async function buildOperator(): Promise<string> {
  const out = path.join(repo, 'node_modules', '.cache', 'agentlab-bench');
  await rm(out, { recursive: true, force: true });
  const tsc = path.join(repo, 'node_modules', 'typescript', 'bin', 'tsc');
  const args = [tsc, '--noCheck', '--outDir', out, '--rootDir', repo, '--module', 'NodeNext', '--moduleResolution', 'NodeNext', '--target', 'ES2022',
    '--skipLibCheck', '--esModuleInterop', '--resolveJsonModule', '--types', 'node',
    path.join(here, 'operator-process.ts'), path.join(repo, 'operators', 'modelserver', 'controller.ts'),
    path.join(repo, 'operators', 'cli', 'slim-imports-hooks.ts'), path.join(repo, 'operators', 'cli', 'slim-client-node-gen.ts')];
  const code = await new Promise<number | null>((resolve) => spawn(process.execPath, args, { cwd: repo, stdio: 'inherit' }).once('exit', resolve));
  if (code !== 0) throw new Error(`compiling the operator failed (tsc exit ${code})`);
  return path.join(out, 'test', 'bench', 'operator-process.js');
}

function startOperatorProcess(entry: string, kubeconfig: string, namespaces: string[], resyncMs: number): Promise<{ child: ChildProcess; metricsUrl: string }> {
  // BENCH_OPERATOR_NODE_ARGS passes flags such as --cpu-prof to the operator process.
  const nodeArgs = process.env.BENCH_OPERATOR_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  const child = spawn(process.execPath, ['--expose-gc', ...nodeArgs, entry], {
    cwd: repo, env: { ...process.env, KUBECONFIG: kubeconfig, NAMESPACES: namespaces.join(','), RESYNC_MS: String(resyncMs), CONCURRENCY: String(CONCURRENCY) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`operator exited with ${code}`)));
    readline.createInterface({ input: child.stdout! }).on('line', (l) => {
      const m = /^metrics (\S+)/.exec(l);
      if (m) resolve({ child, metricsUrl: m[1] });
    });
  });
}

const sleep = (ms_: number) => new Promise((r) => setTimeout(r, ms_));

/**
 * Resolves when every ModelServer in the namespace has a Scheduled or Ready condition. The
 * operator writes status only after the children's applies returned, so such a status proves
 * the children exist (checked once more, untimed, afterwards). One watch instead of polling
 * keeps the measurement from loading the API server it measures.
 */
async function whenAllScheduled(c: KubeClient, ns: string, n: number): Promise<void> {
  const inf = new Informer({ client: c, resource: MODELSERVERS, namespaces: [ns], logger: log });
  const scheduled = new Set<string>();
  await new Promise<void>((resolve) => {
    inf.addHandler((_type, obj) => {
      const ok = (obj as ModelServer).status?.conditions?.some((x) => (x.type === 'Scheduled' || x.type === 'Ready') && x.status === 'True');
      if (ok) scheduled.add(obj.metadata!.name!);
      if (scheduled.size >= n) resolve();
    });
    inf.start();
  });
  await inf.stop();
}

/**
 * A plain client making, per object, a create and then `perObject` writes in the operator's
 * order: the three children's server-side applies, the status update, events. With `opStatus`
 * the bodies are the operator's own (children dressed as the runtime applies them, the status
 * the operator wrote for the same name); without it, the bare desired children and a minimal status.
 */
async function timedFloor(c: KubeClient, ns: string, perObject: number, opStatus?: Map<string, unknown>, count = N): Promise<{ seconds: number; cpu: number }> {
  const dress = (owner: ModelServer, child: KubeObject): KubeObject => {
    const d: KubeObject = { ...child, metadata: { ...child.metadata, namespace: ns, labels: { ...child.metadata?.labels, [MANAGED_BY_LABEL]: MANAGED_BY_VALUE }, ownerReferences: [controllerReference(owner)] } };
    d.metadata!.annotations = { ...child.metadata?.annotations, [APPLIED_HASH_ANNOTATION]: desiredHash(d) };
    return d;
  };
  const cpu0 = ownCpu();
  const t0 = performance.now();
  await pool(Array.from({ length: count }, (_, i) => i), CONCURRENCY, async (i) => {
    const m = await c.create<ModelServer>(MODELSERVERS, ms(`ms-${i}`, ns));
    const children = [desiredPVC(m), desiredService(m), desiredDeployment(m, 'pumped-piglet')];
    let done = 0;
    for (const [res, child] of [[PVCS, children[0]], [SERVICES, children[1]], [DEPLOYMENTS, children[2]]] as const) {
      if (done++ >= perObject) break;
      // Server-side apply, as the operator does: the floor makes the same kind of request.
      await c.apply(res, opStatus ? dress(m, child) : child, 'bench-floor');
    }
    for (; done < perObject; done++) {
      if (done === 3) await c.replace(MODELSERVERS, { ...m, status: opStatus?.get(`ms-${i}`) ?? { replicas: 0, conditions: [] } }, 'status');
      else await c.create(EVENTS, { apiVersion: 'v1', kind: 'Event', metadata: { generateName: `ms-${i}.`, namespace: ns }, involvedObject: { kind: 'ModelServer', name: `ms-${i}`, namespace: ns }, reason: 'Bench', message: 'floor', type: 'Normal' });
    }
  });
  return { seconds: (performance.now() - t0) / 1000, cpu: ownCpu() - cpu0 };
}

async function countChildren(c: KubeClient, ns: string): Promise<number[]> {
  return Promise.all([DEPLOYMENTS, PVCS, SERVICES].map(async (r) => (await c.list(r, ns)).items.length));
}

async function until(cond: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(250);
  }
}

/**
 * WARMUP ModelServers through the operator (in the cache namespace, deleted again with their
 * children before the measured burst, so the later rows count what they counted before), then WARMUP objects through the floor's client with both
 * kinds of bodies: the API server, the operator and the bench's client all run optimized code by
 * the time either side is timed.
 */
async function warmUp(kc: KubeConfig, c: KubeClient, metricsUrl: string, nsOperator: string, nsFloor: string, nsExact: string): Promise<void> {
  const watcher = new KubeClient(kc);
  const scheduled = whenAllScheduled(watcher, nsOperator, WARMUP);
  const names = Array.from({ length: WARMUP }, (_, i) => `warm-${i}`);
  await pool(names, CONCURRENCY, (name) => c.create(MODELSERVERS, ms(name, nsOperator)));
  await scheduled;
  watcher.close();
  await until(async () => sum(await scrape(metricsUrl), 'workqueue_depth') === 0, 60_000, 'the warm-up to drain');
  const statuses = new Map((await c.list<ModelServer>(MODELSERVERS, nsOperator)).items.map((x) => [x.metadata!.name!.replace('warm-', 'ms-'), x.status]));
  await timedFloor(c, nsFloor, 4, undefined, WARMUP);
  await timedFloor(c, nsExact, 4, statuses, WARMUP);
  // The children are deleted here rather than left to a garbage collector (a bare kube-apiserver has none).
  const ignoreGone = (err: unknown) => { if (!isNotFound(err)) throw err; };
  await pool(names, CONCURRENCY, (name) => c.delete(MODELSERVERS, nsOperator, name).catch(ignoreGone));
  for (const r of [DEPLOYMENTS, PVCS, SERVICES]) {
    const children = (await c.list(r, nsOperator)).items.map((x) => x.metadata!.name!);
    await pool(children, CONCURRENCY, (name) => c.delete(r, nsOperator, name).catch(ignoreGone));
  }
  await until(async () => (await c.list(DEPLOYMENTS, nsOperator)).items.length === 0 && sum(await scrape(metricsUrl), 'workqueue_depth') === 0, 120_000, 'the warm-up objects to be deleted');
}

/** Deletes a namespace's ModelServers and their children (a bare kube-apiserver has no garbage collector). */
async function clearNamespace(c: KubeClient, ns: string): Promise<void> {
  const ignoreGone = (err: unknown) => { if (!isNotFound(err)) throw err; };
  for (const r of [MODELSERVERS, DEPLOYMENTS, PVCS, SERVICES]) {
    const names = (await c.list(r, ns)).items.map((x) => x.metadata!.name!);
    await pool(names, CONCURRENCY, (name) => c.delete(r, ns, name).catch(ignoreGone));
  }
}

/** GC pauses of this process (the embedded API server's, the bench client's and its watcher's). */
const benchGc = { ms: 0, majorMs: 0 };
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    benchGc.ms += e.duration;
    if (((e as unknown as { detail?: { kind?: number } }).detail)?.kind === perfConstants.NODE_PERFORMANCE_GC_MAJOR) benchGc.majorMs += e.duration;
  }
}).observe({ entryTypes: ['gc'] });

/** The machine's CPU time (all processes, all cores) busy and stolen by the hypervisor, in seconds (Linux; 0 elsewhere). */
function machineCpu(): { busy: number; steal: number } {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    const [user, nice, system, , , irq, softirq, steal] = f;
    return { busy: (user + nice + system + irq + softirq) / 100, steal: steal / 100 };
  } catch {
    return { busy: 0, steal: 0 };
  }
}

/**
 * What one timed phase cost: wall time, this process's CPU and GC pauses (wall time: a pause
 * stretches when the process is descheduled), the operator's CPU and reconciles, and the CPU every
 * other process on the machine used meanwhile (`others`: the load the phase ran beside).
 */
interface Phase { seconds: number; cpu: number; gcMs: number; gcMajorMs: number; opCpu: number; opReconciles: number; others: number; steal: number }

async function measured(metricsUrl: string, fn: () => Promise<unknown>): Promise<Phase> {
  // Every phase starts from a collected heap in this process (the embedded API server's), so that
  // no phase collects the garbage of the one before it. In the quiet run of 2026-12-04 (without
  // this) the operator's phases took 2.95-6.38 s; in the next run, with it, 3.34-3.62 s.
  fullGc();
  await sleep(20); // the collection's GC entry arrives on a later tick: not this phase's
  const m0 = await scrape(metricsUrl);
  const gc0 = { ...benchGc };
  const machine0 = machineCpu();
  const cpu0 = ownCpu();
  const t0 = performance.now();
  await fn();
  const seconds = (performance.now() - t0) / 1000;
  const cpu = ownCpu() - cpu0;
  const machine1 = machineCpu();
  await sleep(0); // GC entries arrive on a later tick
  const m1 = await scrape(metricsUrl);
  const d = (name: string) => sum(m1, name) - sum(m0, name);
  const opCpu = d('process_cpu_seconds_total');
  return {
    seconds, cpu, gcMs: benchGc.ms - gc0.ms, gcMajorMs: benchGc.majorMs - gc0.majorMs, opCpu, opReconciles: d('controller_runtime_reconcile_total'),
    others: Math.max(0, machine1.busy - machine0.busy - cpu - opCpu), steal: machine1.steal - machine0.steal,
  };
}

const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); const h = s.length >> 1; return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2; };
const spread = (xs: number[], f: (x: number) => string) => (Math.min(...xs) !== Math.max(...xs) ? `${f(Math.min(...xs))}-${f(Math.max(...xs))}` : f(xs[0]));
const s2 = (x: number) => x.toFixed(2);
const x2 = (x: number) => `${x.toFixed(2)}x`;

/** One round's three timed phases and what the operator's burst did. */
interface Round { order: string; op: Phase; floor: Phase; exact: Phase; writesPerObject: number; reconciles: number; gets: number; reconcileMs: number; queueMs: number; load: number }

async function throughputAndIdle(dir: string): Promise<Row[]> {
  const cluster = await benchCluster(dir, log);
  console.log(`throughput, idle resync and memory: ${cluster.describe()}`);
  const kc = cluster.kc;
  const c = new KubeClient(kc);
  await registerNodes(c);
  const run = Math.random().toString(36).slice(2, 6);
  const nsOp = `bench-op-${run}`;
  const nsFloor = `bench-floor-${run}`;
  const nsCache = `bench-cache-${run}`;
  const nsExact = `bench-exact-${run}`;
  const nsWarmFloor = `bench-warm-floor-${run}`;
  const nsWarmExact = `bench-warm-exact-${run}`;
  for (const ns of [nsOp, nsFloor, nsExact, nsCache, ...(WARMUP > 0 ? [nsWarmFloor, nsWarmExact] : [])]) await cluster.newNamespace(ns);

  // The timed rounds run an operator whose resync (an hour) falls outside them: a resync inside a
  // burst reconciles every server already done once more (at load 7-12 a burst outlasted a 15 s
  // period: 1,290 and 2,121 reconciles instead of 1,000). The idle-resync row and the memory rows
  // then run a second operator process resyncing every BENCH_RESYNC_MS, short so that the row
  // fits in a 20 s window.
  const resyncMs = Number(process.env.BENCH_RESYNC_MS ?? 15_000);
  const entry = await buildOperator();
  let op = await startOperatorProcess(entry, cluster.kubeconfigPath, [nsOp, nsCache], 3_600_000);
  const drained = async () => sum(await scrape(op.metricsUrl), 'workqueue_depth') === 0;
  try {
    if (WARMUP > 0) await warmUp(kc, c, op.metricsUrl, nsCache, nsWarmFloor, nsWarmExact);

    /** The operator's burst: N ModelServers at once, timed until all have children and a Scheduled/Ready status. */
    const operatorBurst = async (): Promise<Omit<Round, 'order' | 'floor' | 'exact' | 'load'> & { statuses: Map<string, unknown> }> => {
      const start = await scrape(op.metricsUrl);
      const watcher = new KubeClient(kc);
      const allDone = whenAllScheduled(watcher, nsOp, N);
      const phase = await measured(op.metricsUrl, async () => {
        await pool(Array.from({ length: N }, (_, i) => i), CONCURRENCY, (i) => c.create(MODELSERVERS, ms(`ms-${i}`, nsOp)));
        await allDone;
      });
      watcher.close();
      const children = await countChildren(c, nsOp);
      if (children.some((k) => k < N)) throw new Error(`children missing after all ModelServers were scheduled: ${children.join('/')}`);
      await until(drained, 60_000, 'the queue to drain');
      const after = await scrape(op.metricsUrl);
      const delta = (name: string) => sum(after, name) - sum(start, name);
      const avg = (name: string) => (1000 * delta(`${name}_sum`)) / Math.max(1, delta(`${name}_count`));
      const statuses = new Map((await c.list<ModelServer>(MODELSERVERS, nsOp)).items.map((x) => [x.metadata!.name!, x.status as unknown]));
      // The next phase finds an operator with nothing of this round cached: a resync during it costs nothing.
      await clearNamespace(c, nsOp);
      await until(async () => (await c.list(DEPLOYMENTS, nsOp)).items.length === 0 && (await drained()), 120_000, 'the burst to be deleted');
      return {
        op: phase, statuses, writesPerObject: (writes(after) - writes(start)) / N, reconciles: delta('controller_runtime_reconcile_time_seconds_count'),
        gets: reads(after) - reads(start), reconcileMs: avg('controller_runtime_reconcile_time_seconds'), queueMs: avg('workqueue_queue_duration_seconds'),
      };
    };
    const floorPhase = async (ns: string, perObject: number, opStatus?: Map<string, unknown>): Promise<Phase> => {
      const phase = await measured(op.metricsUrl, () => timedFloor(c, ns, perObject, opStatus));
      await clearNamespace(c, ns);
      return phase;
    };

    // Rounds alternate which side goes first (operator, floor, exact bodies; then floor, exact
    // bodies, operator), so that drift over the run, or a GC of this process (the API server's),
    // does not land on one side only. Each round's ratio compares phases a few seconds apart.
    const rounds: Round[] = [];
    let perObject = 0;
    let opStatus = new Map<string, unknown>();
    for (let r = 0; r < ROUNDS; r++) {
      const load = os.loadavg()[0];
      if (r % 2 === 0) {
        const b = await operatorBurst();
        // The floor makes what the operator made: per object the same server-side applies, status update and events.
        if (r === 0) { perObject = Math.max(1, Math.round(b.writesPerObject)); opStatus = b.statuses; }
        const floor = await floorPhase(nsFloor, perObject);
        const exact = await floorPhase(nsExact, perObject, opStatus);
        rounds.push({ order: 'operator, floor, exact', ...b, floor, exact, load });
      } else {
        const floor = await floorPhase(nsFloor, perObject);
        const exact = await floorPhase(nsExact, perObject, opStatus);
        const b = await operatorBurst();
        rounds.push({ order: 'floor, exact, operator', ...b, floor, exact, load });
      }
      const x = rounds[r];
      const ph = (name: string, p: Phase) => `${name} ${s2(p.seconds)} s (CPU ${s2(p.cpu)} s, GC ${p.gcMs.toFixed(0)} ms, major ${p.gcMajorMs.toFixed(0)}; operator CPU ${s2(p.opCpu)} s, ${p.opReconciles} reconciles; other processes ${s2(p.others)} s, steal ${s2(p.steal)} s)`;
      console.log(`round ${r + 1}/${ROUNDS} (${x.order}; load ${x.load.toFixed(1)}): operator / floor ${ratio(x.op.seconds, x.floor.seconds)}, / exact bodies ${ratio(x.op.seconds, x.exact.seconds)}; `
        + `${ph('operator', x.op)}; ${ph('floor', x.floor)}; ${ph('exact', x.exact)}; writes per object ${(1 + x.writesPerObject).toFixed(2)}; ${x.reconciles} reconciles, ${x.gets} GETs`);
    }
    const col = (f: (x: Round) => number) => rounds.map(f);
    const ratios = col((x) => x.op.seconds / x.floor.seconds);
    const exactRatios = col((x) => x.op.seconds / x.exact.seconds);
    const med = (f: (x: Round) => number, fmt: (x: number) => string = s2) => `${fmt(median(col(f)))} (${spread(col(f), fmt)})`;
    const rows: Row[] = [
      [`${N} ModelServers at once: all children + Scheduled status; median of ${ROUNDS} rounds (range)`, `${med((x) => x.op.seconds)} s`, `${med((x) => x.floor.seconds)} s`, `${x2(median(ratios))} (${spread(ratios, x2)}) (target <= 1.25x)`],
      ['  same, the floor writing the operator\'s exact bodies', '', `${med((x) => x.exact.seconds)} s`, `${x2(median(exactRatios))} (${spread(exactRatios, x2)})`],
      ['  API writes per object (the create included)', spread(col((x) => 1 + x.writesPerObject), s2), `${1 + perObject} (${CONCURRENCY} in flight)`, ''],
      ['  operator reconciles; GETs; mean reconcile / queue wait (range)', `${spread(col((x) => x.reconciles), String)}; ${spread(col((x) => x.gets), String)}; ${spread(col((x) => x.reconcileMs), (v) => v.toFixed(1))} / ${spread(col((x) => x.queueMs), (v) => v.toFixed(1))} ms`, '', ''],
    ];
    // Where the time goes: with the embedded server, the bench process is the API server (plus
    // the bench's own client and watcher); a ratio above 1 at equal CPU would mean idle waiting.
    const where = cluster.backend.name === 'embedded' ? 'API server + bench client' : 'bench client';
    rows.push(
      [`  CPU (median): ${where}; operator process`, `${s2(median(col((x) => x.op.cpu)))} s; ${s2(median(col((x) => x.op.opCpu)))} s`, `${s2(median(col((x) => x.floor.cpu)))} s (${s2(median(col((x) => x.exact.cpu)))} s exact bodies)`, ''],
      ['  CPU of every other process on the machine meanwhile (median)', `${s2(median(col((x) => x.op.others)))} s`, `${s2(median(col((x) => x.floor.others)))} s (${s2(median(col((x) => x.exact.others)))} s exact bodies)`, ''],
      [`  GC pauses of the ${where} process (median)`, `${median(col((x) => x.op.gcMs)).toFixed(0)} ms`, `${median(col((x) => x.floor.gcMs)).toFixed(0)} ms (${median(col((x) => x.exact.gcMs)).toFixed(0)} ms exact bodies)`, ''],
    );

    // 2. Idle resync: nothing changed, so a full resync must write nothing. N servers, made untimed,
    // reconciled by an operator resyncing every resyncMs.
    op.child.kill('SIGTERM');
    await new Promise((r) => op.child.once('exit', r));
    op = await startOperatorProcess(entry, cluster.kubeconfigPath, [nsOp, nsCache], resyncMs);
    const baseline = await scrape(op.metricsUrl);
    const watcher = new KubeClient(kc);
    const allDone = whenAllScheduled(watcher, nsOp, N);
    await pool(Array.from({ length: N }, (_, i) => i), CONCURRENCY, (i) => c.create(MODELSERVERS, ms(`ms-${i}`, nsOp)));
    await allDone;
    watcher.close();
    await until(drained, 60_000, 'the queue to drain');
    const idle0 = await scrape(op.metricsUrl);
    const reconciles0 = sum(idle0, 'controller_runtime_reconcile_total');
    await sleep(resyncMs + 5_000);
    const idle1 = await scrape(op.metricsUrl);
    rows.push([`idle resync (${(resyncMs + 5_000) / 1000} s window, resync every ${resyncMs / 1000} s): reconciles; API writes`, `${sum(idle1, 'controller_runtime_reconcile_total') - reconciles0}; ${writes(idle1) - writes(idle0)}`, '', 'writes: target 0']);

    // 3. RSS with CACHED AgentLab objects cached (plus their children).
    const extra = Math.max(0, CACHED - N);
    await pool(Array.from({ length: extra }, (_, i) => i), CONCURRENCY, (i) => c.create(MODELSERVERS, ms(`cached-${i}`, nsCache, { replicas: 0 })));
    await until(async () => (await c.list(DEPLOYMENTS, nsCache)).items.length >= extra && (await drained()), 900_000, `${CACHED} objects cached`);
    await sleep(3_000);
    const beforeGc = await scrape(op.metricsUrl);
    op.child.kill('SIGUSR2');
    await sleep(2_000);
    const m = await scrape(op.metricsUrl);
    const mb = (v: number) => `${(v / 2 ** 20).toFixed(0)} MB`;
    rows.push(
      ['operator RSS / heap used at start (no objects)', `${mb(sum(baseline, 'process_resident_memory_bytes'))} / ${mb(sum(baseline, 'nodejs_heap_size_used_bytes'))}`, '', ''],
      [`  with ${N + extra} ModelServers (+ ${3 * (N + extra)} children) cached`, `${mb(sum(beforeGc, 'process_resident_memory_bytes'))} / ${mb(sum(beforeGc, 'nodejs_heap_size_used_bytes'))}`, '', 'RSS: target < 200 MB'],
      ['  after a full GC (RSS / live heap)', `${mb(sum(m, 'process_resident_memory_bytes'))} / ${mb(sum(m, 'nodejs_heap_size_used_bytes'))}`, '', ''],
    );
    return rows;
  } finally {
    op.child.kill('SIGTERM');
    await new Promise((r) => op.child.once('exit', r));
    c.close();
    await cluster.stop();
  }
}

/** Apply-to-status latency for one ModelServer whose Deployment is available (node simulator runs it). */
async function latency(dir: string): Promise<Row[]> {
  const cluster = await benchCluster(dir, log);
  const kc = cluster.kc;
  await cluster.startSimulator();
  console.log(`latency: ${cluster.describe()}`);
  const c = new KubeClient(kc);
  const ns = await cluster.newNamespace(`bench-latency-${Math.random().toString(36).slice(2, 6)}`);
  const op = await startOperator({ kubeConfig: kc, logger: log, namespaces: [ns], controllers: ['modelserver'] });
  try {
    await c.create(MODELSERVERS, ms('latency', ns));
    await until(async () => (await c.get<ModelServer>(MODELSERVERS, ns, 'latency')).status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True') ?? false, 60_000, 'the ModelServer to be Ready');
    const samples: number[] = [];
    const rounds = Number(process.env.BENCH_LATENCY_ROUNDS ?? 100);
    for (let i = 0; i < rounds; i++) {
      const t = performance.now();
      const patched = await c.mergePatch<ModelServer>(MODELSERVERS, ns, 'latency', { spec: { prune: i % 2 === 0 } });
      const gen = patched.metadata!.generation!;
      for (;;) {
        const cur = await c.get<ModelServer>(MODELSERVERS, ns, 'latency');
        if ((cur.status?.observedGeneration ?? 0) >= gen && cur.status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True')) break;
        await sleep(2);
      }
      samples.push(performance.now() - t);
    }
    samples.sort((a, b) => a - b);
    return [[`apply-to-status latency, ${rounds} spec changes, Deployment available: p50 / p99 / max`, `${pct(samples, 50).toFixed(1)} / ${pct(samples, 99).toFixed(1)} / ${samples[samples.length - 1].toFixed(1)} ms`, '', '']];
  } finally {
    await op.stop();
    c.close();
    await cluster.stop();
  }
}

const dir = await mkdtemp(path.join(os.tmpdir(), 'agentlab-bench-'));
try {
  const rows = await throughputAndIdle(dir);
  rows.push(...(await latency(dir)));
  printTable(rows, ['figure', 'operator', 'floor (plain client, same writes)', 'operator / floor']);
} finally {
  await rm(dir, { recursive: true, force: true });
}
