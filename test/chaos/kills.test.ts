// The CI subset of `npm run chaos`: the mixed workload (a LanePolicy, a ModelServer, AgentRuns,
// Flows, HardwareTasks a person completes and approves) while the operator, a real process, is
// SIGKILLed 10 times at random moments: 5 with one replica, 5 with two replicas and leader
// election. Every figure must hold: every resource reaches the outcome it reaches without kills,
// no child twice, no step or model call twice, usage equal to the calls made, no orphans.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useCluster } from '../harness/cluster.js';
import { formatTable } from './figures.js';
import { seededRandom } from './rng.js';
import { runChaos } from './run.js';
import { startStage, type Stage } from './stage.js';

const cluster = useCluster();
let stage: Stage;

beforeAll(async () => {
  stage = await startStage({ kc: cluster.kc, kubeconfigPath: cluster.kubeconfigPath, serviceAccess: cluster.serviceAccess, gc: cluster.controllers, newNamespace: (p) => cluster.newNamespace(p) });
}, 60_000);
afterAll(async () => {
  await stage?.stop();
});

describe.runIf(cluster.nodeSimulator)('operator SIGKILLed under a mixed workload (CI subset of npm run chaos)', () => {
  it.each([
    { replicas: 1 as const, tag: 'one' },
    { replicas: 2 as const, tag: 'two' },
  ])('5 kills with $replicas replica(s): every figure holds', async ({ replicas, tag }) => {
    const seed = Number(process.env.AGENTLAB_TEST_SEED ?? Date.now() % 1_000_000);
    const result = await runChaos(stage, {
      tag, replicas, kills: 5, maxUptimeMs: 2000, rnd: seededRandom(seed), leaseMs: 3000,
      size: { modelServers: 1, agentRuns: 2, flows: 3, hardwareTasks: 1 },
      // A hang guard sized for a loaded 2-core CI machine, not a speed bound.
      convergeTimeoutMs: 120_000, log: (l) => console.log(`[${tag}] ${new Date().toISOString().slice(11, 19)} ${l}`),
    });
    const table = formatTable(`chaos (seed ${seed}, ${replicas} replica(s))`, result.figures);
    console.log(table);
    expect(result.figures.filter((f) => !f.ok).map((f) => `${f.name}: ${f.value} (expected ${f.expected}) ${f.detail ?? ''}`), table).toEqual([]);
  }, 300_000);
});
