// The Flow operator killed (SIGKILL) at random moments while 20 flows of two waves run: every
// flow converges to Succeeded with the right outputs, and no node ever runs twice (one attempt per
// node, one pod per attempt name, one UID per pod name as seen by a watch).
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import { Watch } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FLOWS } from '../../operators/flow/resources.js';
import type { FlowObject } from '../../operators/flow/types.js';
import { KubeClient } from '../../operators/runtime/kube.js';
import { exited } from '../chaos/fleet.js';
import { seededRandom } from '../chaos/rng.js';
import { useCluster } from '../harness/cluster.js';
import { nodeEntry } from '../harness/node-entry.js';

const cluster = useCluster();
const FLOW_COUNT = 20;
const STEP = 'ghcr.io/agentlab/step-runner:0.1.0';
let ns: string;
let client: KubeClient;
let operator: ChildProcess | undefined;
/** The operator fixture compiled, as the operator image runs it. */
let operatorEntry: string[];
const stopWatches: (() => void)[] = [];

beforeAll(async () => {
  ns = await cluster.newNamespace('flow-kill');
  client = new KubeClient(cluster.kc);
  operatorEntry = await nodeEntry(path.join(import.meta.dirname, 'fixtures', 'operator-process.ts'));
});
afterAll(async () => {
  operator?.kill('SIGKILL');
  for (const s of stopWatches) s();
  client?.close();
});

