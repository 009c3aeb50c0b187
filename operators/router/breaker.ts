/**
 * Per-provider circuit breaker: after `threshold` consecutive failures the provider is skipped
 * for `openMs`; then one trial request is let through (half-open) and its outcome decides.
 */
export interface BreakerOptions { threshold: number; openMs: number }
export const DEFAULT_BREAKER: BreakerOptions = { threshold: 5, openMs: 30_000 };

export type BreakerState = 'closed' | 'open' | 'half-open';

interface Entry { failures: number; openedAt?: number; trialInFlight: boolean }

export class CircuitBreakers {
  private readonly entries = new Map<string, Entry>();
  constructor(private readonly opts: BreakerOptions = DEFAULT_BREAKER, private readonly now: () => number = Date.now) {}

  state(key: string): BreakerState {
    const e = this.entries.get(key);
    if (!e || e.openedAt === undefined) return 'closed';
    return this.now() - e.openedAt >= this.opts.openMs ? 'half-open' : 'open';
  }

  /** True when a request may go to this provider now; claims the half-open trial slot. */
  tryAcquire(key: string): boolean {
    const s = this.state(key);
    if (s === 'closed') return true;
    if (s === 'open') return false;
    const e = this.entries.get(key)!;
    if (e.trialInFlight) return false;
    e.trialInFlight = true;
    return true;
  }

  success(key: string): void {
    this.entries.delete(key);
  }

  failure(key: string): void {
    const e = this.entries.get(key) ?? { failures: 0, trialInFlight: false };
    e.failures += 1;
    if (e.trialInFlight || e.failures >= this.opts.threshold) e.openedAt = this.now();
    e.trialInFlight = false;
    this.entries.set(key, e);
  }

  /** A request that claimed a slot but ended without a verdict (caller went away). */
  release(key: string): void {
    const e = this.entries.get(key);
    if (e) e.trialInFlight = false;
  }
}
