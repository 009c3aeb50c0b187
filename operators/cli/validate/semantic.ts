import type { FlowNode, FlowSpec } from '../../api/generated/flow.js';
import type { HardwareStep, HardwareTaskSpec } from '../../api/generated/hardwaretask.js';
import { findCycle } from './cycles.js';

/** A problem found by a check CEL cannot express; `field` is a Kubernetes field path. */
export interface SemanticProblem {
  field: string;
  message: string;
}

const REFERENCE = /\$\{([^}]*)\}/g;

/** Why a literal (no ${...} in it) is not a value of the declared type, or undefined when it is. */
export function literalTypeProblem(value: string, type: string | undefined): string | undefined {
  if (value.includes('${')) return undefined; // substituted at run time
  switch (type) {
    case 'number':
      return value.trim() !== '' && Number.isFinite(Number(value)) ? undefined : `${JSON.stringify(value)} is not a number`;
    case 'boolean':
      return value === 'true' || value === 'false' ? undefined : `${JSON.stringify(value)} is not a boolean (true or false)`;
    case 'json':
      try {
        JSON.parse(value);
        return undefined;
      } catch {
        return `${JSON.stringify(value)} is not valid JSON`;
      }
    default:
      return undefined;
  }
}

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
 * Checks a Flow's wiring: every ${...} reference and inputs[].from names a declared output,
 * declared input types match the outputs feeding them, and the graph has no cycle. Unknown
 * node ids in dependsOn, from and verify.target are CEL rules of the CRD and not repeated here.
 */
export function checkFlow(spec: FlowSpec): SemanticProblem[] {
  const problems: SemanticProblem[] = [];
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
    const deps = new Set<string>(node.dependsOn ?? []);
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
      if (!source || source.id === node.id) return; // reported by the CRD's CEL rule
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
      if (target && target.id !== node.id) {
        deps.add(target.id);
        if (!outputsOf(target).has(node.verify.target.output)) {
          problems.push({ field: `${base}.verify.target.output`, message: `node "${target.id}" has no output "${node.verify.target.output}" to verify` });
        }
      }
    }
    edges.set(node.id, [...deps]);
  });

  const cycle = findCycle(nodes.map((n) => n.id), edges);
  if (cycle) problems.push({ field: 'spec.nodes', message: `dependency cycle: ${cycle.join(' -> ')}` });
  return problems;
}

const STEP_REFERENCE = /\$\{\s*steps\.([^.}\s]+)\.outputs\.([^}\s]+)\s*\}/g;

function stepTexts(step: HardwareStep, base: string): { field: string; text: string }[] {
  const texts: { field: string; text: string }[] = [];
  if (step.analysis) texts.push({ field: `${base}.analysis.prompt`, text: step.analysis.prompt });
  if (step.human) texts.push({ field: `${base}.human.instructions`, text: step.human.instructions });
  (step.document?.files ?? []).forEach((f, i) => texts.push({ field: `${base}.document.files[${i}].content`, text: f.content }));
  for (const block of [step.check, step.command]) {
    const name = block === step.check ? 'check' : 'command';
    (block?.commands ?? []).forEach((c, i) => texts.push({ field: `${base}.${name}.commands[${i}]`, text: c }));
  }
  return texts;
}

/**
 * Checks a HardwareTask's step graph: no dependsOn cycle, and a step that uses another step's
 * outputs (${steps.<name>.outputs.<key>}) depends on it, directly or transitively, so the
 * outputs exist when it runs. Unknown dependsOn names are a CEL rule of the CRD.
 */
export function checkHardwareTask(spec: HardwareTaskSpec): SemanticProblem[] {
  const problems: SemanticProblem[] = [];
  const steps = spec.steps ?? [];
  const names = steps.map((s) => s.name);
  const edges = new Map(steps.map((s) => [s.name, s.dependsOn ?? []]));
  const cycle = findCycle(names, edges);
  if (cycle) {
    problems.push({ field: 'spec.steps', message: `dependsOn cycle: ${cycle.join(' -> ')}` });
    return problems; // ancestry is meaningless in a cyclic graph
  }
  const ancestors = (name: string, seen = new Set<string>()): Set<string> => {
    for (const d of edges.get(name) ?? []) if (!seen.has(d)) { seen.add(d); ancestors(d, seen); }
    return seen;
  };
  steps.forEach((step, i) => {
    const before = ancestors(step.name);
    for (const { field, text } of stepTexts(step, `spec.steps[${i}]`)) {
      for (const m of text.matchAll(STEP_REFERENCE)) {
        const target = m[1];
        if (!edges.has(target)) problems.push({ field, message: `\${steps.${target}.outputs.${m[2]}} refers to unknown step "${target}"` });
        else if (!before.has(target)) problems.push({ field, message: `uses outputs of step "${target}" but does not depend on it; add "${target}" to dependsOn` });
      }
    }
  });
  return problems;
}
