// The operator (Flow controller only) in its own process for the Flow benchmark, so its CPU is
// its own. Env: KUBECONFIG, NAMESPACES (comma-separated). Prints "metrics <url>"; answers "cpu"
// on stdin with its CPU time in microseconds.
import { KubeConfig } from '@kubernetes/client-node';
import pino from 'pino';
import { startOperator, stopOnSignals } from '../../operators/manager.js';
import { answerCpu } from './bench-child.js';

const kc = new KubeConfig();
kc.loadFromFile(process.env.KUBECONFIG ?? '');
const log = pino({ level: process.env.AGENTLAB_BENCH_LOG_LEVEL ?? 'warn' }, pino.destination(2));
const op = await startOperator({
  kubeConfig: kc, logger: log,
  controllers: ['flow'],
  namespaces: process.env.NAMESPACES ? process.env.NAMESPACES.split(',') : undefined,
  metricsPort: 0,
});
stopOnSignals(op, log);
process.stdout.write(`metrics ${op.metricsUrl}\n`);
answerCpu();
