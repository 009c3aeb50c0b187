// The figures of a chaos run, computed by pure functions from what the API server, the watches
// and the fake model saw, and printed as a table.
import type { SeenObject } from './recorder.js';
import type { WorkItem } from './workload.js';

export interface Figure { name: string; value: string | number; expected: string | number; ok: boolean; detail?: string }

/** Resources that reached the outcome they reach without faults. */
export function convergence(items: WorkItem[], outcomes: Map<WorkItem, string | undefined>, why = new Map<WorkItem, string>()): Figure {
  const off = items.filter((w) => outcomes.get(w) !== w.expected);
  return {
    name: 'resources converged to their fault-free outcome', value: items.length - off.length, expected: items.length, ok: off.length === 0,
    detail: off.map((w) => `${w.kind} ${w.name}: ${outcomes.get(w) ?? 'none'} (expected ${w.expected}; ${why.get(w) ?? ''})`).join('; ') || undefined,
  };
}

/**
 * Children created twice: the same name under the same controller owner with more than one UID
 * (a child deleted and created again, or created twice). `kind` names the collection.
 */
export function duplicateChildren(kind: string, seen: SeenObject[]): Figure {
  const byName = new Map<string, Set<string>>();
  for (const o of seen) {
    if (o.owners.length === 0) continue;
    const key = `${o.owners.join(',')}/${o.name}`;
    if (!byName.has(key)) byName.set(key, new Set());
    byName.get(key)!.add(o.uid);
  }
  const dups = [...byName.entries()].filter(([, uids]) => uids.size > 1);
  return {
    name: `duplicate ${kind}`, value: dups.reduce((n, [, u]) => n + u.size - 1, 0), expected: 0, ok: dups.length === 0,
    detail: dups.map(([k, u]) => `${k} x${u.size}`).join('; ') || undefined,
  };
}

/** The pods of a step or node: `<owner>-agent` for an AgentRun, `<owner>-<step>-<attempt>` otherwise. */
export function podsOfStep(item: WorkItem, step: string, ownerUid: string, pods: SeenObject[]): number {
  const mine = pods.filter((p) => p.owners.includes(ownerUid));
  if (item.kind === 'AgentRun') return new Set(mine.filter((p) => p.name === `${item.name}-agent`).map((p) => p.uid)).size;
  const re = new RegExp(`^${item.name}-${step}-\\d+$`);
  return new Set(mine.filter((p) => re.test(p.name)).map((p) => p.uid)).size;
}

/** Steps, nodes and agent pods that ran more often than they do without faults, and model calls made twice. */
export function ranTwice(items: WorkItem[], uids: Map<WorkItem, string>, pods: SeenObject[], calls: (marker: string) => number): Figure[] {
  const extraPods: string[] = [];
  const extraCalls: string[] = [];
  let stepCount = 0;
  let podExcess = 0;
  let callExcess = 0;
  for (const w of items) {
    const uid = uids.get(w);
    for (const [step, n] of Object.entries(w.expectedPods)) {
      stepCount++;
      const got = uid ? podsOfStep(w, step, uid, pods) : 0;
      if (got > n) { podExcess += got - n; extraPods.push(`${w.kind} ${w.name} ${step}: ${got} pods (expected ${n})`); }
    }
    if (w.marker) {
      const got = calls(w.marker);
      if (got > w.expectedCalls) { callExcess += got - w.expectedCalls; extraCalls.push(`${w.kind} ${w.name}: ${got} model calls (expected ${w.expectedCalls})`); }
    }
  }
  return [
    { name: `steps/nodes/agents run twice (of ${stepCount})`, value: podExcess, expected: 0, ok: podExcess === 0, detail: extraPods.join('; ') || undefined },
    { name: 'model calls made twice', value: callExcess, expected: 0, ok: callExcess === 0, detail: extraCalls.join('; ') || undefined },
  ];
}

/** Objects whose every owner was deleted and which are still there (after the garbage collector had time). */
export function orphans(remaining: SeenObject[], deletedOwners: Set<string>): Figure {
  const left = remaining.filter((o) => o.owners.length > 0 && o.owners.every((u) => deletedOwners.has(u)));
  return { name: 'orphans after deletion', value: left.length, expected: 0, ok: left.length === 0, detail: left.map((o) => o.name).join(', ') || undefined };
}

export function equal(name: string, value: number, expected: number): Figure {
  return { name, value, expected, ok: value === expected };
}

export function info(name: string, value: string | number): Figure {
  return { name, value, expected: '', ok: true };
}

/** A plain-text table: figure, value, expected, OK; details under it. */
export function formatTable(title: string, figures: Figure[]): string {
  const rows = figures.map((f) => [f.name, String(f.value), String(f.expected), f.expected === '' ? '' : f.ok ? 'ok' : 'FAIL']);
  const head = ['figure', 'value', 'expected', ''];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => (i === 1 || i === 2 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ').trimEnd();
  const out = [title, line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)];
  for (const f of figures) if (f.detail && !f.ok) out.push(`  ${f.name}: ${f.detail}`);
  return out.join('\n');
}
