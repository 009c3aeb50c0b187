// AgentRun benchmark. Run: npm run bench:agentrun
// BENCH_RUNS AgentRuns (default 50) created at once, each an agent of exactly five model calls
// (four tool rounds on its workspace, then an answer) against the fake Ollama, through the lane
// router, run by the node simulator as real agent-runner processes. Prints, never asserts:
// time from create to Running and to Succeeded (p50/p99), until the router's usage is in every
// run's status, the operator's and the router's CPU per run, and API writes per run.
// Processes: this one holds the embedded API server, the node simulator and the watcher; the
// operator (AgentRun controller), the router and the fake Ollama each run in their own, so their
// CPU is their own. The agent runners are the simulator's child processes (one per pod).
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { KubeConfig } from '@kubernetes/client-node';
import pino from 'pino';
import { installCrds, readCrdManifests } from '../harness/crds.js';
import { KubeClient, type KubeObject } from '../../operators/runtime/kube.js';
import { Informer } from '../../operators/runtime/informer.js';
import { AGENTRUNS, CONFIGMAPS, LANEPOLICIES, NAMESPACES } from '../../operators/agentrun/resources.js';
import { RUN_USAGE_LABEL, runUsageFromConfigMap } from '../../operators/model/agentrun/usage.js';
import type { AgentRun } from '../../operators/agentrun/types.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..', '..');
const RUNS = Number(process.env.BENCH_RUNS ?? 50);
const TIMEOUT_MS = Number(process.env.BENCH_TIMEOUT_MS ?? 30 * 60_000);
const log = pino({ level: 'warn' }, pino.destination(2));

interface Child { proc: ChildProcess; urls: Record<string, string>; cpuMicros(): Promise<number> }

/** A child process that prints "<name> <url>" lines (the `expect` names) and answers "cpu". */
function child(script: string, env: Record<string, string>, expect: string[]): Promise<Child> {
  const proc = spawn(process.execPath, ['--import', 'tsx', path.join(here, script)], { cwd: repo, env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'inherit'] });
  const cpuWaiters: ((n: number) => void)[] = [];
  const urls: Record<string, string> = {};
  return new Promise((resolve, reject) => {
    readline.createInterface({ input: proc.stdout! }).on('line', (line) => {
      const [name, value] = line.split(' ', 2);
      if (name === 'cpu') cpuWaiters.shift()?.(Number(value));
      else if (expect.includes(name)) urls[name] = value;
      if (expect.every((e) => urls[e]) && name !== 'cpu') {
        resolve({ proc, urls, cpuMicros: () => new Promise((r) => { cpuWaiters.push(r); proc.stdin!.write('cpu\n'); }) });
      }
    });
    proc.once('exit', (code) => reject(new Error(`${script} exited ${code}`)));
  });
}

async function scrape(url: string): Promise<Map<string, number>> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const i = line.lastIndexOf(' ');
    out.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return out;
}

const sum = (m: Map<string, number>, prefix: string, filter: (k: string) => boolean = () => true) => {
  let s = 0;
  for (const [k, v] of m) if (k.startsWith(prefix) && filter(k)) s += v;
  return s;
};
const writes = (m: Map<string, number>) => sum(m, 'rest_client_requests_total', (k) => !k.includes('method="GET"'));
const reads = (m: Map<string, number>) => sum(m, 'rest_client_requests_total', (k) => k.includes('method="GET"'));
const ownCpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1e6; };
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const secs = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

/**
 * When (ms since t0) each run was first seen started (Running or later) and finished, and when its
 * status first held the router's complete count (the tokens of all five requests, as the router's
 * run usage ConfigMap has them).
 */
interface Times { running?: number; done?: number; phase?: string; usage?: number; statusTokens?: number; routerTokens?: number }

