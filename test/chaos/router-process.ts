// The lane router in its own process for the soak run, so its RSS and heap are its own: the
// router's metrics plus Node's default process metrics. Env: KUBECONFIG, LANE_SELECTOR,
// ROUTER_NAMESPACE. Prints `started <router URL> <metrics URL>`.
import { KubeConfig } from '@kubernetes/client-node';
import pino from 'pino';
import prom from 'prom-client';
import { serveHttp } from '../../operators/runtime/http.js';
import { startRouter } from '../../operators/router/server.js';

const kc = new KubeConfig();
kc.loadFromFile(process.env.KUBECONFIG ?? '');
const router = await startRouter({ kubeConfig: kc, logger: pino({ level: 'silent' }), laneSelector: process.env.LANE_SELECTOR, namespace: process.env.ROUTER_NAMESPACE, flushIntervalMs: 1000 });
prom.collectDefaultMetrics({ register: router.registry });
const metrics = await serveHttp({ port: 0, registry: router.registry });
process.stdout.write(`started ${router.url} ${metrics.url}\n`);
const stop = () => void router.stop().then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
