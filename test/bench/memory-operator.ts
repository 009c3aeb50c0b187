// The operator (every controller) in its own process for test/bench/memory.bench.ts, compiled
// like the image. Env: KUBECONFIG, LEASE_NAMESPACE. It stands by behind a Lease another identity
// holds, so its informers fill every cache while no reconcile writes. Prints `synced` once the
// caches are filled; on SIGUSR2 it runs a full GC and prints `memory <rss> <heapUsed> <heapTotal> <external> <objects cached per resource, JSON>`.
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
  process.stdout.write(`memory ${m.rss} ${m.heapUsed} ${m.heapTotal} ${m.external} ${JSON.stringify(op.runtime.cacheSizes())}\n`);
});
await op.runtime.waitForCacheSync();
process.stdout.write('synced\n');
