// Ratios measured round by round: in the router benchmark each round runs every side once, one
// after another, so a router/proxy ratio from one round compares turns seconds apart. The median
// of the rounds' ratios and its spread say what a ratio of the totals cannot: how far one
// measurement of the same builds wanders (unpinned, an A/A pair read 22-48 % apart).

export interface RoundRatios {
  median: number;
  /** The lower and upper quartiles of the rounds' ratios (nearest rank). */
  q1: number;
  q3: number;
  rounds: number;
}

/** `a[i] / b[i]` for each round with both figures above zero, summarised. Pure. */
export function roundRatios(a: readonly number[], b: readonly number[]): RoundRatios | undefined {
  const rs = a.map((x, i) => x / b[i]).filter((r, i) => a[i] > 0 && b[i] > 0 && Number.isFinite(r)).sort((x, y) => x - y);
  if (rs.length === 0) return undefined;
  const at = (p: number) => rs[Math.min(rs.length - 1, Math.max(0, Math.ceil(p * rs.length) - 1))];
  const mid = rs.length / 2;
  const median = rs.length % 2 === 1 ? rs[Math.floor(mid)] : (rs[mid - 1] + rs[mid]) / 2;
  return { median, q1: at(0.25), q3: at(0.75), rounds: rs.length };
}

/** "1.32x (quartiles 1.28-1.37x, 16 rounds)", or "n/a". */
export function formatRoundRatios(r: RoundRatios | undefined): string {
  if (!r) return 'n/a';
  return `${r.median.toFixed(2)}x (quartiles ${r.q1.toFixed(2)}-${r.q3.toFixed(2)}x, ${r.rounds} rounds)`;
}
