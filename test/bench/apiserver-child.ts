// The embedded API server alone in its own process, so the benchmark's memory figures are the
// server's and not the load generator's. Started by apiserver.bench.ts through fork(); it sends
// { url, token } once listening and answers { type: 'memory' } with process.memoryUsage()
// taken after a full garbage collection (run with --expose-gc), and { type: 'cpu' } with
// process.cpuUsage() (user + system microseconds), so the benchmark can report CPU per operation.
import { pino } from 'pino';
import { startApiServer } from '../../hack/apiserver/index.js';

const send = (msg: unknown): void => {
  process.send?.(msg);
};

const server = await startApiServer({ host: '127.0.0.1', port: 0, logger: pino({ level: 'silent' }) });
process.on('message', (msg: { type?: string }) => {
  if (msg?.type === 'memory') {
    const gc = (globalThis as { gc?: () => void }).gc;
    gc?.();
    gc?.();
    send({ type: 'memory', usage: process.memoryUsage(), gcAvailable: Boolean(gc) });
  } else if (msg?.type === 'cpu') {
    send({ type: 'cpu', usage: process.cpuUsage() });
  } else if (msg?.type === 'stop') {
    void server.close().then(() => process.exit(0));
  }
});
process.on('disconnect', () => {
  void server.close().then(() => process.exit(0));
});
send({ type: 'ready', url: server.url, token: server.token });
