import type { Flow } from '../../api/generated/flow.js';
import { findCycle } from './cycles.js';

/** A Flow found in the validated files, with where it is. */
export interface LocatedFlow {
  flow: Flow;
  file: string;
  lineOf(field: string): number;
}

export interface SubflowProblem {
  file: string;
  line: number;
  object: string;
  message: string;
}

const key = (namespace: string | undefined, name: string) => `${namespace ?? ''}/${name}`;

/**
 * Checks flow nodes that run another Flow present in the same set of files: the node's inputs
 * must be params of the sub-flow, params without a value must be given, and flows must not run
 * each other in a cycle. A sub-flow that is not in the set is not an error offline: it may
 * already be in the cluster.
 */
export function checkSubflows(flows: LocatedFlow[]): SubflowProblem[] {
  const problems: SubflowProblem[] = [];
  const byKey = new Map(flows.map((f) => [key(f.flow.metadata.namespace, f.flow.metadata.name ?? ''), f]));
  const edges = new Map<string, string[]>();
  for (const f of flows) {
    const ns = f.flow.metadata.namespace;
    const from = key(ns, f.flow.metadata.name ?? '');
    const object = `Flow/${f.flow.metadata.name}`;
    const targets: string[] = [];
    (f.flow.spec?.nodes ?? []).forEach((node, i) => {
      if (!node.flow) return;
      const target = byKey.get(key(ns, node.flow.name));
      if (!target) return;
      targets.push(key(ns, node.flow.name));
      const params = target.flow.spec?.params ?? [];
      const declared = new Set(params.map((p) => p.name));
      const given = new Set((node.inputs ?? []).map((x) => x.name));
      (node.inputs ?? []).forEach((input, j) => {
        if (!declared.has(input.name)) {
          const field = `spec.nodes[${i}].inputs[${j}].name`;
          problems.push({ file: f.file, line: f.lineOf(field), object, message: `${field}: sub-flow "${node.flow!.name}" has no param "${input.name}" (params: ${[...declared].join(', ') || 'none'})` });
        }
      });
      for (const p of params) {
        if (p.value === undefined && !given.has(p.name)) {
          const field = `spec.nodes[${i}].inputs`;
          problems.push({ file: f.file, line: f.lineOf(field), object, message: `${field}: sub-flow "${node.flow.name}" needs param "${p.name}", which has no value of its own` });
        }
      }
    });
    edges.set(from, targets);
  }
  const cycle = findCycle([...byKey.keys()], edges);
  if (cycle) {
    const start = byKey.get(cycle[0])!;
    problems.push({
      file: start.file, line: start.lineOf('spec.nodes'), object: `Flow/${start.flow.metadata.name}`,
      message: `spec.nodes: flows run each other in a cycle: ${cycle.map((k) => k.split('/')[1]).join(' -> ')}`,
    });
  }
  return problems;
}
