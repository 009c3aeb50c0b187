// The embedded API server alone in its own process, for BENCH_KUBECONFIG: a benchmark run against
// it has the server in one process and the node simulator, watchers and floor client in another,
// so that on a loaded machine each gets its own share of the cores (in one process they share one
// event loop). Run: npx tsx test/bench/apiserver-alone.ts /tmp/bench-kubeconfig.yaml; then
// BENCH_KUBECONFIG=/tmp/bench-kubeconfig.yaml npm run bench:agentrun. Stops on SIGINT/SIGTERM.
import { pino } from 'pino';
import { startApiServer } from '../../hack/apiserver/index.js';

const file = process.argv[2];
if (!file) {
  console.error('usage: npx tsx test/bench/apiserver-alone.ts <kubeconfig file to write>');
  process.exit(2);
}
const server = await startApiServer({ logger: pino({ level: 'warn' }, pino.destination(2)) });
await server.writeKubeconfig(file);
console.log(`API server at ${server.httpsUrl}; kubeconfig ${file}`);
const stop = () => void server.close().then(() => process.exit(0));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
