// Reading a process's Prometheus metrics in a benchmark: counters summed by name prefix.
export type Metrics = Map<string, number>;

export async function scrape(url: string): Promise<Metrics> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const out: Metrics = new Map();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const i = line.lastIndexOf(' ');
    out.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return out;
}

export function sum(m: Metrics, prefix: string, filter: (k: string) => boolean = () => true): number {
  let s = 0;
  for (const [k, v] of m) if (k.startsWith(prefix) && filter(k)) s += v;
  return s;
}

/** API requests other than GET (creates, applies, updates, patches, deletes). */
export const writes = (m: Metrics) => sum(m, 'rest_client_requests_total', (k) => !k.includes('method="GET"'));
export const reads = (m: Metrics) => sum(m, 'rest_client_requests_total', (k) => k.includes('method="GET"'));

/** CPU seconds (user + system) this process has used. */
export const ownCpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1e6; };

/** The p-th percentile of `xs` (nearest rank). */
export function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}
