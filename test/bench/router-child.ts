// The lane router in its own process for the router benchmark (one event loop, like one pod).
// Env: KUBECONFIG, LANE_SELECTOR, ROUTER_NAMESPACE, BENCH_ROUTER_LOG (pino level; lines go to /dev/null). Prints "url <url>".
import { KubeConfig } from '@kubernetes/client-node';
import pino from 'pino';
import { startRouter } from '../../operators/router/server.js';

const kc = new KubeConfig();
kc.loadFromFile(process.env.KUBECONFIG ?? '');
// Request logging stays on (it is part of the per-request cost) but goes nowhere.
const log = pino({ level: process.env.BENCH_ROUTER_LOG ?? 'info' }, pino.destination({ dest: '/dev/null', sync: false }));
const router = await startRouter({ kubeConfig: kc, logger: log, laneSelector: process.env.LANE_SELECTOR, namespace: process.env.ROUTER_NAMESPACE, defaultMaxTokens: 256 });
process.stdout.write(`url ${router.url}\n`);
const stop = () => void router.stop().then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
