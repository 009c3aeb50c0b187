import { backoffDelay } from './backoff.js';

/** Hooks the queue calls so metrics stay outside the data structure. */
export interface QueueMetrics {
  depth(n: number): void;
  added(): void;
  retried(): void;
  /** Seconds an item waited between being added and being handed to a worker. */
  queued(seconds: number): void;
  /** Seconds a worker held an item. */
  worked(seconds: number): void;
}

export interface WorkQueueOptions {
  /** Per-key exponential backoff for addRateLimited. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Overall limit for retries (token bucket), as in client-go's default controller rate limiter. */
  retryQps?: number;
  retryBurst?: number;
  random?: () => number;
  now?: () => number;
  metrics?: QueueMetrics;
}

/**
 * A work queue with client-go's semantics: a key is queued at most once (dedup), a key being
 * processed is never handed to a second worker (if re-added meanwhile it is queued again when
 * done), delayed adds keep only the earliest deadline, and failed keys back off per key.
 */
export class WorkQueue {
  private readonly queue: string[] = [];
  private readonly dirty = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly addedAt = new Map<string, number>();
  private readonly startedAt = new Map<string, number>();
  private readonly waiting = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  private readonly failures = new Map<string, number>();
  private readonly getters: ((key: string | undefined) => void)[] = [];
  private shuttingDown = false;
  private tokens: number;
  private tokensAt: number;
  private readonly opts: Required<Omit<WorkQueueOptions, 'metrics'>> & { metrics?: QueueMetrics };

  constructor(opts: WorkQueueOptions = {}) {
    this.opts = {
      baseDelayMs: opts.baseDelayMs ?? 5,
      maxDelayMs: opts.maxDelayMs ?? 1000 * 60 * 5,
      retryQps: opts.retryQps ?? 10,
      retryBurst: opts.retryBurst ?? 100,
      random: opts.random ?? Math.random,
      now: opts.now ?? Date.now,
      metrics: opts.metrics,
    };
    this.tokens = this.opts.retryBurst;
    this.tokensAt = this.opts.now();
  }

  get length(): number {
    return this.queue.length;
  }

  /** Keys queued, in flight or waiting for a delayed add. */
  pending(): number {
    return this.queue.length + this.processing.size + this.waiting.size;
  }

  add(key: string): void {
    if (this.shuttingDown || this.dirty.has(key)) return;
    this.opts.metrics?.added();
    this.dirty.add(key);
    this.addedAt.set(key, this.opts.now());
    if (this.processing.has(key)) return;
    const getter = this.getters.shift();
    if (getter) this.handOut(key, getter);
    else {
      this.queue.push(key);
      this.opts.metrics?.depth(this.queue.length);
    }
  }

  /** Adds the key after `ms`; an earlier pending deadline for the same key wins. */
  addAfter(key: string, requestedMs: number): void {
    if (this.shuttingDown) return;
    const ms = timerDelay(requestedMs);
    if (ms <= 0) return this.add(key);
    const at = this.opts.now() + ms;
    const existing = this.waiting.get(key);
    if (existing && existing.at <= at) return;
    if (existing) clearTimeout(existing.timer);
    const timer = setTimeout(() => {
      this.waiting.delete(key);
      this.add(key);
    }, ms);
    timer.unref?.();
    this.waiting.set(key, { at, timer });
  }

  /** Re-adds a failed key after its per-key backoff (and the overall retry rate limit). */
  addRateLimited(key: string): number {
    const n = this.failures.get(key) ?? 0;
    this.failures.set(key, n + 1);
    this.opts.metrics?.retried();
    const delay = Math.max(
      backoffDelay(n, { baseMs: this.opts.baseDelayMs, maxMs: this.opts.maxDelayMs, random: this.opts.random }),
      this.bucketDelay(),
    );
    this.addAfter(key, delay);
    return delay;
  }

  /** How many times the key failed since it was last forgotten. */
  retries(key: string): number {
    return this.failures.get(key) ?? 0;
  }

  /** Stops tracking failures for the key (call after a successful reconcile). */
  forget(key: string): void {
    this.failures.delete(key);
  }

  /** Resolves with the next key, or undefined once the queue shuts down and is drained. */
  get(): Promise<string | undefined> {
    const key = this.queue.shift();
    if (key !== undefined) {
      this.opts.metrics?.depth(this.queue.length);
      return new Promise((resolve) => this.handOut(key, resolve));
    }
    if (this.shuttingDown) return Promise.resolve(undefined);
    return new Promise((resolve) => this.getters.push(resolve));
  }

  /** Marks the key's processing finished; a re-add that arrived meanwhile is queued now. */
  done(key: string): void {
    this.processing.delete(key);
    const started = this.startedAt.get(key);
    if (started !== undefined) this.opts.metrics?.worked((this.opts.now() - started) / 1000);
    this.startedAt.delete(key);
    if (this.dirty.has(key)) {
      const getter = this.getters.shift();
      if (getter) this.handOut(key, getter);
      else {
        this.queue.push(key);
        this.opts.metrics?.depth(this.queue.length);
      }
    }
  }

  /** Refuses new keys and drops delayed ones; workers drain what is already queued. */
  shutDown(): void {
    this.shuttingDown = true;
    for (const w of this.waiting.values()) clearTimeout(w.timer);
    this.waiting.clear();
    for (const g of this.getters.splice(0)) g(undefined);
  }

  /** Shuts down without draining: queued keys are dropped, in-flight ones may finish. */
  shutDownNow(): void {
    this.queue.length = 0;
    this.dirty.clear();
    this.shutDown();
  }

  isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  private handOut(key: string, to: (key: string | undefined) => void): void {
    this.dirty.delete(key);
    this.processing.add(key);
    const now = this.opts.now();
    const added = this.addedAt.get(key);
    if (added !== undefined) this.opts.metrics?.queued((now - added) / 1000);
    this.addedAt.delete(key);
    this.startedAt.set(key, now);
    to(key);
  }

  private bucketDelay(): number {
    const now = this.opts.now();
    this.tokens = Math.min(this.opts.retryBurst, this.tokens + ((now - this.tokensAt) / 1000) * this.opts.retryQps);
    this.tokensAt = now;
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : (-this.tokens / this.opts.retryQps) * 1000;
  }
}

/** Node's timers hold at most 2^31-1 ms (about 24.8 days); a longer delay would fire after 1 ms. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * The delay a timer can honour: longer ones (a deadline weeks away), Infinity and NaN become the
 * longest timer, so a controller asking for a far requeue waits (and the periodic resync still
 * reconciles the key) instead of spinning on a timer that overflowed to 1 ms.
 */
export function timerDelay(ms: number): number {
  if (Number.isNaN(ms) || ms > MAX_TIMER_MS) return MAX_TIMER_MS;
  return ms;
}
