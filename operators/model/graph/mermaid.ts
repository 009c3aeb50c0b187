import type { FlowNode, FlowSpec, FlowStatus } from '../../api/generated/flow.js';
import { flowDependencies } from './flow.js';
import type { FlowPlanEntry } from './flow-plan.js';

type NodeStatus = NonNullable<FlowStatus['nodes']>[number];

/** Mermaid shape of each node type: the opening and closing brackets around the label. */
const SHAPES: Record<FlowNode['type'], [string, string]> = {
  tool: ['[', ']'], // rectangle
  model: ['([', '])'], // stadium
  agent: ['[[', ']]'], // subroutine
  approval: ['{', '}'], // rhombus
  verify: ['{{', '}}'], // hexagon
  flow: ['[/', '/]'], // parallelogram
};

/** Fill and stroke of each health, and of a node that has not started. */
const CLASSES = [
  'classDef green fill:#d4edda,stroke:#28a745,color:#155724',
  'classDef yellow fill:#fff3cd,stroke:#ffc107,color:#856404',
  'classDef red fill:#f8d7da,stroke:#dc3545,color:#721c24',
  'classDef pending fill:#f0f0f0,stroke:#999999,color:#333333',
];

/** Node ids are DNS labels ([a-z0-9-]); '-' becomes '_' (injective) and a prefix keeps Mermaid keywords (end, graph) out. */
const mermaidId = (id: string) => `n_${id.replace(/-/g, '_')}`;

/** Mermaid label text: quotes and angle brackets as entities, since labels are quoted. */
const label = (text: string) => text.replace(/"/g, '#quot;').replace(/</g, '#lt;').replace(/>/g, '#gt;');

/**
 * The Flow as a Mermaid flowchart: one subgraph per wave (left to right), one node per flow
 * node shaped by its type (tool rectangle, model stadium, agent subroutine, approval rhombus,
 * verify hexagon, flow parallelogram), an edge for every dependency, and — when the node states
 * of a live Flow are given — each node's phase in its label and its health as the colour
 * (green, yellow, red; grey before it starts). Pure: `agentlab graph` prints it.
 */
export function flowMermaid(spec: FlowSpec, plan: readonly FlowPlanEntry[], nodes?: readonly NodeStatus[]): string {
  const byId = new Map((spec.nodes ?? []).map((n) => [n.id, n]));
  const states = new Map((nodes ?? []).map((n) => [n.id, n]));
  const lines = ['flowchart LR'];
  const waves = [...new Set(plan.map((p) => p.wave))].sort((a, b) => a - b);
  for (const wave of waves) {
    lines.push(`  subgraph wave${wave}["wave ${wave}"]`);
    for (const entry of plan.filter((p) => p.wave === wave)) {
      const node = byId.get(entry.node);
      if (!node) continue;
      const [open, close] = SHAPES[node.type];
      const state = states.get(node.id);
      const detail = state?.phase ? `${node.type} · ${state.phase}` : node.type;
      lines.push(`    ${mermaidId(node.id)}${open}"${label(node.id)}<br/><small>${label(detail)}</small>"${close}`);
    }
    lines.push('  end');
  }
  const planned = new Set(plan.map((p) => p.node));
  for (const [id, deps] of flowDependencies(spec)) {
    if (!planned.has(id)) continue;
    for (const dep of deps) if (planned.has(dep)) lines.push(`  ${mermaidId(dep)} --> ${mermaidId(id)}`);
  }
  if (nodes) {
    lines.push(...CLASSES.map((c) => `  ${c}`));
    for (const entry of plan) {
      const health = states.get(entry.node)?.health;
      lines.push(`  class ${mermaidId(entry.node)} ${health ? health.toLowerCase() : 'pending'}`);
    }
  }
  return `${lines.join('\n')}\n`;
}
