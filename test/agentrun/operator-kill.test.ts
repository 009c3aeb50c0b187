// The operator killed (SIGKILL) at random moments while 20 AgentRuns go through their life cycle:
// every run converges, no run ever gets a second pod or token Secret (seen by a watch, by UID),
// and each run's usage equals the lane router's own count of its token.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import { Watch } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AGENTRUNS, CONFIGMAPS } from '../../operators/agentrun/resources.js';
import type { AgentRun } from '../../operators/agentrun/types.js';
import { runUsageConfigMapName, runUsageFromConfigMap } from '../../operators/model/agentrun/usage.js';
import { KubeClient } from '../../operators/runtime/kube.js';
import { useCluster } from '../harness/cluster.js';
import { nodeEntry } from '../harness/node-entry.js';
import { ROUTER_POD_LABELS, ROUTER_PORT, startLaneFixture, TOOL_RULES, type LaneFixture } from '../lanes/support.js';

const cluster = useCluster();
const RUNS = 20;
let f: LaneFixture;
let client: KubeClient;
let operator: ChildProcess | undefined;
/** The operator fixture compiled, as the operator image runs it. */
let operatorEntry: string[];
const stopWatches: (() => void)[] = [];

beforeAll(async () => {
  f = await startLaneFixture(cluster);
  f.ollama.setRules([{ when: 'restart-e2e', delayMs: 150, steps: [{ toolCalls: [{ name: 'list_directory', arguments: { path: '.' } }] }, { toolCalls: [{ name: 'list_directory', arguments: { path: '.' } }] }], reply: 'Listed twice.' }, ...TOOL_RULES]);
  client = new KubeClient(cluster.kc);
  operatorEntry = await nodeEntry(path.join(import.meta.dirname, 'fixtures', 'operator-process.ts'));
});
afterAll(async () => {
  operator?.kill('SIGKILL');
  for (const s of stopWatches) s();
  client?.close();
  await f?.stop();
});

