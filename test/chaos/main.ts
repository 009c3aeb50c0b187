// npm run chaos [-- --kills 100 --kills-per-run 10 --seed N --no-faults]
// The long chaos run: on a private embedded API server with the node simulator, runs of the mixed
// workload with the operator SIGKILLed at random moments (one replica, then two with leader
// election, alternately), then one run under the API server's fault injection; prints each run's
// figures and the totals. Exits 1 when a figure does not hold.
import { parseArgs } from 'node:util';
import { formatTable, type Figure } from './figures.js';
import { seededRandom } from './rng.js';
import { runChaos, type RunResult } from './run.js';
import { startPrivateCluster, startStage } from './stage.js';
import type { WorkloadSize } from './workload.js';

const { values } = parseArgs({
  options: {
    kills: { type: 'string', default: '100' },
    'kills-per-run': { type: 'string', default: '10' },
    seed: { type: 'string' },
    'no-faults': { type: 'boolean', default: false },
  },
});
const positive = (flag: string, v: string | undefined): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) {
    console.error(`--${flag} ${JSON.stringify(v)}: expected a whole number >= 0`);
    process.exit(2);
  }
  return n;
};
const kills = positive('kills', values.kills);
const perRun = Math.max(1, positive('kills-per-run', values['kills-per-run']));
const seed = values.seed !== undefined ? positive('seed', values.seed) : Date.now() % 1_000_000;
const size: WorkloadSize = { modelServers: 1, agentRuns: 3, flows: 3, hardwareTasks: 2 };
const rnd = seededRandom(seed);
const log = (l: string) => console.log(`${new Date().toISOString().slice(11, 19)} ${l}`);

/** Figures that are not counts: the totals show their largest value, not a sum. */
const NOT_COUNTS = /replicas|seconds/;

/** Totals over runs: counts are summed; the others keep their largest (or last) value. */
export function totals(results: RunResult[]): Figure[] {
  const out = new Map<string, Figure>();
  for (const r of results) {
    for (const f of r.figures) {
      const prev = out.get(f.name);
      const num = typeof f.value === 'number' && (!prev || typeof prev.value === 'number');
      const sumExpected = typeof f.expected === 'number' && prev && typeof prev.expected === 'number';
      out.set(f.name, prev ? {
        ...f,
        value: num && !NOT_COUNTS.test(f.name) ? Math.round(((prev.value as number) + (f.value as number)) * 10) / 10 : num ? Math.max(prev.value as number, f.value as number) : f.value,
        expected: sumExpected ? (prev.expected as number) + (f.expected as number) : f.expected,
        ok: prev.ok && f.ok,
        detail: [prev.detail, f.detail].filter(Boolean).join('; ') || undefined,
      } : { ...f });
    }
  }
  return [...out.values()];
}

const { cluster, stop } = await startPrivateCluster();
const stage = await startStage(cluster);
const results: RunResult[] = [];
let failed = false;
try {
  console.log(`chaos: seed ${seed}, ${kills} kills in runs of ${perRun}, workload per run ${JSON.stringify(size)}`);
  for (let run = 0, left = kills; left > 0; run++, left -= perRun) {
    const replicas = run % 2 === 0 ? 1 : 2;
    log(`run ${run + 1}: ${Math.min(perRun, left)} kills, ${replicas} replica(s)`);
    const r = await runChaos(stage, { tag: `r${run}`, size, kills: Math.min(perRun, left), replicas, leaseMs: 3000, maxUptimeMs: 3000, rnd, convergeTimeoutMs: 300_000, log });
    console.log(formatTable(`run ${run + 1} (${replicas} replica(s))`, r.figures));
    results.push(r);
    failed ||= !r.ok;
  }
  if (results.length > 0) console.log(`\n${formatTable(`chaos totals over ${results.length} runs (seed ${seed})`, totals(results))}`);
  if (!values['no-faults']) {
    log('fault run: per-verb 500/429/409 at 10 %, 20 ms latency, watches dropped every 10 s, a 410 every 7 s, for up to 60 s');
    const r = await runChaos(stage, {
      tag: 'faults', size, kills: 0, replicas: 1, maxUptimeMs: 3000, rnd, convergeTimeoutMs: 300_000, log,
      faults: { errorRate: 0.1, latencyMs: 20, dropWatchesEveryMs: 10_000, expireWatchEveryMs: 7000, windowMs: 60_000 },
    });
    console.log(`\n${formatTable('API server faults (no kills)', r.figures)}`);
    failed ||= !r.ok;
  }
} finally {
  await stage.stop();
  await stop();
}
console.log(failed ? '\nchaos: FAILED (see the figures marked FAIL)' : '\nchaos: every figure holds');
process.exit(failed ? 1 : 0);
