// The operator (AgentRun controller only) in its own process for the AgentRun benchmark, so its
// CPU is its own. Env: KUBECONFIG, NAMESPACES (comma-separated), ROUTER_NAMESPACE, ROUTER_URL,
// CONCURRENCY (maxConcurrentReconciles, default 16).
// Prints "metrics <url>"; answers "cpu" on stdin with its CPU time in microseconds.
import { registerSlimImports } from '../../operators/cli/slim-imports.js';

// As bin/agentlab.js starts the compiled CLI: client-node's generated API stays out (slim-imports.ts).
registerSlimImports();
const { default: pino } = await import('pino');
const { loadKubeConfig } = await import('../../operators/cli/kubeconfig.js');
const { startOperator, stopOnSignals } = await import('../../operators/manager.js');
const { answerCpu } = await import('./bench-child.js');

const kc = loadKubeConfig(process.env.KUBECONFIG);
const log = pino({ level: process.env.AGENTLAB_BENCH_LOG_LEVEL ?? 'warn' }, pino.destination(2));
const op = await startOperator({
  kubeConfig: kc, logger: log,
  controllers: ['agentrun'],
  namespaces: process.env.NAMESPACES ? process.env.NAMESPACES.split(',') : undefined,
  router: { namespace: process.env.ROUTER_NAMESPACE ?? 'agentlab-system', podLabels: { 'app.kubernetes.io/name': 'agentlab-router' }, port: 8080 },
  routerUrl: process.env.ROUTER_URL,
  maxConcurrentReconciles: Number(process.env.CONCURRENCY ?? 16),
  metricsPort: 0,
});
stopOnSignals(op, log);
process.stdout.write(`metrics ${op.metricsUrl}\n`);
answerCpu();
