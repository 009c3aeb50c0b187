// Garbage collection pauses of a benchmark child process (router-child.ts, router-bare-proxy.ts),
// from perf_hooks' gc entries: how many scavenges and mark-compacts ran and how long they took, so
// that a latency tail can be set beside the pauses that ran in the same row (bench:router).
import { PerformanceObserver, constants } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

export interface GcTotals {
  /** Scavenges (young generation). */
  minor: number;
  minorMs: number;
  /** Mark-compacts (whole heap), counted at their final pause. */
  major: number;
  majorMs: number;
  /** The longest single pause since the previous reading. */
  maxMs: number;
}

/**
 * Starts counting this process's GC pauses; the returned function reads the totals so far (and
 * starts the longest pause over). Entries reach the observer a tick or so after their pause.
 */
export function countGc(): () => GcTotals {
  const t: GcTotals = { minor: 0, minorMs: 0, major: 0, majorMs: 0, maxMs: 0 };
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const kind = ((e as { detail?: unknown }).detail as { kind?: number } | undefined)?.kind;
      if (kind === constants.NODE_PERFORMANCE_GC_MINOR) {
        t.minor++;
        t.minorMs += e.duration;
      } else if (kind === constants.NODE_PERFORMANCE_GC_MAJOR) {
        t.major++;
        t.majorMs += e.duration;
      } else continue;
      if (e.duration > t.maxMs) t.maxMs = e.duration;
    }
  }).observe({ entryTypes: ['gc'] });
  return () => {
    const out = { ...t };
    t.maxMs = 0;
    return out;
  };
}

/** The pauses between two readings: `b - a`, and b's longest pause (the one since reading a). */
export function gcDelta(a: GcTotals, b: GcTotals): GcTotals {
  return { minor: b.minor - a.minor, minorMs: b.minorMs - a.minorMs, major: b.major - a.major, majorMs: b.majorMs - a.majorMs, maxMs: b.maxMs };
}

let gcNow: (() => void) | undefined;

/**
 * A full garbage collection of this process now, without starting it with --expose-gc (V8's flag
 * turned on at run time, then `gc` taken from a fresh context, where V8 installs it). A benchmark
 * calls it before each timed phase, so that no phase inherits the garbage of the one before and
 * pays its mark-compact.
 */
export function fullGc(): void {
  if (!gcNow) {
    setFlagsFromString('--expose-gc');
    gcNow = runInNewContext('gc') as () => void;
  }
  gcNow();
}
