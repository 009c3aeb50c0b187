const BINARY: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
const DECIMAL: Record<string, number> = { n: 1e-9, u: 1e-6, m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 };

/**
 * Parses a Kubernetes resource quantity ("12Gi", "500m", "1e3", 4) into base units.
 * Throws a clear error for anything resource.Quantity would reject.
 */
export function parseQuantity(q: string | number): number {
  if (typeof q === 'number') {
    if (!Number.isFinite(q)) throw new Error(`invalid quantity ${q}`);
    return q;
  }
  const m = /^([+-]?(?:\d+(?:\.\d*)?|\.\d+))(?:(Ki|Mi|Gi|Ti|Pi|Ei)|([numkMGTPE]?)|[eE]([+-]?\d+))$/.exec(q.trim());
  if (!m) throw new Error(`invalid quantity "${q}": expected a number with an optional suffix such as Gi, Mi, m or k`);
  const n = Number(m[1]);
  if (m[2]) return n * BINARY[m[2]];
  if (m[4] !== undefined) return n * 10 ** Number(m[4]);
  return n * DECIMAL[m[3] ?? ''];
}

/** Formats bytes for people: 12 GiB, 512 MiB (binary units, at most one decimal). */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let v = bytes;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
  const text = Number.isInteger(v) ? String(v) : v.toFixed(1).replace(/\.0$/, '');
  return `${text} ${units[i]}`;
}
