// The operator (every controller) in its own process for test/bench/memory.bench.ts, compiled
// like the image. Env: KUBECONFIG, LEASE_NAMESPACE. It stands by behind a Lease another identity
// holds, so its informers fill every cache while no reconcile writes. Prints `synced` once the
// caches are filled; on SIGUSR2 it runs a full GC and prints `memory <rss> <heapUsed> <heapTotal> <external> <anonymous> <objects cached per resource, JSON>`
// (anonymous: resident anonymous memory from /proc/self/smaps_rollup, -1 where there is none).
import { readFileSync } from 'node:fs';
import { getHeapSpaceStatistics } from 'node:v8';
import { registerSlimImports } from '../../operators/cli/slim-imports.js';

// As bin/agentlab.js starts the compiled CLI: client-node's generated API stays out (slim-imports.ts).
registerSlimImports();
const { default: pino } = await import('pino');
const { loadKubeConfig } = await import('../../operators/cli/kubeconfig.js');
const { startOperator, stopOnSignals } = await import('../../operators/manager.js');

const kc = loadKubeConfig(process.env.KUBECONFIG);
const log = pino({ level: 'warn' }, pino.destination(2));
const op = await startOperator({
  kubeConfig: kc, logger: log,
  // The holder's lease is an hour long: this replica keeps standing by for the whole bench.
  leaderElection: { namespace: process.env.LEASE_NAMESPACE ?? 'default', name: 'agentlab-operator', identity: 'bench-standby', leaseDurationMs: 3_600_000, renewDeadlineMs: 3_000_000, retryPeriodMs: 60_000 },
});
stopOnSignals(op, log);
// Installed before `synced` is printed: the bench may signal as soon as it reads that line.
process.on('SIGUSR2', () => {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.(); gc?.();
  const m = process.memoryUsage();
  // Committed MB by V8 heap space (new space: the young generation, sized by allocation rate).
  const spaces = Object.fromEntries(getHeapSpaceStatistics().map((x) => [x.space_name.replace(/_space$/, ''), Math.round(x.space_size / 2 ** 20)]));
  process.stdout.write(`spaces ${JSON.stringify(spaces)}\n`);
  process.stdout.write(`memory ${m.rss} ${m.heapUsed} ${m.heapTotal} ${m.external} ${anonymousBytes()} ${JSON.stringify(op.runtime.cacheSizes())}\n`);
});
/** Resident anonymous memory (V8's heap, the allocator's, thread stacks); the rest of RSS is mapped files (the node binary). */
function anonymousBytes(): number {
  try {
    const kb = /^Anonymous:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/smaps_rollup', 'utf8'));
    return kb ? Number(kb[1]) * 1024 : -1;
  } catch {
    return -1;
  }
}
await op.runtime.waitForCacheSync();
process.stdout.write('synced\n');
// On SIGHUP (the bench's last request to a process): live heap each resource's cache holds, measured
// by emptying the caches one by one with a full GC before and after (destructive: the process is
// stopped next). Prints `bykind {"<plural>": [objects, bytes], ...}`.
process.on('SIGHUP', () => {
  const gc = (globalThis as { gc?: () => void }).gc!;
  const slots = (op.runtime as unknown as { informerSlots: Map<string, { informer?: { resource: { plural: string }; cache: Map<string, unknown> } }> }).informerSlots;
  const out: Record<string, [number, number]> = {};
  for (const s of slots.values()) {
    if (!s.informer) continue;
    gc(); gc();
    const before = process.memoryUsage().heapUsed;
    const n = s.informer.cache.size;
    s.informer.cache.clear();
    gc(); gc();
    out[s.informer.resource.plural] = [n, before - process.memoryUsage().heapUsed];
  }
  process.stdout.write(`bykind ${JSON.stringify(out)}\n`);
});
