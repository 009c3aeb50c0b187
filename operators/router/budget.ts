/**
 * Synchronous budget admission. JavaScript runs one request's check-and-reserve without
 * interleaving, so concurrent requests cannot together pass a limit that each passes alone:
 * a request reserves its worst case before dispatch and settles to the real usage after.
 */
export interface Amount { tokens: number; costUSD: number }
export interface Limits { maxTokens?: number; maxCostUSD?: number }

interface Account {
  /** Total recorded in the LanePolicy status by every replica (only grows within a period). */
  committed: Amount;
  /** Taken for the status write in progress. */
  flushing: Amount;
  /** Settled here, not yet written. */
  local: Amount;
  reserved: Amount;
}

export type Admission = { ok: true; reservation: Reservation } | { ok: false; reason: string; key: string };

export interface Reservation { readonly keys: string[]; readonly amount: Amount; settled: boolean }

const zero = (): Amount => ({ tokens: 0, costUSD: 0 });
const add = (a: Amount, b: Amount): Amount => ({ tokens: a.tokens + b.tokens, costUSD: a.costUSD + b.costUSD });

export class BudgetLedger {
  private readonly accounts = new Map<string, Account>();

  private account(key: string): Account {
    let a = this.accounts.get(key);
    if (!a) {
      a = { committed: zero(), flushing: zero(), local: zero(), reserved: zero() };
      this.accounts.set(key, a);
    }
    return a;
  }

  /** Usage an account is charged with right now, reservations included. */
  used(key: string): Amount {
    const a = this.account(key);
    return {
      tokens: a.committed.tokens + a.flushing.tokens + a.local.tokens + a.reserved.tokens,
      costUSD: a.committed.costUSD + a.flushing.costUSD + a.local.costUSD + a.reserved.costUSD,
    };
  }

  /** Reserves `amount` on every account, or on none if any would go over its limit. */
  admit(checks: { key: string; limits: Limits; label: string }[], amount: Amount): Admission {
    for (const c of checks) {
      const u = this.used(c.key);
      if (c.limits.maxTokens !== undefined && u.tokens + amount.tokens > c.limits.maxTokens) {
        return { ok: false, key: c.key, reason: `${c.label} token budget exhausted: ${u.tokens} of ${c.limits.maxTokens} used or reserved, this request needs up to ${amount.tokens}` };
      }
      if (c.limits.maxCostUSD !== undefined && u.costUSD + amount.costUSD > c.limits.maxCostUSD + 1e-12) {
        return { ok: false, key: c.key, reason: `${c.label} cost budget exhausted: $${u.costUSD.toFixed(4)} of $${c.limits.maxCostUSD} used or reserved, this request may cost up to $${amount.costUSD.toFixed(4)}` };
      }
    }
    for (const c of checks) {
      const a = this.account(c.key);
      a.reserved = add(a.reserved, amount);
    }
    return { ok: true, reservation: { keys: checks.map((c) => c.key), amount, settled: false } };
  }

  /** Replaces the reservation by the real usage (zero when the request failed). Idempotent. */
  settle(r: Reservation, actual: Amount): void {
    if (r.settled) return;
    r.settled = true;
    for (const key of r.keys) {
      const a = this.account(key);
      a.reserved = { tokens: a.reserved.tokens - r.amount.tokens, costUSD: a.reserved.costUSD - r.amount.costUSD };
      a.local = add(a.local, actual);
    }
  }

  /** Starts a status write: what was settled here since the last one. */
  beginFlush(key: string): Amount {
    const a = this.account(key);
    a.flushing = add(a.flushing, a.local);
    a.local = zero();
    return a.flushing;
  }

  /** The write succeeded; `total` is what the status now says. */
  endFlush(key: string, total: Amount): void {
    const a = this.account(key);
    a.flushing = zero();
    this.observeCommitted(key, total);
  }

  /** The write failed: the usage is local again and goes out with the next one. */
  abortFlush(key: string): void {
    const a = this.account(key);
    a.local = add(a.local, a.flushing);
    a.flushing = zero();
  }

  /**
   * A total read from the API server (watch event, list, write response). Totals only grow
   * within a period, so the larger figure is the newer one: a late watch event never rolls back.
   */
  observeCommitted(key: string, total: Amount): void {
    const a = this.account(key);
    a.committed = { tokens: Math.max(a.committed.tokens, total.tokens), costUSD: Math.max(a.committed.costUSD, total.costUSD) };
  }

  /** A new budget period starts from nothing (requests in flight stay reserved). */
  reset(key: string): void {
    const a = this.account(key);
    a.committed = zero();
  }

  delete(key: string): void {
    this.accounts.delete(key);
  }
}
