// The figures of a chaos run, computed by pure functions from what the API server, the watches
// and the fake model saw, and printed as a table.
import type { IssueObservation } from './forge.js';
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

/**
 * The issue side, from the forges: one issue per resource, one status comment per issue, each
 * milestone once (and no other comment from the operator, e.g. a refusal of the person's command),
 * each document file committed once, each of the person's commands posted, the issues closed on success.
 */
export function issueFigures(obs: IssueObservation[]): Figure[] {
  const sum = (f: (o: IssueObservation) => number) => obs.reduce((n, o) => n + f(o), 0);
  const off = (bad: (o: IssueObservation) => string | undefined) => obs.map((o) => { const b = bad(o); return b && `${o.item.kind} ${o.item.name}: ${b}`; }).filter(Boolean).join('; ') || undefined;
  const milestoneProblem = (o: IssueObservation): string | undefined => {
    const want = new Set(o.item.issue!.milestones);
    const wrong = [...want].filter((k) => (o.milestones.get(k) ?? 0) !== 1).map((k) => `${k} x${o.milestones.get(k) ?? 0}`);
    const extra = [...o.milestones].filter(([k]) => !want.has(k)).map(([k, n]) => `unexpected ${k} x${n}`);
    return [...wrong, ...extra].join(', ') || undefined;
  };
  const commitProblem = (o: IssueObservation) => [...o.commits].filter(([, n]) => n !== 1).map(([p, n]) => `${p} committed ${n} times`).join(', ') || undefined;
  const figure = (name: string, value: number, expected: number, bad: (o: IssueObservation) => string | undefined): Figure => {
    const detail = off(bad);
    return { name, value, expected, ok: !detail && value === expected, detail };
  };
  return [
    figure('issues on the forges (one per resource)', sum((o) => o.issues), obs.length, (o) => (o.issues !== 1 ? `${o.issues} issues` : undefined)),
    figure('issue status comments (one per issue)', sum((o) => o.statusComments), obs.length, (o) => (o.statusComments !== 1 ? `${o.statusComments} status comments` : undefined)),
    figure('issue milestone comments (each once)', sum((o) => [...o.milestones.values()].reduce((a, b) => a + b, 0)), sum((o) => o.item.issue!.milestones.length), milestoneProblem),
    figure('document commits (each file once)', sum((o) => [...o.commits.values()].reduce((a, b) => a + b, 0)), sum((o) => o.item.issue!.commits.length), commitProblem),
    figure('person commands on the issues (/done, /approve)', sum((o) => o.personComments), sum((o) => o.item.issue!.commands.length), (o) => (o.personComments !== o.item.issue!.commands.length ? `${o.personComments} comments` : undefined)),
    figure('issues closed on success', sum((o) => (o.closed ? 1 : 0)), obs.length, (o) => (o.closed ? undefined : 'open')),
  ];
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
