// The lane router in its own process for the router benchmark (one event loop, like one pod).
// Env: KUBECONFIG, LANE_SELECTOR, ROUTER_NAMESPACE, BENCH_ROUTER_LOG (pino level; lines go to /dev/null,
// or to BENCH_ROUTER_LOG_FILE when set, to read the router's own ttftMs/durationMs per request).
// Prints "url <url>" and "metrics <url>"; answers "cpu" on stdin with its CPU time, "gc" with its GC pauses so far (bench-gc.ts);
// "profile start" / "profile stop <file>" take a V8 CPU profile of what runs in between (bench-profile.ts).
import { KubeConfig } from '@kubernetes/client-node';
import readline from 'node:readline';
import { countGc } from './bench-gc.js';
import { profileCommand } from './bench-profile.js';
import pino from 'pino';
import { serveHttp } from '../../operators/runtime/http.js';
import { startRouter } from '../../operators/router/server.js';
import { routerLogDestination } from '../../operators/router/log-destination.js';

const kc = new KubeConfig();
kc.loadFromFile(process.env.KUBECONFIG ?? '');
// Request logging stays on (it is part of the per-request cost), written as `agentlab router` writes it, but goes nowhere.
const log = pino({ level: process.env.BENCH_ROUTER_LOG ?? 'info' }, routerLogDestination(process.env.BENCH_ROUTER_LOG_FILE ?? '/dev/null'));
const router = await startRouter({ kubeConfig: kc, logger: log, laneSelector: process.env.LANE_SELECTOR, namespace: process.env.ROUTER_NAMESPACE, defaultMaxTokens: 256 });
process.stdout.write(`url ${router.url}\n`);
// Its metrics, served as `agentlab router --metrics-bind-address` serves them (usage writes for the AgentRun benchmark).
const metrics = await serveHttp({ port: 0, registry: router.registry });
process.stdout.write(`metrics ${metrics.url}\n`);
// "cpu" on stdin -> "cpu <user+system microseconds>" on stdout: the router's own CPU, apart from the load generator's.
const gc = countGc();
readline.createInterface({ input: process.stdin }).on('line', (line) => {
  if (profileCommand(line.trim())) return;
  if (line.trim() === 'gc') process.stdout.write(`gc ${JSON.stringify(gc())}\n`);
  else if (line.trim() === 'cpu') {
    const u = process.cpuUsage();
    process.stdout.write(`cpu ${u.user + u.system}\n`);
  }
});
const stop = () => void router.stop().then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
