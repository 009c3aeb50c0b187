import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { BudgetLedger } from './budget.js';

describe('BudgetLedger', () => {
  it('never admits past a limit, whatever the order of admits and settles', () => {
    fc.assert(fc.property(
      fc.integer({ min: 0, max: 1000 }),
      fc.array(fc.record({ want: fc.integer({ min: 1, max: 200 }), use: fc.integer({ min: 0, max: 200 }) }), { maxLength: 60 }),
      (limit, reqs) => {
        const l = new BudgetLedger();
        const open = [];
        for (const r of reqs) {
          const a = l.admit([{ key: 'lane', limits: { maxTokens: limit }, label: 'lane' }], { tokens: r.want, costUSD: 0 });
          if (a.ok) open.push({ res: a.reservation, use: Math.min(r.use, r.want) });
          expect(l.used('lane').tokens).toBeLessThanOrEqual(limit);
          if (open.length > 3) {
            const o = open.shift()!;
            l.settle(o.res, { tokens: o.use, costUSD: 0 });
          }
        }
        for (const o of open) l.settle(o.res, { tokens: o.use, costUSD: 0 });
        expect(l.used('lane').tokens).toBeLessThanOrEqual(limit);
      },
    ));
  });

  it('checks every account and reserves on none when one refuses', () => {
    const l = new BudgetLedger();
    const checks = [
      { key: 'lane', limits: { maxCostUSD: 1 }, label: 'lane private' },
      { key: 'run', limits: { maxTokens: 100 }, label: 'run ns/r' },
    ];
    const a = l.admit(checks, { tokens: 150, costUSD: 0.1 });
    expect(a).toEqual({ ok: false, key: 'run', reason: 'run ns/r token budget exhausted: 0 of 100 used or reserved, this request needs up to 150' });
    expect(l.used('lane')).toEqual({ tokens: 0, costUSD: 0 });
  });

  it('settles once and releases the reservation', () => {
    const l = new BudgetLedger();
    const a = l.admit([{ key: 'k', limits: {}, label: 'k' }], { tokens: 100, costUSD: 1 });
    if (!a.ok) throw new Error('refused');
    l.settle(a.reservation, { tokens: 10, costUSD: 0.1 });
    l.settle(a.reservation, { tokens: 10, costUSD: 0.1 });
    expect(l.used('k')).toEqual({ tokens: 10, costUSD: 0.1 });
  });

  it('flushes settled usage and takes the larger of concurrent totals', () => {
    const l = new BudgetLedger();
    const a = l.admit([{ key: 'k', limits: {}, label: 'k' }], { tokens: 50, costUSD: 0 });
    if (!a.ok) throw new Error('refused');
    l.settle(a.reservation, { tokens: 20, costUSD: 0 });
    expect(l.beginFlush('k')).toEqual({ tokens: 20, costUSD: 0 });
    l.abortFlush('k');
    expect(l.used('k').tokens).toBe(20);
    l.beginFlush('k');
    l.observeCommitted('k', { tokens: 5, costUSD: 0 }); // another replica's write, seen by watch
    expect(l.used('k').tokens).toBe(25);
    l.endFlush('k', { tokens: 25, costUSD: 0 });
    l.observeCommitted('k', { tokens: 5, costUSD: 0 }); // a late event never rolls back
    expect(l.used('k').tokens).toBe(25);
    l.reset('k');
    expect(l.used('k').tokens).toBe(0);
  });
});
