// One seed for every fuzz test: fixed in CI so a failure replays, printed so a failing run can
// be replayed with AGENTLAB_FUZZ_SEED=<seed>; AGENTLAB_FUZZ_RUNS scales the number of cases
// (`npm run fuzz` sets it high).

/** The fast-check seed of this run: AGENTLAB_FUZZ_SEED, `random` for a new one (npm run fuzz), default a fixed value (CI). */
export const FUZZ_SEED = process.env.AGENTLAB_FUZZ_SEED === 'random' ? Date.now() % 2 ** 31 : Number(process.env.AGENTLAB_FUZZ_SEED ?? 20261203);

const SCALE = ((s) => (Number.isFinite(s) && s > 0 ? s : 1))(Number(process.env.AGENTLAB_FUZZ_SCALE ?? 1));

/** A test's time limit, grown with the number of cases. */
export const fuzzTimeout = (ms: number) => Math.round(ms * Math.max(1, SCALE));

/** Number of generated cases: `ci` by default, multiplied by AGENTLAB_FUZZ_SCALE (npm run fuzz: 20). */
export function fuzzRuns(ci: number): number {
  return Math.max(1, Math.round(ci * SCALE));
}

/** One line per fuzz test: what was tried, under which seed (printed to stdout, kept by vitest). */
export function report(what: string, counts: Record<string, number>): void {
  const parts = Object.entries(counts).map(([k, v]) => `${k}=${v}`).join(' ');
  console.log(`[fuzz] ${what}: seed=${FUZZ_SEED} ${parts} (replay: AGENTLAB_FUZZ_SEED=${FUZZ_SEED})`);
}
