// The operator in its own process, so the benchmark measures its RSS apart from the API server.
// Env: KUBECONFIG, NAMESPACES (comma-separated), RESYNC_MS, CONCURRENCY. Prints the metrics URL.
import { registerSlimImports } from '../../operators/cli/slim-imports.js';

// As bin/agentlab.js starts the compiled CLI: client-node's generated API stays out (slim-imports.ts).
registerSlimImports();
const { default: pino } = await import('pino');
const { loadKubeConfig } = await import('../../operators/cli/kubeconfig.js');
const { startOperator, stopOnSignals } = await import('../../operators/manager.js');

const kc = loadKubeConfig(process.env.KUBECONFIG);
const log = pino({ level: process.env.AGENTLAB_BENCH_LOG_LEVEL ?? 'warn' }, pino.destination(2));
const op = await startOperator({
  kubeConfig: kc, logger: log,
  controllers: ['modelserver'],
  namespaces: process.env.NAMESPACES ? process.env.NAMESPACES.split(',') : undefined,
  resyncPeriodMs: Number(process.env.RESYNC_MS ?? 600_000),
  maxConcurrentReconciles: Number(process.env.CONCURRENCY ?? 16),
  metricsPort: 0,
});
stopOnSignals(op, log);
// The benchmark asks for a full GC before it reads memory, to report live heap rather than garbage.
process.on('SIGUSR2', () => (globalThis as { gc?: () => void }).gc?.());
process.stdout.write(`metrics ${op.metricsUrl}\n`);
