/**
 * Exponential backoff with full jitter ("decorrelated" enough for a handful of replicas):
 * attempt n waits a random duration in [cap/2, cap] where cap = min(max, base * 2^n).
 * Half-jitter keeps the delay from collapsing to ~0 while still spreading retries.
 */
export interface BackoffOptions {
  baseMs: number;
  maxMs: number;
  /** Returns a number in [0, 1); injectable so tests are deterministic. */
  random?: () => number;
}

export function backoffDelay(attempt: number, opts: BackoffOptions): number {
  const cap = Math.min(opts.maxMs, opts.baseMs * 2 ** Math.min(attempt, 30));
  const r = (opts.random ?? Math.random)();
  return cap / 2 + (cap / 2) * r;
}

export class Backoff {
  private attempt = 0;
  constructor(private readonly opts: BackoffOptions) {}
  next(): number {
    return backoffDelay(this.attempt++, this.opts);
  }
  reset(): void {
    this.attempt = 0;
  }
}
