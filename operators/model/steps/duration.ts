/** Whole seconds of a duration like 1h30m, 10s, 500ms (rounded up, at least 1; the CRDs' patterns guarantee the form). */
export function durationSeconds(text: string): number {
  const units: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600 };
  let total = 0;
  for (const m of text.matchAll(/([0-9]+)(ms|s|m|h)/g)) total += Number(m[1]) * units[m[2]];
  return Math.max(1, Math.ceil(total));
}
