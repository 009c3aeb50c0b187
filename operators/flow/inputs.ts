import type { FlowNode, FlowSpec } from '../api/generated/flow.js';
import { literalTypeProblem } from '../model/graph/index.js';
import type { GraphProblem } from '../model/graph/index.js';

const REFERENCE = /\$\{([^}]*)\}/g;

/** The values a node's text can refer to at run time. */
export interface RunValues {
  /** spec.params by name (their value). */
  params: Record<string, string | undefined>;
  /** An output of a node that has succeeded, as stored (JSON-encoded for non-string types); undefined if absent. */
  output(node: string, name: string): string | undefined;
  /** This node's resolved inputs (for ${inputs.<name>}); absent while the inputs themselves are resolved. */
  inputs?: Record<string, string>;
}

export type Resolved<T> = { value: T } | { error: GraphProblem };

/**
 * Substitutes ${params.<name>}, ${nodes.<id>.outputs.<name>} and ${inputs.<name>} in `text`.
 * planFlow has checked that every reference names something declared; what can still be missing
 * at run time (a param without a value, an output the producer did not write) is an error naming
 * `field` and the reference.
 */
export function substitute(text: string, field: string, values: RunValues): Resolved<string> {
  let error: GraphProblem | undefined;
  const out = text.replace(REFERENCE, (whole, raw: string) => {
    if (error) return whole;
    const ref = raw.trim();
    const parts = ref.split('.');
    let value: string | undefined;
    if (parts[0] === 'params' && parts.length === 2) {
      value = values.params[parts[1]];
      if (value === undefined) error = { field, message: `\${${ref}}: param "${parts[1]}" has no value; set spec.params[].value` };
    } else if (parts[0] === 'nodes' && parts.length === 4 && parts[2] === 'outputs') {
      value = values.output(parts[1], parts[3]);
      if (value === undefined) error = { field, message: `\${${ref}}: node "${parts[1]}" produced no output "${parts[3]}"` };
    } else if (parts[0] === 'inputs' && parts.length === 2 && values.inputs) {
      value = values.inputs[parts[1]];
      if (value === undefined) error = { field, message: `\${${ref}}: this node has no input "${parts[1]}"` };
    } else {
      error = { field, message: `\${${ref}} is not a reference this field understands` };
    }
    return value ?? whole;
  });
  return error ? { error } : { value: out };
}

/**
 * A node's inputs by name: a `from` input takes the producing node's output as stored; a `value`
 * input is substituted and must then be a value of its declared type (the error names
 * `spec.nodes[i].inputs[j].value`).
 */
export function resolveInputs(node: FlowNode, index: number, values: RunValues): Resolved<Record<string, string>> {
  const inputs: Record<string, string> = {};
  const list = node.inputs ?? [];
  for (let j = 0; j < list.length; j++) {
    const input = list[j];
    const field = `spec.nodes[${index}].inputs[${j}]`;
    if (input.from) {
      const v = values.output(input.from.node, input.from.output);
      if (v === undefined) return { error: { field: `${field}.from`, message: `node "${input.from.node}" produced no output "${input.from.output}"` } };
      inputs[input.name] = v;
      continue;
    }
    const r = substitute(input.value ?? '', `${field}.value`, values);
    if ('error' in r) return r;
    const problem = literalTypeProblem(r.value, input.type);
    if (problem) return { error: { field: `${field}.value`, message: `${problem}, but input "${input.name}" is declared ${input.type}` } };
    inputs[input.name] = r.value;
  }
  return { value: inputs };
}

/** spec.params as name -> value (a param without a value is absent). */
export function paramValues(spec: FlowSpec): Record<string, string | undefined> {
  return Object.fromEntries((spec.params ?? []).map((p) => [p.name, p.value]));
}

/** The environment variable of an input: INPUT_ and the name in upper case. */
export const inputEnvName = (name: string) => `INPUT_${name.toUpperCase()}`;
