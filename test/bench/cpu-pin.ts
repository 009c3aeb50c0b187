// The processes being compared on one CPU, everything that drives them on the others, with taskset
// (util-linux): by default wherever there are 2 CPUs and taskset works; BENCH_PIN=1 requires it,
// BENCH_PIN=0 turns it off. Unpinned on 2 CPUs, the scheduler moves the gateway under test, the
// load generator and the fake upstream between the cores as it likes, and a process's CPU per
// request depends on what it shared a core with: two slots running the same router build read
// 28-48 % apart in one run (docs/lanes.md "Overhead").
import { execFileSync } from 'node:child_process';
import os from 'node:os';

export interface CpuPlan {
  /** taskset's CPU list for the processes under test (the last CPU). */
  measured: string;
  /** taskset's CPU list for the rest: the bench process, the fake upstream. */
  driving: string;
}

/** Pure: the plan for `cpus` CPUs, or undefined when there are not two to split. */
export function cpuPlan(cpus: number): CpuPlan | undefined {
  if (cpus < 2) return undefined;
  return { measured: String(cpus - 1), driving: cpus === 2 ? '0' : `0-${cpus - 2}` };
}

/** BENCH_PIN: "1" requires pinning, "0" turns it off, anything else (unset) pins where it can. Pure. */
export function pinMode(setting: string | undefined): 'required' | 'off' | 'auto' {
  if (setting === '1') return 'required';
  if (setting === '0') return 'off';
  return 'auto';
}

/**
 * The plan (see pinMode), after pinning this process (every thread) to the driving CPUs; throws
 * naming what is missing when BENCH_PIN=1 cannot be honoured, and runs unpinned otherwise.
 */
export function pinFromEnv(): CpuPlan | undefined {
  const mode = pinMode(process.env.BENCH_PIN);
  if (mode === 'off') return undefined;
  const plan = cpuPlan(os.availableParallelism());
  if (!plan) {
    if (mode === 'required') throw new Error('BENCH_PIN=1 needs at least 2 CPUs; unset it on this machine');
    return undefined;
  }
  try {
    execFileSync('taskset', ['-a', '-p', '-c', plan.driving, String(process.pid)], { stdio: 'ignore' });
  } catch (err) {
    if (mode === 'required') throw new Error(`BENCH_PIN=1: taskset failed (${(err as Error).message}); install util-linux or unset BENCH_PIN`);
    return undefined;
  }
  return plan;
}

/** The command and arguments that start `args` (node's) on `cpus`, or as is without a plan. */
export function pinnedCommand(plan: CpuPlan | undefined, cpus: 'measured' | 'driving', command: string, args: string[]): [string, string[]] {
  return plan ? ['taskset', ['-c', plan[cpus], command, ...args]] : [command, args];
}
