// Flow benchmark. Run: npm run bench:flow
// A Flow of BENCH_WAVES x BENCH_WIDTH trivial tool nodes (default 10 x 20 = 200; every node of a
// wave depends on every node of the wave before) from create to Succeeded, against the floor, run
// at the same time in another namespace: a hand-written client that creates the same pods
// (desiredToolPod) in the same waves and starts a wave when the previous one has succeeded. Prints, never asserts: the time to plan the 200-node
// graph, wall time, time per wave beyond the pods' own time (both runs, and the ratio), the
// operator's CPU and API writes per node.
// BENCH_KUBECONFIG: run on that cluster instead of the embedded API server (bench-cluster.ts).
// Processes: this one holds the embedded API server, the node simulator (the pods' step-runner
// processes are its children), the floor client and the watcher; the operator (Flow controller
// only) runs in its own, so its CPU is its own.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { KubeClient, type KubeObject } from '../../operators/runtime/kube.js';
import { Informer } from '../../operators/runtime/informer.js';
import { FLOWS, PODS } from '../../operators/flow/resources.js';
import { desiredToolPod, FLOW_LABEL } from '../../operators/flow/tool-pod.js';
import { flowPlanDigest, planFlowRun } from '../../operators/model/graph/index.js';
import type { FlowObject } from '../../operators/flow/types.js';
import { layeredFlow } from '../flow/layered-flow.js';
import { benchChild } from './bench-child.js';
import { benchCluster } from './bench-cluster.js';
import { scrape, sum, writes } from './bench-metrics.js';
import { printTable, ratio } from './bench-table.js';

const WAVES = Number(process.env.BENCH_WAVES ?? 10);
const WIDTH = Number(process.env.BENCH_WIDTH ?? 20);
const NODES = WAVES * WIDTH;
const TIMEOUT_MS = Number(process.env.BENCH_TIMEOUT_MS ?? 30 * 60_000);
const log = pino({ level: 'warn' }, pino.destination(2));

const secs = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

/** When this process's watch first saw each pod, and saw it Succeeded (ms since the run's t0). */
interface PodTimes { seen?: number; succeeded?: number }

