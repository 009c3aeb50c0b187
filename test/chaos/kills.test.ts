// The CI subset of `npm run chaos`: the mixed workload (a LanePolicy, a ModelServer, AgentRuns,
// Flows, HardwareTasks a person completes and approves, with kubectl or with `/done` and
// `/approve` on the task's issue on a fake forge, an AgentRun approved on its issue) while the
// operator, a real process, is SIGKILLed 10 times at random moments: 5 with one replica, 5 with
// two replicas and leader election. Every figure must hold: every resource reaches the outcome it
// reaches without kills, no child twice, no step or model call twice, usage equal to the calls
// made, one issue per resource, one status comment per issue, each milestone comment and each
// document commit once, no orphans.
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
});
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
      // run-0 and hwt-0 report to issues (fake GitHub / fake Forgejo); run-1 and hwt-1 do not.
      size: { modelServers: 1, agentRuns: 2, flows: 3, hardwareTasks: 2 },
      // A hang guard sized for a loaded 2-core CI machine, not a speed bound.
      convergeTimeoutMs: 180_000, log: (l) => console.log(`[${tag}] ${new Date().toISOString().slice(11, 19)} ${l}`),
    });
    const table = formatTable(`chaos (seed ${seed}, ${replicas} replica(s))`, result.figures);
    console.log(table);
    expect(result.figures.filter((f) => !f.ok).map((f) => `${f.name}: ${f.value} (expected ${f.expected}) ${f.detail ?? ''}`), table).toEqual([]);
    // The issue side was really exercised: two resources on issues, their comments and the commit counted.
    const figure = (name: string) => result.figures.find((f) => f.name === name);
    expect(figure('issues on the forges (one per resource)')).toMatchObject({ value: 2, expected: 2 });
    expect(figure('issue status comments (one per issue)')).toMatchObject({ value: 2, expected: 2 });
    expect(figure('issue milestone comments (each once)')).toMatchObject({ value: 5, expected: 5 });
    expect(figure('document commits (each file once)')).toMatchObject({ value: 1, expected: 1 });
    expect(figure('person commands on the issues (/done, /approve)')).toMatchObject({ value: 3, expected: 3 });
    expect(figure('person actions with kubectl (complete + approve)')).toMatchObject({ value: 2, expected: 2 });
  }, 420_000); // 85 s in a clean-clone CI run (11 s on a quiet one): room for a loaded machine's 3.4x
});
