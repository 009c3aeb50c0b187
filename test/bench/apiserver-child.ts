// The embedded API server alone in its own process, so the benchmark's memory figures are the
// server's and not the load generator's. Started by apiserver.bench.ts through fork(); it sends
// { url, token } once listening and answers { type: 'memory' } with process.memoryUsage()
// taken after a full garbage collection (run with --expose-gc), { type: 'cpu' } with
// process.cpuUsage() (user + system microseconds), so the benchmark can report CPU per operation,
// { type: 'clock' } with this process's clock (to line it up with the benchmark's), and
// { type: 'commits' } with when each watch event was committed and handed to the last socket
// (and the garbage collector's pauses).
import { PerformanceObserver, performance } from 'node:perf_hooks';
import { pino } from 'pino';
import { startApiServer } from '../../hack/apiserver/index.js';
import { WatchHub } from '../../hack/apiserver/watch.js';

const send = (msg: unknown): void => {
  process.send?.(msg);
};
/** Milliseconds since the epoch with sub-millisecond resolution, comparable between processes on one machine. */
const clock = (): number => performance.timeOrigin + performance.now();

// Timing of each published event, by resourceVersion: `commit` when the store hands it to the watch
// hub (the write is committed), `fannedOut` when the last watcher's socket write returned. Measuring
// only: the wrapped publish does exactly what it did.
const commits = new Map<number, { commit: number; fannedOut: number }>();
const publish = WatchHub.prototype.publish;
WatchHub.prototype.publish = function timedPublish(this: WatchHub, ev) {
  const commit = clock();
  publish.call(this, ev);
  commits.set(ev.entry.rv, { commit, fannedOut: clock() });
};
// Garbage collection pauses, so that a slow event can be told apart from a collection.
const gcPauses: Array<{ at: number; ms: number }> = [];
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) gcPauses.push({ at: performance.timeOrigin + e.startTime, ms: e.duration });
}).observe({ entryTypes: ['gc'] });

const server = await startApiServer({ host: '127.0.0.1', port: 0, logger: pino({ level: 'silent' }) });
process.on('message', (msg: { type?: string; rvs?: number[] }) => {
  if (msg?.type === 'memory') {
    const gc = (globalThis as { gc?: () => void }).gc;
    gc?.();
    gc?.();
    send({ type: 'memory', usage: process.memoryUsage(), gcAvailable: Boolean(gc) });
  } else if (msg?.type === 'cpu') {
    send({ type: 'cpu', usage: process.cpuUsage() });
  } else if (msg?.type === 'clock') {
    send({ type: 'clock', now: clock() });
  } else if (msg?.type === 'commits') {
    send({ type: 'commits', commits: (msg.rvs ?? []).map((rv) => commits.get(rv) ?? null), gcPauses });
  } else if (msg?.type === 'stop') {
    void server.close().then(() => process.exit(0));
  }
});
process.on('disconnect', () => {
  void server.close().then(() => process.exit(0));
});
send({ type: 'ready', url: server.url, token: server.token });