function startOperatorProcess(): { child: ChildProcess; started: Promise<boolean> } {
  const child = spawn(process.execPath, operatorEntry, {
    env: { ...process.env, KUBECONFIG: cluster.kubeconfigPath, NAMESPACES: ns },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const started = new Promise<boolean>((resolve) => {
    readline.createInterface({ input: child.stdout! }).on('line', (l) => { if (l === 'started') resolve(true); });
    child.on('exit', () => resolve(false));
  });
  return { child, started };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Two waves: seed -> double (input from seed); each pod starts three step-runner processes, so 40 pods is already a load. */
const flowSpec = (i: number) => ({
  params: [{ name: 'n', value: String(i) }],
  nodes: [
    { id: 'seed', type: 'tool', tool: { image: STEP, args: ['sh', '-c', 'echo ${params.n} > "$AGENTLAB_OUTPUTS_DIR/n"'] }, outputs: [{ name: 'n', type: 'number' }] },
    { id: 'double', type: 'tool', inputs: [{ name: 'x', from: { node: 'seed', output: 'n' } }], tool: { image: STEP, args: ['sh', '-c', 'echo $((INPUT_X * 2)) > "$AGENTLAB_OUTPUTS_DIR/n"'] }, outputs: [{ name: 'n', type: 'number' }] },
  ],
});

describe.runIf(cluster.nodeSimulator)('Flow controller killed at random points', () => {
  it(`${FLOW_COUNT} flows converge, each node run exactly once`, async () => {
    const seed = Number(process.env.AGENTLAB_TEST_SEED ?? Date.now() % 1_000_000);
    const rnd = seededRandom(seed);
    const uids = new Map<string, Set<string>>();
    const req = await new Watch(cluster.kc).watch(`/api/v1/namespaces/${ns}/pods`, { labelSelector: 'agentlab.dev/flow' }, (_type, obj: { metadata?: { name?: string; uid?: string } }) => {
      const name = obj.metadata?.name ?? '';
      if (!uids.has(name)) uids.set(name, new Set());
      uids.get(name)!.add(obj.metadata?.uid ?? '');
    }, () => undefined);
    stopWatches.push(() => req.abort());

    const names = Array.from({ length: FLOW_COUNT }, (_, i) => `kill-${i}`);
    const phases = async () => Promise.all(names.map(async (n) => (await client.get<FlowObject>(FLOWS, ns, n).catch(() => undefined))?.status?.phase));
    let current = startOperatorProcess();
    operator = current.child;
    const created = (async () => {
      for (let i = 0; i < FLOW_COUNT; i += 5) {
        await Promise.all(names.slice(i, i + 5).map((n, j) => client.create(FLOWS, { apiVersion: 'agentlab.dev/v1alpha1', kind: 'Flow', metadata: { name: n, namespace: ns }, spec: flowSpec(i + j) })));
        await sleep(700);
      }
    })();
    // SIGKILL at random points: a quarter of the time while the operator starts (lists, first
    // reconciles), else 0.1-1.5 s after it started (pod creates, status writes); a new one starts
    // at once; until every flow has ended and 5 kills happened (or 30 s), then the last converges.
    let kills = 0;
    let killsWhileRunning = 0;
    const chaosUntil = Date.now() + 30_000;
    for (;;) {
      if (rnd() < 0.25) await sleep(rnd() * 2000);
      else if (await current.started) await sleep(100 + rnd() * 1400);
      if (await Promise.race([current.started, sleep(0).then(() => false)])) killsWhileRunning++;
      current.child.kill('SIGKILL');
      kills++;
      await exited(current.child);
      current = startOperatorProcess();
      operator = current.child;
      const done = (await phases()).every((p) => p === 'Succeeded' || p === 'Failed');
      if ((done && kills >= 5) || Date.now() > chaosUntil) break;
    }
    await created;
    const what = `seed ${seed}, ${kills} kills, ${killsWhileRunning} of them after the operator had started`;

    const flows = await cluster.waitFor(async () => {
      const all = await Promise.all(names.map((n) => client.get<FlowObject>(FLOWS, ns, n)));
      return all.every((f) => f.status?.phase === 'Succeeded' || f.status?.phase === 'Failed') ? all : undefined;
      // A hang guard, not a speed bound: 40 step pods (120 step-runner processes) share the
      // machine with the other test files.
    }, { timeoutMs: 420_000, intervalMs: 500, what: `every flow to end (${what})` }).catch(async (err: Error) => {
      const all = await Promise.all(names.map((n) => client.get<FlowObject>(FLOWS, ns, n)));
      const stuck = all.filter((f) => f.status?.phase !== 'Succeeded' && f.status?.phase !== 'Failed').map((f) => `${f.metadata!.name}: ${f.status?.phase} ${JSON.stringify(f.status?.nodes?.map((n) => `${n.id} ${n.phase} ${n.message ?? ''}`))}`);
      const pods = await cluster.core.listNamespacedPod({ namespace: ns });
      const podPhases = pods.items.map((p) => `${p.metadata?.name}=${p.status?.phase}`).join(' ');
      throw new Error(`${err.message}; not ended: ${stuck.join('; ')}; pods: ${podPhases}`);
    });

    for (const [i, f] of flows.entries()) {
      const name = f.metadata!.name!;
      expect(f.status?.phase, `${name}: ${JSON.stringify(f.status?.nodes)} (${what})`).toBe('Succeeded');
      expect(f.status?.nodes?.map((n) => [n.id, n.phase, n.attempts, n.child]), `${name} (${what})`).toEqual([
        ['seed', 'Succeeded', 1, `Pod/${name}-seed-1`], ['double', 'Succeeded', 1, `Pod/${name}-double-1`],
      ]);
      expect(f.status?.nodes?.[1].outputs, `${name} (${what})`).toEqual({ n: String(i * 2) });
      const pods = await cluster.core.listNamespacedPod({ namespace: ns, labelSelector: `agentlab.dev/flow=${name}` });
      expect(pods.items.map((p) => p.metadata?.name).sort(), `pods of ${name} (${what})`).toEqual([`${name}-double-1`, `${name}-seed-1`]);
      for (const p of pods.items) expect(uids.get(p.metadata!.name!)?.size, `UIDs of pod ${p.metadata!.name} (${what})`).toBe(1);
    }
    // No pod name of any attempt but the first was ever created.
    expect([...uids.keys()].filter((n) => !n.endsWith('-1')), what).toEqual([]);
    const scheduled = await cluster.core.listNamespacedEvent({ namespace: ns, fieldSelector: 'reason=Scheduled' });
    const perPod = new Map<string, Set<string>>();
    for (const e of scheduled.items) {
      const n = e.involvedObject.name!;
      if (!perPod.has(n)) perPod.set(n, new Set());
      perPod.get(n)!.add(e.involvedObject.uid!);
    }
    for (const [n, set] of perPod) expect(set.size, `Scheduled events of ${n} (${what})`).toBe(1);
  }, 600_000);
});
