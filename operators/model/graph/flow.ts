import type { FlowNode, FlowSpec } from '../../api/generated/flow.js';
import { literalTypeProblem } from './literal-types.js';
import type { GraphProblem } from './problem.js';
import { computeWaves, orderedWaves, type WaveEntry } from './waves.js';

const REFERENCE = /\$\{([^}]*)\}/g;

type OutputType = 'string' | 'number' | 'boolean' | 'json' | 'file';

/** Outputs every verify node produces whether declared or not. */
const VERIFY_OUTPUTS: Record<string, OutputType> = { verdict: 'boolean', reason: 'string' };

function outputsOf(node: FlowNode): Map<string, OutputType> {
  const out = new Map<string, OutputType>((node.outputs ?? []).map((o) => [o.name, o.type ?? 'string']));
  if (node.type === 'verify') for (const [k, v] of Object.entries(VERIFY_OUTPUTS)) if (!out.has(k)) out.set(k, v);
  return out;
}

/** Text fields of a node in which ${...} references are substituted, with their field paths. */
function textFields(node: FlowNode, base: string): { field: string; text: string; nodeInputs: boolean }[] {
  const fields: { field: string; text: string; nodeInputs: boolean }[] = [];
  const add = (field: string, text: string | undefined, nodeInputs = true) => {
    if (text !== undefined) fields.push({ field: `${base}.${field}`, text, nodeInputs });
  };
  (node.inputs ?? []).forEach((input, i) => add(`inputs[${i}].value`, input.value, false));
  add('agent.task', node.agent?.task);
  add('agent.systemPrompt', node.agent?.systemPrompt);
  add('model.prompt', node.model?.prompt);
  add('model.system', node.model?.system);
  add('approval.message', node.approval?.message);
  add('verify.criteria', node.verify?.criteria);
  (node.tool?.command ?? []).forEach((arg, i) => add(`tool.command[${i}]`, arg));
  (node.tool?.args ?? []).forEach((arg, i) => add(`tool.args[${i}]`, arg));
  return fields;
}

/**
 * A Flow's wiring checked and its dependency graph: every ${...} reference and inputs[].from
 * names a declared output and declared input types match the outputs feeding them. A node depends on its dependsOn, on the nodes it takes inputs from (from or a
 * ${nodes.<id>.outputs.<name>} reference) and on the node it verifies. Unknown node ids in
 * dependsOn, from and verify.target are CEL rules of the CRD and not repeated here.
 */
