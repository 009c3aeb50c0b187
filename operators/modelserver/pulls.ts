import type { Logger } from 'pino';
import { backoffDelay } from '../runtime/backoff.js';
import { requireFiniteOptions, withDefaults } from '../runtime/options.js';
import type { PullState } from './models.js';
import { LIST_TIMEOUT_MS } from './serverapi.js';

/** The part of the ollama client a pull needs (an AbortableAsyncIterator of progress lines). */
export interface PullClient {
  pull(req: { model: string; stream: true }): Promise<AsyncIterable<{ status: string; completed?: number; total?: number }> & { abort(): void }>;
}

export interface PullManagerOptions {
  log: Logger;
  /** Called when a key's pull state changed enough to publish (throttled per key). */
  notify: (key: string) => void;
  /** Minimum interval between progress notifications per key (default 2 s). */
  progressIntervalMs?: number;
  /** Delay before the first retry of a failed pull; doubles per failure (default 2 s). */
  baseRetryMs?: number;
  /** The longest delay between two attempts of one pull (default 5 min). */
  maxRetryMs?: number;
  now?: () => number;
}

/** Defaults of the pull manager (docs/modelserver.md quotes them). */
export const PULL_DEFAULTS = { progressIntervalMs: 2000, baseRetryMs: 2000, maxRetryMs: 5 * 60_000, now: Date.now };

/**
 * Runs model pulls in the background so a multi-gigabyte download never holds a reconcile
 * worker. Reconciles ask for a pull with `ensure` (idempotent) and read `state`; the manager
 * requeues the key on progress (throttled), completion and failure. Failed pulls retry with
 * exponential backoff; Ollama resumes partial downloads, so a pull restarted after an operator
 * restart continues where it stopped.
 */
export class PullManager {
  private readonly states = new Map<string, PullState & { abort?: () => void }>();
  private readonly lastNotify = new Map<string, number>();
  private readonly o: typeof PULL_DEFAULTS & Omit<PullManagerOptions, keyof typeof PULL_DEFAULTS>;

  constructor(opts: PullManagerOptions) {
    // Options forwarded as `undefined` (the controller passes its own optional settings through)
    // keep their defaults: a NaN retry time would restart a failing pull at once, forever.
    this.o = withDefaults(PULL_DEFAULTS, opts);
    requireFiniteOptions('PullManager', this.o, ['progressIntervalMs', 'maxRetryMs']);
    requireFiniteOptions('PullManager', this.o, ['baseRetryMs'], 1);
  }

  state(key: string, model: string): PullState | undefined {
    return this.states.get(`${key}|${model}`);
  }

  /**
   * Starts a pull unless one is running, its retry time has not come, or it has just succeeded;
   * returns the state. A model reported missing less than LIST_TIMEOUT_MS after its pull
   * succeeded comes from a listing that started before the pull ended, not from a model that
   * went away: pulling it again would be a second request for nothing.
   */
  ensure(key: string, model: string, client: PullClient): PullState {
    const id = `${key}|${model}`;
    const existing = this.states.get(id);
    const now = this.o.now();
    if (existing?.running) return existing;
    if (existing?.nextAttemptAt && existing.nextAttemptAt > now) return existing;
    if (existing?.pulledAt !== undefined && now - existing.pulledAt < LIST_TIMEOUT_MS) return existing;
    const state: PullState & { abort?: () => void } = { model, running: true, percent: 0, status: 'starting', attempts: existing?.attempts ?? 0, lastError: existing?.lastError };
    this.states.set(id, state);
    void this.run(key, id, state, client);
    return state;
  }

  /** Drops finished states of a key (after all its models are present) and aborts its pulls. */
  forget(key: string, keepRunning = false): void {
    for (const [id, s] of this.states) {
      if (!id.startsWith(`${key}|`)) continue;
      if (s.running && keepRunning) continue;
      s.abort?.();
      this.states.delete(id);
    }
    if (!keepRunning) this.lastNotify.delete(key);
  }

  stop(): void {
    for (const s of this.states.values()) s.abort?.();
    this.states.clear();
  }

  private async run(key: string, id: string, state: PullState & { abort?: () => void }, client: PullClient): Promise<void> {
    const [namespace, name] = key.split('/');
    const log = this.o.log.child({ kind: 'ModelServer', namespace, name, model: state.model });
    try {
      log.info('pulling model');
      const stream = await client.pull({ model: state.model, stream: true });
      state.abort = () => stream.abort();
      for await (const p of stream) {
        if (this.states.get(id) !== state) return; // forgotten (deleted or stopped)
        state.status = p.status;
        if (p.total && p.completed !== undefined) state.percent = Math.min(100, Math.floor((100 * p.completed) / p.total));
        this.notify(key, false);
      }
      state.running = false;
      state.percent = 100;
      state.lastError = undefined;
      state.nextAttemptAt = undefined;
      state.pulledAt = this.o.now();
      log.info('model pulled');
    } catch (err) {
      if (this.states.get(id) !== state) return;
      state.running = false;
      state.attempts += 1;
      state.lastError = errorText(err);
      const delay = backoffDelay(state.attempts - 1, { baseMs: this.o.baseRetryMs, maxMs: this.o.maxRetryMs });
      state.nextAttemptAt = this.o.now() + delay;
      log.warn({ attempt: state.attempts, error: state.lastError, retryInMs: Math.round(delay) }, 'model pull failed; retrying after a backoff');
    }
    this.notify(key, true);
  }

  private notify(key: string, force: boolean): void {
    const now = this.o.now();
    const last = this.lastNotify.get(key);
    if (!force && last !== undefined && now - last < this.o.progressIntervalMs) return;
    this.lastNotify.set(key, now);
    this.o.notify(key);
  }
}

/** A short, single-line error text for status (never a stack, never a request body). */
export function errorText(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  const line = msg.split('\n')[0].trim();
  return line.length > 300 ? `${line.slice(0, 297)}...` : line;
}
