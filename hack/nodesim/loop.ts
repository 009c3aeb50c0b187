// The simulator's plumbing: a deduplicating work queue with one worker (and a pool for keys that
// are independent, such as pods) and per-key retry back-off, and informers that restart after
// errors and report when their first list landed.
import { makeInformer, type Informer, type KubeConfig, type KubernetesListObject, type KubernetesObject, type ObjectCache } from '@kubernetes/client-node';
import type { Logger } from 'pino';

export type Cache<T extends KubernetesObject> = Informer<T> & ObjectCache<T>;

function statusOf(err: unknown): number | undefined {
  const e = err as { code?: unknown; statusCode?: unknown };
  return typeof e?.code === 'number' ? e.code : typeof e?.statusCode === 'number' ? e.statusCode : undefined;
}

/** Retry delay after the n-th consecutive failure of a key: 400 ms doubling, capped at 10 s. */
export function retryDelayMs(failures: number): number {
  return Math.min(200 * 2 ** failures, 10_000);
}

export interface WorkQueueOptions {
  /**
   * Keys handled by a pool of workers instead of the one serial worker, each key by one worker at
   * a time (a kubelet's per-pod workers, so that a thousand pods do not start one after another).
   */
  parallel?: (key: string) => boolean;
  /** Workers of the pool (default 16). */
  workers?: number;
}

/**
 * One worker, so decisions never race each other, and optionally a pool for keys that are
 * independent of each other (`parallel`); keys queued twice are handled once.
 */
export class WorkQueue {
  private readonly queue = new Set<string>();
  /** Keys for the pool, and those a pool worker is handling (queued again meanwhile: handled after). */
  private readonly pooled = new Set<string>();
  private readonly inFlight = new Map<string, Promise<void>>();
  private readonly failures = new Map<string, number>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private wake: (() => void) | undefined;
  private stopped = false;
  private started = false;
  private loop: Promise<void> | undefined;

  constructor(private readonly handle: (key: string) => Promise<void>, private readonly log: Logger, private readonly opts: WorkQueueOptions = {}) {}

  enqueue(key: string): void {
    if (this.stopped) return;
    if (this.opts.parallel?.(key)) {
      this.pooled.add(key);
      this.pump();
      return;
    }
    this.queue.add(key);
    this.wake?.();
  }

  /** Runs `fn` after `ms` unless the queue stopped first. */
  later(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      if (!this.stopped) fn();
    }, ms);
    this.timers.add(t);
  }

  start(): void {
    this.started = true;
    this.loop ??= this.work();
    this.pump();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.wake?.();
    await this.loop;
    await Promise.all(this.inFlight.values());
  }

  /** True when nothing is queued (used by tests to wait for quiet). */
  idle(): boolean {
    return this.queue.size === 0 && this.pooled.size === 0;
  }

  /** Starts pooled keys that no worker is handling, while workers are free. */
  private pump(): void {
    if (!this.started || this.stopped) return;
    const workers = this.opts.workers ?? 16;
    for (const key of this.pooled) {
      if (this.inFlight.size >= workers) return;
      if (this.inFlight.has(key)) continue;
      this.pooled.delete(key);
      this.inFlight.set(key, this.run(key).finally(() => {
        this.inFlight.delete(key);
        this.pump();
      }));
    }
  }

  /** Handles one key; a failure is retried with back-off. */
  private async run(key: string): Promise<void> {
    try {
      await this.handle(key);
      this.failures.delete(key);
    } catch (err) {
      if (this.stopped) return;
      const n = (this.failures.get(key) ?? 0) + 1;
      this.failures.set(key, n);
      const code = statusOf(err);
      // Conflicts are ordinary under concurrency; anything else is worth a warning.
      this.log[code === 409 ? 'debug' : 'warn']({ key, code, err: String((err as { body?: unknown }).body ?? err) }, 'sync failed; will retry');
      this.later(retryDelayMs(n), () => this.enqueue(key));
    }
  }

  private async work(): Promise<void> {
    while (!this.stopped) {
      const next = this.queue.values().next();
      if (next.done) {
        await new Promise<void>((resolve) => (this.wake = resolve));
        this.wake = undefined;
        continue;
      }
      const key = next.value;
      this.queue.delete(key);
      await this.run(key);
    }
  }
}

/**
 * Builds and wires an informer: change callbacks, restart with back-off after errors
 * (client-node's ListWatch stops on any error but 410 Gone, which it handles by relisting), and
 * `onSynced` once the first list has filled the cache.
 */
export function watchInformer<T extends KubernetesObject>(
  kubeConfig: KubeConfig,
  path: string,
  list: () => Promise<KubernetesListObject<T>>,
  opts: {
    name: string;
    log: Logger;
    queue: WorkQueue;
    stopped: () => boolean;
    onChange: (o: T) => void;
    onDelete?: (o: T) => void;
    onSynced: () => void;
  },
): Cache<T> {
  let synced = false;
  let backoff = 500;
  const informer = makeInformer<T>(kubeConfig, path, async () => {
    const result = await list();
    // ListWatch adds the items right after this promise settles; report once they are in.
    setImmediate(() => {
      backoff = 500;
      if (!synced && !opts.stopped()) {
        synced = true;
        opts.onSynced();
      }
    });
    return result;
  });
  informer.on('add', opts.onChange);
  informer.on('update', opts.onChange);
  informer.on('delete', opts.onDelete ?? opts.onChange);
  informer.on('error', (err: unknown) => {
    if (opts.stopped()) return;
    opts.log.warn({ informer: opts.name, err: String(err) }, 'watch failed; restarting');
    opts.queue.later(backoff, () => void informer.start().catch(() => undefined));
    backoff = Math.min(backoff * 2, 10_000);
  });
  return informer;
}
