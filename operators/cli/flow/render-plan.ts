import type { FlowSpec, FlowStatus } from '../../api/generated/flow.js';
import { flowPlanDigest, planFlowRun, type GraphProblem } from '../../model/graph/index.js';

export interface PlannedFlow {
  namespace: string;
  name: string;
  planDigest?: string;
  plan: ReturnType<typeof planFlowRun>['plan'];
  errors: GraphProblem[];
  unsupported: GraphProblem[];
}

/** The plan of a Flow as the controller computes it (same module: operators/model/graph). */
export function planOf(namespace: string, name: string, spec: FlowSpec): PlannedFlow {
  const r = planFlowRun(name, spec);
  return { namespace, name, ...r, ...(r.errors.length === 0 ? { planDigest: flowPlanDigest(spec, r.plan) } : {}) };
}

function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('  ').trimEnd()).join('\n');
}

/**
 * The plan as text: a header with the digest, then one row per node in wave order (wave, node,
 * type, action, child; and the node's phase and message when read from a live Flow).
 */
export function renderPlan(p: PlannedFlow, spec: FlowSpec, status?: FlowStatus): string {
  const types = new Map(spec.nodes.map((n) => [n.id, n.type]));
  const waves = new Set(p.plan.map((e) => e.wave)).size;
  const lines = [`Flow ${p.namespace}/${p.name}: ${p.plan.length} nodes in ${waves} waves, plan ${p.planDigest}`];
  if (status?.planDigest && status.planDigest !== p.planDigest) lines.push(`note: the operator's status shows plan ${status.planDigest}: it has not planned this spec yet, or the run started with another plan`);
  const nodes = new Map((status?.nodes ?? []).map((n) => [n.id, n]));
  const live = status !== undefined;
  const header = ['WAVE', 'NODE', 'TYPE', 'ACTION', 'CHILD', ...(live ? ['PHASE', 'MESSAGE'] : [])];
  const rows = p.plan.map((e) => {
    const st = nodes.get(e.node);
    return [String(e.wave), e.node, types.get(e.node) ?? '', e.action, e.child ?? '-', ...(live ? [st?.phase ?? 'Pending', st?.message ?? ''] : [])];
  });
  lines.push(table([header, ...rows]));
  for (const u of p.unsupported) lines.push(`note: ${u.field}: ${u.message}; the operator will mark this Flow Stalled`);
  if (live && status.phase) lines.push(`phase ${status.phase}${status.progress ? `, ${status.progress} nodes done` : ''}`);
  return `${lines.join('\n')}\n`;
}
