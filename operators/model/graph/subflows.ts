import type { FlowNode, FlowSpec } from '../../api/generated/flow.js';
import { findCycle } from './cycles.js';
import type { GraphProblem } from './problem.js';

/** A Flow known to the caller: the validated files for `agentlab validate`, the cache for the controller. */
export interface KnownFlow {
  namespace?: string;
  name: string;
  spec: FlowSpec;
}

/** A problem of one of the flows passed to checkSubflows, by its index. */
export interface SubflowProblem extends GraphProblem {
  flow: number;
}

const key = (namespace: string | undefined, name: string) => `${namespace ?? ''}/${name}`;

/**
 * Checks a flow node of type flow against the Flow it runs: its inputs must be params of the
 * sub-flow, and params without a value of their own must be given. `index` is the node's index
 * in spec.nodes, for the field paths.
 */
export function checkSubflowCall(node: FlowNode, index: number, target: FlowSpec): GraphProblem[] {
  if (!node.flow) return [];
  const problems: GraphProblem[] = [];
  const params = target.params ?? [];
  const declared = new Set(params.map((p) => p.name));
  const given = new Set((node.inputs ?? []).map((x) => x.name));
  (node.inputs ?? []).forEach((input, j) => {
    if (!declared.has(input.name)) {
      problems.push({ field: `spec.nodes[${index}].inputs[${j}].name`, message: `sub-flow "${node.flow!.name}" has no param "${input.name}" (params: ${[...declared].join(', ') || 'none'})` });
    }
  });
  for (const p of params) {
    if (p.value === undefined && !given.has(p.name)) {
      problems.push({ field: `spec.nodes[${index}].inputs`, message: `sub-flow "${node.flow.name}" needs param "${p.name}", which has no value of its own` });
    }
  }
  return problems;
}

/**
 * Checks the flow nodes of a set of Flows that run another Flow of the same set (same
 * namespace): checkSubflowCall for each, and flows must not run each other in a cycle. A
 * sub-flow that is not in the set is not an error here: it may exist elsewhere (the cluster).
 */
export function checkSubflows(flows: readonly KnownFlow[]): SubflowProblem[] {
  const problems: SubflowProblem[] = [];
  const byKey = new Map(flows.map((f, i) => [key(f.namespace, f.name), i]));
  const edges = new Map<string, string[]>();
  flows.forEach((f, i) => {
    const targets: string[] = [];
    (f.spec.nodes ?? []).forEach((node, n) => {
      if (!node.flow) return;
      const target = byKey.get(key(f.namespace, node.flow.name));
      if (target === undefined) return;
      targets.push(key(f.namespace, node.flow.name));
      for (const p of checkSubflowCall(node, n, flows[target].spec)) problems.push({ flow: i, ...p });
    });
    edges.set(key(f.namespace, f.name), targets);
  });
  const cycle = findCycle([...byKey.keys()], edges);
  if (cycle) {
    problems.push({
      flow: byKey.get(cycle[0])!, field: 'spec.nodes',
      message: `flows run each other in a cycle: ${cycle.map((k) => k.split('/')[1]).join(' -> ')}`,
    });
  }
  return problems;
}