/** mulberry32: the kill schedule is reproducible from the seed printed on failure. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Starts an operator process; `started` resolves once it runs its controllers. */
function startOperatorProcess(): { child: ChildProcess; started: Promise<boolean> } {
  const child = spawn(process.execPath, operatorEntry, {
    env: {
      ...process.env, KUBECONFIG: cluster.kubeconfigPath, NAMESPACES: Object.values(f.ns).join(','), LABEL_SELECTOR: f.selector,
      ROUTER_NAMESPACE: f.routerNs, ROUTER_POD_LABELS: JSON.stringify(ROUTER_POD_LABELS), ROUTER_PORT: String(ROUTER_PORT), ROUTER_URL: f.router.url,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const started = new Promise<boolean>((resolve) => {
    readline.createInterface({ input: child.stdout! }).on('line', (l) => { if (l === 'started') resolve(true); });
    child.on('exit', () => resolve(false));
  });
  return { child, started };
}

/** Every object a watch ever saw, by name: the UIDs (a second UID is a second object under the same name). */
async function watchUids(resourcePath: string, ns: string): Promise<Map<string, Set<string>>> {
  const seen = new Map<string, Set<string>>();
  const req = await new Watch(cluster.kc).watch(`/api/v1/namespaces/${ns}/${resourcePath}`, { labelSelector: 'agentlab.dev/run' }, (_type, obj: { metadata?: { name?: string; uid?: string } }) => {
    const name = obj.metadata?.name ?? '';
    if (!seen.has(name)) seen.set(name, new Set());
    seen.get(name)!.add(obj.metadata?.uid ?? '');
  }, () => undefined);
  stopWatches.push(() => req.abort());
  return seen;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.runIf(cluster.nodeSimulator)('AgentRun controller killed at random points', () => {
  it(`${RUNS} runs converge with one pod and one token each, and usage equal to the router's`, async () => {
    const seed = Number(process.env.AGENTLAB_TEST_SEED ?? Date.now() % 1_000_000);
    const rnd = random(seed);
    const ns = f.ns.private;
    const pods = await watchUids('pods', ns);
    const secrets = await watchUids('secrets', ns);
    const names = Array.from({ length: RUNS }, (_, i) => `restart-${i}`);
    const phases = async () => Promise.all(names.map(async (n) => (await client.get<AgentRun>(AGENTRUNS, ns, n).catch(() => undefined))?.status?.phase));

    let current = startOperatorProcess();
    operator = current.child;
    const created = (async () => {
      for (let i = 0; i < RUNS; i += 4) {
        await Promise.all(names.slice(i, i + 4).map((n) => client.create(AGENTRUNS, { apiVersion: 'agentlab.dev/v1alpha1', kind: 'AgentRun', metadata: { name: n, namespace: ns }, spec: { task: `restart-e2e: ${n}`, model: 'chat', tools: [{ name: 'files', files: { paths: ['/workspace'], readOnly: true } }], limits: { maxTurns: 5, timeout: '2m' } } })));
        await sleep(1000);
      }
    })();
    // Chaos: SIGKILL at random points: a quarter of the time while the operator starts (lists,
    // first reconciles), else 0.1-1.5 s after it started (reconciles, creates, status writes); a
    // new one starts at once; until every run has ended and 5 kills happened (or 30 s), then the
    // last one converges.
    let kills = 0;
    let killsWhileRunning = 0;
    const chaosUntil = Date.now() + 30_000;
    for (;;) {
      if (rnd() < 0.25) await sleep(rnd() * 2000);
      else if (await current.started) await sleep(100 + rnd() * 1400);
      if (await Promise.race([current.started, sleep(0).then(() => false)])) killsWhileRunning++;
      current.child.kill('SIGKILL');
      kills++;
      await new Promise((r) => current.child.exitCode !== null || current.child.signalCode !== null ? r(undefined) : current.child.once('exit', r));
      current = startOperatorProcess();
      operator = current.child;
      const done = (await phases()).every((p) => p === 'Succeeded' || p === 'Failed' || p === 'Cancelled');
      if ((done && kills >= 5) || Date.now() > chaosUntil) break;
    }
    await created;
    const what = `seed ${seed}, ${kills} kills, ${killsWhileRunning} of them after the operator had started`;

    // The last operator runs undisturbed: every run converges.
    const runs = await cluster.waitFor(async () => {
      const all = await Promise.all(names.map((n) => client.get<AgentRun>(AGENTRUNS, ns, n)));
      return all.every((r) => r.status?.phase === 'Succeeded' || r.status?.phase === 'Failed') ? all : undefined;
      // A hang guard, not a speed bound: 20 runner processes share the machine's cores with the
      // other test files (about 50 s alone on 2 quiet cores; CI runs files in parallel).
    }, { timeoutMs: 240_000, intervalMs: 500, what: `every run to end (${what})` });
    for (const r of runs) {
      expect(r.status?.phase, `${r.metadata.name}: ${JSON.stringify(r.status?.conditions)} (${what})`).toBe('Succeeded');
      expect(r.status?.usage, `${r.metadata.name} (${what})`).toMatchObject({ turns: 3, toolCalls: 2, toolErrors: 0 });
    }

    // One pod and one token Secret per run, now and ever (one UID per name in the watches).
    for (const n of names) {
      const p = await cluster.core.listNamespacedPod({ namespace: ns, labelSelector: `agentlab.dev/run=${n}` });
      expect(p.items.map((x) => x.metadata?.name), `pods of ${n} (${what})`).toEqual([`${n}-agent`]);
      const s = await cluster.core.listNamespacedSecret({ namespace: ns, labelSelector: `agentlab.dev/run=${n}` });
      expect(s.items.map((x) => x.metadata?.name), `secrets of ${n} (${what})`).toEqual([`${n}-router-token`]);
      expect(pods.get(`${n}-agent`)?.size, `pod UIDs of ${n} (${what})`).toBe(1);
      expect(secrets.get(`${n}-router-token`)?.size, `token Secret UIDs of ${n} (${what})`).toBe(1);
    }
    const scheduled = await cluster.core.listNamespacedEvent({ namespace: ns, fieldSelector: 'reason=Scheduled' });
    for (const n of names) expect(scheduled.items.filter((e) => e.involvedObject.name === `${n}-agent`).map((e) => e.involvedObject.uid), `Scheduled events of ${n}-agent (${what})`).toHaveLength(1);

    // Usage: each run's status equals the router's count of its token, so the totals are equal too.
    await cluster.waitFor(async () => {
      const pairs = await Promise.all(names.map(async (n) => {
        const run = await client.get<AgentRun>(AGENTRUNS, ns, n);
        const cm = await client.get(CONFIGMAPS, f.routerNs, runUsageConfigMapName(ns, 'AgentRun', n)).catch(() => undefined);
        return [run.status?.usage?.totalTokens ?? 0, cm ? runUsageFromConfigMap(cm)?.totalTokens ?? 0 : -1];
      }));
      return pairs.every(([s, r]) => s === r && r > 0) ? pairs : undefined;
    }, { timeoutMs: 120_000, intervalMs: 500, what: `status.usage.totalTokens of every run to equal the router's run usage (${what})` });
  }, 480_000);
});
