// EMBEDDED SERVER ONLY (a private one, whatever the suite's backend): its fault injection during
// the chaos workload. Every request of every client (operator, router, node simulator, the
// person) fails with 500 InternalError, 429 TooManyRequests (Retry-After) or 409 Conflict at 10 %
// per verb, with added latency, watch streams dropped every few seconds and a 410 Expired on the
// next watch now and then. The workload must still reach the outcome it reaches without faults,
// with no child twice, no step or model call twice, usage equal to the calls; the retries and
// relists are counted and printed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatTable } from './figures.js';
import { seededRandom } from './rng.js';
import { runChaos } from './run.js';
import { startPrivateCluster, startStage, type Stage } from './stage.js';

let stage: Stage;
let stopCluster: () => Promise<void>;

beforeAll(async () => {
  const p = await startPrivateCluster();
  stopCluster = p.stop;
  stage = await startStage(p.cluster);
});
afterAll(async () => {
  await stage?.stop();
  await stopCluster?.();
});

describe('the chaos workload under API server faults', () => {
  it('converges with every figure holding, retries and relists counted', async () => {
    const seed = Number(process.env.AGENTLAB_TEST_SEED ?? Date.now() % 1_000_000);
    const result = await runChaos(stage, {
      tag: 'faults', replicas: 1, kills: 0, maxUptimeMs: 2000, rnd: seededRandom(seed),
      size: { modelServers: 1, agentRuns: 2, flows: 3, hardwareTasks: 1 },
      faults: { errorRate: 0.1, latencyMs: 20, dropWatchesEveryMs: 10_000, expireWatchEveryMs: 7000, windowMs: 60_000 },
      // A hang guard sized for a loaded 2-core CI machine, not a speed bound.
      convergeTimeoutMs: 150_000,
    });
    const table = formatTable(`API server faults (seed ${seed})`, result.figures);
    console.log(table);
    expect(result.figures.filter((f) => !f.ok).map((f) => `${f.name}: ${f.value} (expected ${f.expected}) ${f.detail ?? ''}`), table).toEqual([]);
    const figure = (name: string) => Number(result.figures.find((f) => f.name === name)?.value);
    // The faults really happened and the operator really met them.
    expect(figure('injected API errors (500/429/409, all clients)')).toBeGreaterThan(0);
    expect(figure('operator relists after 410 Expired') + figure('operator relists after a failed list/watch')).toBeGreaterThan(0);
  }, 300_000);
});
