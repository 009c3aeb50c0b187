import type { BudgetPeriod } from './spec.js';

/** Start of the budget period containing `now`, in UTC (weeks start on Monday, ISO 8601). */
export function periodStart(period: BudgetPeriod, now: Date): string {
  const y = now.getUTCFullYear();
  const m = now.getUTCMonth();
  const d = now.getUTCDate();
  let start: Date;
  if (period === 'Daily') start = new Date(Date.UTC(y, m, d));
  else if (period === 'Weekly') start = new Date(Date.UTC(y, m, d - ((now.getUTCDay() + 6) % 7)));
  else start = new Date(Date.UTC(y, m, 1));
  return start.toISOString().replace('.000Z', 'Z');
}