async function main(): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'agentlab-bench-agentrun-'));
  const { startApiServer } = await import('../../hack/apiserver/index.js');
  const api = await startApiServer({ host: '127.0.0.1', port: 0, logger: log });
  const kubeconfigPath = path.join(dir, 'kubeconfig.yaml');
  await api.writeKubeconfig(kubeconfigPath);
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfigPath);
  await installCrds(kc, await readCrdManifests(path.join(repo, 'crds')));
  const client = new KubeClient(kc);
  const { startNodeSimulator, HOMELAB_NODES } = await import('../../hack/nodesim/index.js');
  const sim = await startNodeSimulator({ kubeConfig: kc, nodes: HOMELAB_NODES, logger: log });

  const id = randomBytes(3).toString('hex');
  const ns = `bench-runs-${id}`;
  const routerNs = `bench-router-${id}`;
  await client.create(NAMESPACES, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns, labels: { 'bench.agentlab.dev/lane': id } } });
  await client.create(NAMESPACES, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: routerNs } });
  const fake = await child('agentrun-fake-ollama.ts', {}, ['url']);
  // A private lane: the fake Ollama as its one provider, the run namespace bound to it.
  await client.create(LANEPOLICIES, {
    apiVersion: 'agentlab.dev/v1alpha1', kind: 'LanePolicy', metadata: { name: `bench-${id}`, labels: { 'bench.agentlab.dev/run': id } },
    spec: { namespaceSelector: { matchLabels: { 'bench.agentlab.dev/lane': id } }, allowCloud: false, providers: [{ name: 'ollama', cloud: { provider: 'ollama', baseURL: fake.urls.url }, models: { chat: 'llama3.1:8b' } }] },
  });
  const router = await child('router-child.ts', { KUBECONFIG: kubeconfigPath, LANE_SELECTOR: `bench.agentlab.dev/run=${id}`, ROUTER_NAMESPACE: routerNs }, ['url', 'metrics']);
  const operator = await child('agentrun-operator-child.ts', { KUBECONFIG: kubeconfigPath, NAMESPACES: `${ns},${routerNs}`, ROUTER_NAMESPACE: routerNs, ROUTER_URL: router.urls.url }, ['metrics']);

  const times = new Map<string, Times>();
  let t0 = 0;
  const watcher = new KubeClient(kc);
  const inf = new Informer({ client: watcher, resource: AGENTRUNS, namespaces: [ns], logger: log });
  let settled: () => void = () => {};
  const allUsage = new Promise<void>((r) => { settled = r; });
  const check = (t: Times) => {
    if (t.done !== undefined && t.routerTokens !== undefined && t.statusTokens === t.routerTokens) t.usage ??= performance.now() - t0;
    if ([...times.values()].every((x) => x.usage !== undefined)) settled();
  };
  inf.addHandler((_type, obj: KubeObject) => {
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
  inf.start();
  // The router's own count per run: complete once it holds the five requests.
  const usageInf = new Informer({ client: watcher, resource: CONFIGMAPS, namespaces: [routerNs], labelSelector: `${RUN_USAGE_LABEL}=true`, logger: log });
  usageInf.addHandler((_type, obj: KubeObject) => {
    const u = runUsageFromConfigMap(obj as never);
    const t = u && u.namespace === ns ? times.get(u.run) : undefined;
    if (!t || !u || u.requests < 5) return;
    t.routerTokens = u.totalTokens;
    check(t);
  });
  usageInf.start();

  const runSpec = (i: number) => ({
    apiVersion: 'agentlab.dev/v1alpha1', kind: 'AgentRun', metadata: { name: `run-${i}`, namespace: ns },
    spec: {
      task: `bench-five-turns: keep notes of what the workspace holds (run ${i}).`,
      model: 'chat',
      tools: [{ name: 'files', files: { paths: ['/workspace'] } }],
      limits: { maxTurns: 10, maxTokens: 50_000, timeout: '20m' },
    },
  });
  for (let i = 0; i < RUNS; i++) times.set(`run-${i}`, {});
  console.log(`AgentRun benchmark: ${RUNS} runs of 5 model calls each, created at once (${os.cpus().length} CPUs, load average ${os.loadavg()[0].toFixed(1)} at start)`);

  const op0 = await scrape(operator.urls.metrics);
  const r0 = await scrape(router.urls.metrics);
  const [opCpu0, routerCpu0, fakeCpu0] = await Promise.all([operator.cpuMicros(), router.cpuMicros(), fake.cpuMicros()]);
  const benchCpu0 = ownCpu();
  t0 = performance.now();
  await Promise.all(Array.from({ length: RUNS }, (_, i) => client.create(AGENTRUNS, runSpec(i))));
  const created = performance.now() - t0;
  const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`not every run finished with usage within ${TIMEOUT_MS / 1000} s`)), TIMEOUT_MS).unref());
  try {
    await Promise.race([allUsage, timeout]);
  } catch (err) {
    const stuck = [...times].filter(([, t]) => t.usage === undefined).map(([n, t]) => `${n}: ${t.phase ?? (t.running !== undefined ? 'Running' : 'not started')}`);
    console.log(`${(err as Error).message}; ${stuck.length} runs: ${stuck.slice(0, 10).join(', ')}`);
  }
  const wall = performance.now() - t0;
  const [opCpu1, routerCpu1, fakeCpu1] = await Promise.all([operator.cpuMicros(), router.cpuMicros(), fake.cpuMicros()]);
  const benchCpu = ownCpu() - benchCpu0;
  const op1 = await scrape(operator.urls.metrics);
  const r1 = await scrape(router.urls.metrics);

  const all = [...times.values()];
  const running = all.flatMap((t) => (t.running === undefined ? [] : [t.running]));
  const done = all.flatMap((t) => (t.done === undefined ? [] : [t.done]));
  const usage = all.flatMap((t) => (t.usage === undefined ? [] : [t.usage]));
  const phases = new Map<string, number>();
  for (const t of all) phases.set(t.phase ?? 'unfinished', (phases.get(t.phase ?? 'unfinished') ?? 0) + 1);
  const runs = (await client.list<AgentRun>(AGENTRUNS, ns)).items;
  const turns = runs.map((r) => r.status?.usage?.turns ?? 0);
  const tokens = runs.map((r) => r.status?.usage?.totalTokens ?? 0);
  const opWrites = writes(op1) - writes(op0);
  const opReads = reads(op1) - reads(op0);
  const flushes = sum(r1, 'agentlab_llm_usage_flushes_total') - sum(r0, 'agentlab_llm_usage_flushes_total');
  const modelCalls = sum(r1, 'agentlab_llm_requests_total') - sum(r0, 'agentlab_llm_requests_total');

  console.log(`created ${RUNS} AgentRuns in ${secs(created)}; outcomes: ${[...phases].map(([p, n]) => `${n} ${p}`).join(', ')}; turns per run ${Math.min(...turns)}-${Math.max(...turns)}, tokens per run ${Math.min(...tokens)}-${Math.max(...tokens)}`);
  console.log(`create -> Running:    p50 ${secs(pct(running, 50))}, p99 ${secs(pct(running, 99))} (${running.length} runs)`);
  console.log(`create -> Succeeded:  p50 ${secs(pct(done, 50))}, p99 ${secs(pct(done, 99))} (${done.length} runs)`);
  console.log(`create -> the router's complete count in status.usage: p50 ${secs(pct(usage, 50))}, p99 ${secs(pct(usage, 99))}; all ${RUNS} in ${secs(wall)}`);
  console.log(`operator CPU: ${((opCpu1 - opCpu0) / 1e6).toFixed(2)} s, ${((opCpu1 - opCpu0) / 1e3 / RUNS).toFixed(1)} ms per run; ${sum(op1, 'controller_runtime_reconcile_total') - sum(op0, 'controller_runtime_reconcile_total')} reconciles`);
  console.log(`router CPU:   ${((routerCpu1 - routerCpu0) / 1e6).toFixed(2)} s, ${((routerCpu1 - routerCpu0) / 1e3 / RUNS).toFixed(1)} ms per run (${modelCalls} model calls, ${(modelCalls / RUNS).toFixed(1)} per run)`);
  console.log(`fake Ollama CPU: ${((fakeCpu1 - fakeCpu0) / 1e6).toFixed(2)} s; this process (API server, node simulator, watcher): ${benchCpu.toFixed(2)} s; the agent runners are the simulator's child processes, not counted`);
  console.log(`API writes per run: operator ${(opWrites / RUNS).toFixed(1)} (${opWrites} writes, ${opReads} GETs incl. pod logs and usage reads); router usage writes ${(flushes / RUNS).toFixed(1)} (${flushes} ConfigMap writes, batched every flush interval)`);

  await inf.stop();
  await usageInf.stop();
  watcher.close();
  for (const c of [operator, router, fake]) c.proc.kill('SIGTERM');
  await Promise.all([operator, router, fake].map((c) => new Promise((r) => (c.proc.exitCode !== null ? r(null) : c.proc.once('exit', r)))));
  await sim.stop();
  client.close();
  await api.close();
  await rm(dir, { recursive: true, force: true });
}

main().then(() => process.exit(0), (err: unknown) => {
  console.error(err);
  process.exit(1);
});
