// The table every cluster benchmark prints, the same on every backend: one row a figure, the
// operator's value, the floor's (a plain client doing the same work), and operator / floor.
export type Row = [figure: string, operator: string, floor: string, ratio: string];

export function printTable(rows: Row[], heads: Row = ['figure', 'operator', 'floor', 'operator / floor']): void {
  const w = [0, 1, 2].map((i) => Math.max(...[heads, ...rows].map((r) => r[i].length)));
  const line = (r: Row) => `${r[0].padEnd(w[0])} | ${r[1].padEnd(w[1])} | ${r[2].padEnd(w[2])} | ${r[3]}`.trimEnd();
  console.log(`\n${line(heads)}`);
  console.log(`${'-'.repeat(w[0])}-|-${'-'.repeat(w[1])}-|-${'-'.repeat(w[2])}-|-${'-'.repeat(heads[3].length)}`);
  for (const r of rows) console.log(line(r));
}

/** `a / b` as "1.23x". */
export const ratio = (a: number, b: number): string => `${(a / b).toFixed(2)}x`;