/** Watches the pods of one namespace; `times` by pod name. */
function podWatch(client: KubeClient, ns: string, t0: () => number): { times: Map<string, PodTimes>; informer: Informer; waitFor(names: string[]): Promise<void> } {
  const times = new Map<string, PodTimes>();
  const waiters: { names: string[]; resolve: () => void }[] = [];
  const informer = new Informer({ client, resource: PODS, namespaces: [ns], logger: log });
  informer.addHandler((_type, obj: KubeObject) => {
    const name = obj.metadata!.name!;
    const now = performance.now() - t0();
    const t = times.get(name) ?? {};
    times.set(name, t);
    t.seen ??= now;
    if ((obj as { status?: { phase?: string } }).status?.phase === 'Succeeded') t.succeeded ??= now;
    for (const w of [...waiters]) {
      if (w.names.every((n) => times.get(n)?.succeeded !== undefined)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  });
  informer.start();
  return {
    times, informer,
    waitFor: (names) => new Promise((resolve) => {
      if (names.every((n) => times.get(n)?.succeeded !== undefined)) resolve();
      else waiters.push({ names, resolve });
    }),
  };
}

/** Per wave: [first pod seen, last pod succeeded]; the time beyond the pods' own is the rest of the wall time. */
function waveFigures(times: Map<string, PodTimes>, podName: (node: string) => string, total: number) {
  const spans: { start: number; end: number; podMax: number }[] = [];
  for (let w = 0; w < WAVES; w++) {
    const pods = Array.from({ length: WIDTH }, (_, i) => times.get(podName(`w${w}-n${i}`)) ?? {});
    const start = Math.min(...pods.map((p) => p.seen ?? Infinity));
    const end = Math.max(...pods.map((p) => p.succeeded ?? -Infinity));
    const podMax = Math.max(...pods.map((p) => (p.succeeded ?? 0) - (p.seen ?? 0)));
    spans.push({ start, end, podMax });
  }
  const podTime = spans.reduce((n, s) => n + (s.end - s.start), 0);
  return { spans, beyondPerWave: (total - podTime) / WAVES, podMaxAvg: spans.reduce((n, s) => n + s.podMax, 0) / WAVES };
}

async function main(): Promise<void> {
  // Planning alone: the pure function the controller calls on every reconcile.
  const spec = layeredFlow(WAVES, WIDTH);
  const planRuns: number[] = [];
  for (let i = 0; i < 20; i++) {
    const t = performance.now();
    const { plan } = planFlowRun('bench', spec);
    flowPlanDigest(spec, plan);
    planRuns.push(performance.now() - t);
  }
  const cold = planRuns[0];
  planRuns.sort((a, b) => a - b);
  console.log(`Flow benchmark: ${NODES} tool nodes in ${WAVES} waves of ${WIDTH} (${os.cpus().length} CPUs, load average ${os.loadavg()[0].toFixed(1)} at start)`);
  console.log(`plan + digest of the ${NODES}-node graph: first (cold) ${cold.toFixed(2)} ms, then median ${planRuns[10].toFixed(2)} ms, max ${planRuns[19].toFixed(2)} ms (20 runs)`);

  const dir = await mkdtemp(path.join(os.tmpdir(), 'agentlab-bench-flow-'));
  const cluster = await benchCluster(dir, log);
  try {
    await cluster.startSimulator();
    console.log(cluster.describe());
    const kc = cluster.kc;
    const client = new KubeClient(kc);
    const id = randomBytes(3).toString('hex');
    const floorNs = await cluster.newNamespace(`bench-floor-${id}`);
    const flowNs = await cluster.newNamespace(`bench-flow-${id}`);
    const watcher = new KubeClient(kc);
    const timeout = <T>(p: Promise<T>, what: string) => Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${what}: not done within ${TIMEOUT_MS / 1000} s`)), TIMEOUT_MS).unref())]);

    // The Flow, run by the operator in its own process, and the floor at the same time: the same
    // pods, created wave by wave by a plain client that watches them, in another namespace. Both
    // share the server, the simulator and the machine's load alike.
    const operator = await benchChild('flow-operator-child.ts', { KUBECONFIG: cluster.kubeconfigPath, NAMESPACES: flowNs }, ['metrics']);
    let floorT0 = 0;
    const floorPods = podWatch(watcher, floorNs, () => floorT0);
    const floorClient = new KubeClient(kc);
    const floorName = (node: string) => `floor-${node}-1`;
    let flowT0 = 0;
    const flowPods = podWatch(watcher, flowNs, () => flowT0);
    let flowDone: () => void = () => {};
    const succeeded = new Promise<void>((r) => { flowDone = r; });
    let flowEnd = 0;
    const flowInf = new Informer({ client: watcher, resource: FLOWS, namespaces: [flowNs], logger: log });
    flowInf.addHandler((_type, obj: KubeObject) => {
      const phase = (obj as FlowObject).status?.phase;
      if (phase === 'Succeeded' || phase === 'Failed') {
        flowEnd ||= performance.now() - flowT0;
        if (phase === 'Failed') console.log(`the flow failed: ${JSON.stringify((obj as FlowObject).status?.conditions)}`);
        flowDone();
      }
    });
    flowInf.start();
    const op0 = await scrape(operator.urls.metrics);
    const cpu0 = await operator.cpuMicros();
    const runFloor = async (): Promise<number> => {
      floorT0 = performance.now();
      for (let w = 0; w < WAVES; w++) {
        const nodes = spec.nodes.slice(w * WIDTH, (w + 1) * WIDTH);
        await Promise.all(nodes.map((node) => floorClient.create(PODS, desiredToolPod({ flow: { name: 'floor', namespace: floorNs }, node, attempt: 1, inputs: {}, command: [], args: node.tool!.args ?? [] }))));
        await timeout(floorPods.waitFor(nodes.map((n) => floorName(n.id))), `floor wave ${w}`);
      }
      return performance.now() - floorT0;
    };
    const runFlow = async (): Promise<number> => {
      flowT0 = performance.now();
      await client.create(FLOWS, { apiVersion: 'agentlab.dev/v1alpha1', kind: 'Flow', metadata: { name: 'bench', namespace: flowNs }, spec });
      await timeout(succeeded, 'the flow');
      return flowEnd;
    };
    const [floorTotal, flowTotal] = await Promise.all([runFloor(), runFlow()]);
    const floor = waveFigures(floorPods.times, floorName, floorTotal);
    await floorPods.informer.stop();
    const cpu1 = await operator.cpuMicros();
    const op1 = await scrape(operator.urls.metrics);
    const flow = waveFigures(flowPods.times, (node) => `bench-${node}-1`, flowTotal);
    const opWrites = writes(op1) - writes(op0);
    const flowObj = await client.get<FlowObject>(FLOWS, flowNs, 'bench');
    const labelled = (await client.list(PODS, flowNs, { labelSelector: `${FLOW_LABEL}=bench` })).items.length;

    const floorSucceeded = [...floorPods.times.values()].filter((t) => t.succeeded !== undefined).length;
    printTable([
      ['outcome', `${flowObj.status?.phase} (${flowObj.status?.progress}, ${labelled} pods)`, `${floorSucceeded}/${NODES} pods Succeeded`, ''],
      ['wall time, create -> Succeeded', secs(flowTotal), secs(floorTotal), `${ratio(flowTotal, floorTotal)} (target <= 1.25x)`],
      ["pods' own time per wave (seen -> Succeeded, longest)", secs(flow.podMaxAvg), secs(floor.podMaxAvg), ''],
      ["time per wave beyond the pods' own", secs(flow.beyondPerWave), secs(floor.beyondPerWave), `${ratio(flow.beyondPerWave, Math.max(floor.beyondPerWave, 1))} (+${secs(flow.beyondPerWave - floor.beyondPerWave)} per wave)`],
      ['API writes per node', `${(opWrites / NODES).toFixed(2)} (${opWrites}: pods, status, events)`, `1.00 (${NODES} pod creates)`, ratio(opWrites, NODES)],
      ['operator CPU per node', `${((cpu1 - cpu0) / 1e3 / NODES).toFixed(1)} ms (${((cpu1 - cpu0) / 1e6).toFixed(2)} s, ${sum(op1, 'controller_runtime_reconcile_total') - sum(op0, 'controller_runtime_reconcile_total')} reconciles)`, '', ''],
    ], ['figure', 'flow (operator)', 'floor (plain client, same pods, same waves)', 'flow / floor']);
    console.log(`per wave (flow): ${flow.spans.map((s, w) => `${w}: ${secs(s.end - s.start)}`).join(', ')}`);

    await flowInf.stop();
    await flowPods.informer.stop();
    watcher.close();
    floorClient.close();
    await operator.stop();
    client.close();
  } finally {
    await cluster.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

main().then(() => process.exit(0), (err: unknown) => {
  console.error(err);
  process.exit(1);
});
