/** What the request handlers and the in-process controllers share. */
import type { Logger } from 'pino';
import type { Registry } from './registry.js';
import type { Store } from './store.js';
import type { WatchHub } from './watch.js';

export interface ServerContext {
  registry: Registry;
  store: Store;
  hub: WatchHub;
  logger: Logger;
  /** Timers (pod grace periods, deferred controller work) cleared on close. */
  timers: Set<NodeJS.Timeout>;
}

export function later(ctx: ServerContext, ms: number, fn: () => void): void {
  const t = setTimeout(() => {
    ctx.timers.delete(t);
    try { fn(); } catch (err) { ctx.logger.error({ err }, 'background task failed'); }
  }, ms);
  t.unref();
  ctx.timers.add(t);
}

/** Runs controller work after the current request's writes, never letting its failure escape. */
export function defer(ctx: ServerContext, fn: () => void): void {
  setImmediate(() => {
    try { fn(); } catch (err) { ctx.logger.error({ err }, 'background task failed'); }
  });
}