function analyseFlow(spec: FlowSpec): { problems: GraphProblem[]; edges: Map<string, string[]> } {
  const problems: GraphProblem[] = [];
  const nodes = spec.nodes ?? [];
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const params = new Set((spec.params ?? []).map((p) => p.name));
  const edges = new Map<string, string[]>();

  (spec.params ?? []).forEach((param, i) => {
    const problem = param.value === undefined ? undefined : literalTypeProblem(param.value, param.type);
    if (problem) problems.push({ field: `spec.params[${i}].value`, message: `${problem}, but param "${param.name}" is declared ${param.type}` });
  });

  nodes.forEach((node, i) => {
    const base = `spec.nodes[${i}]`;
    const deps = new Set<string>();
    // Checked here, not by CEL: a rule comparing every node with every other exceeds the API
    // server's cost budget for a flow of a few hundred nodes.
    (node.dependsOn ?? []).forEach((d, j) => {
      if (d === node.id) problems.push({ field: `${base}.dependsOn[${j}]`, message: `node "${node.id}" cannot depend on itself` });
      else if (!byId.has(d)) problems.push({ field: `${base}.dependsOn[${j}]`, message: `unknown node "${d}" (dependsOn must name other nodes of this flow)` });
      else deps.add(d);
    });
    const inputs = new Set((node.inputs ?? []).map((x) => x.name));

    for (const { field, text, nodeInputs } of textFields(node, base)) {
      for (const m of text.matchAll(REFERENCE)) {
        const ref = m[1].trim();
        const parts = ref.split('.');
        if (parts[0] === 'nodes' && parts.length === 4 && parts[2] === 'outputs') {
          const [, id, , output] = parts;
          const source = byId.get(id);
          if (!source) problems.push({ field, message: `\${${ref}} refers to unknown node "${id}"` });
          else if (id === node.id) problems.push({ field, message: `\${${ref}}: a node cannot use its own outputs` });
          else {
            const type = outputsOf(source).get(output);
            if (!type) problems.push({ field, message: `\${${ref}}: node "${id}" has no output "${output}" (declared: ${[...outputsOf(source).keys()].join(', ') || 'none'})` });
            else if (type === 'file') problems.push({ field, message: `\${${ref}}: output "${output}" of node "${id}" is a file; pass it with inputs[].from instead of text` });
            deps.add(id);
          }
        } else if (parts[0] === 'params' && parts.length === 2) {
          if (!params.has(parts[1])) problems.push({ field, message: `\${${ref}} refers to unknown param "${parts[1]}" (declared in spec.params: ${[...params].join(', ') || 'none'})` });
        } else if (parts[0] === 'inputs' && parts.length === 2 && nodeInputs) {
          if (!inputs.has(parts[1])) problems.push({ field, message: `\${${ref}} refers to input "${parts[1]}" that this node does not declare` });
        } else {
          const allowed = nodeInputs ? '${nodes.<id>.outputs.<name>}, ${params.<name>} or ${inputs.<name>}' : '${nodes.<id>.outputs.<name>} or ${params.<name>}';
          problems.push({ field, message: `\${${ref}} is not a reference this field understands; use ${allowed}` });
        }
      }
    }

    (node.inputs ?? []).forEach((input, j) => {
      const literal = input.value === undefined ? undefined : literalTypeProblem(input.value, input.type);
      if (literal) problems.push({ field: `${base}.inputs[${j}].value`, message: `${literal}, but input "${input.name}" is declared ${input.type}` });
      if (!input.from) return;
      const source = byId.get(input.from.node);
      if (!source || source.id === node.id) {
        problems.push({ field: `${base}.inputs[${j}].from.node`, message: source ? `node "${node.id}" cannot take an input from itself` : `unknown node "${input.from.node}" (inputs[].from.node must name another node of this flow)` });
        return;
      }
      deps.add(source.id);
      const type = outputsOf(source).get(input.from.output);
      const field = `${base}.inputs[${j}].from`;
      if (!type) {
        problems.push({ field: `${field}.output`, message: `node "${source.id}" has no output "${input.from.output}" (declared: ${[...outputsOf(source).keys()].join(', ') || 'none'})` });
      } else if (input.type && input.type !== type) {
        problems.push({ field, message: `input "${input.name}" expects ${input.type} but output "${input.from.output}" of node "${source.id}" is ${type}` });
      }
    });

    if (node.verify) {
      const target = byId.get(node.verify.target.node);
      if (!target || target.id === node.id) {
        problems.push({ field: `${base}.verify.target.node`, message: target ? `node "${node.id}" cannot verify itself` : `unknown node "${node.verify.target.node}" (verify.target.node must name another node of this flow)` });
      } else {
        deps.add(target.id);
        if (!outputsOf(target).has(node.verify.target.output)) {
          problems.push({ field: `${base}.verify.target.output`, message: `node "${target.id}" has no output "${node.verify.target.output}" to verify` });
        }
      }
    }
    edges.set(node.id, [...deps]);
  });

  return { problems, edges };
}

/**
 * Checks a Flow's wiring: every ${...} reference and inputs[].from names a declared output,
 * declared input types match the outputs feeding them, dependsOn, inputs[].from.node and
 * verify.target.node name other nodes of the flow, and the graph has no cycle.
 */
export function checkFlow(spec: FlowSpec): GraphProblem[] {
  return planFlow(spec).errors;
}

/**
 * What each node waits for: its dependsOn, the nodes it takes inputs from (from or a
 * ${nodes.<id>.outputs.<name>} reference) and the node it verifies; the edges planFlow's waves
 * are computed from. Node ids the flow does not have are left out.
 */
export function flowDependencies(spec: FlowSpec): Map<string, string[]> {
  const ids = new Set((spec.nodes ?? []).map((n) => n.id));
  const { edges } = analyseFlow(spec);
  return new Map([...edges].map(([id, deps]) => [id, deps.filter((d) => ids.has(d) && d !== id)]));
}

/** What the Flow controller writes to status.plan, or why it cannot plan. */
export interface FlowPlan {
  /** Every node with its wave, in wave order then spec order; empty when there are errors. */
  waves: WaveEntry[];
  /** The same problems checkFlow reports; a flow with any of them is not run. */
  errors: GraphProblem[];
}

/**
 * Plans a Flow: checkFlow's problems, and for a flow without any, each node's execution wave
 * (0 for a node without dependencies, else one more than the latest of its dependencies; the
 * nodes of one wave run in parallel). An invalid flow gets no waves, so nothing runs from it.
 */
export function planFlow(spec: FlowSpec): FlowPlan {
  const { problems, edges } = analyseFlow(spec);
  const ids = (spec.nodes ?? []).map((n) => n.id);
  const result = computeWaves(ids, edges);
  if ('cycle' in result) problems.push({ field: 'spec.nodes', message: `dependency cycle: ${result.cycle.join(' -> ')}` });
  if (problems.length > 0 || !('waves' in result)) return { waves: [], errors: problems };
  return { waves: orderedWaves(ids, result.waves), errors: [] };
}

