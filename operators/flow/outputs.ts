import type { FlowNode } from '../api/generated/flow.js';

/** Largest output value kept in status.nodes[].outputs (the CRD's maxLength); larger ones go to the node's ConfigMap. */
export const MAX_STATUS_OUTPUT = 4096;
/** Largest total of one node's outputs (its ConfigMap stays well below the 1 MiB object limit). */
export const MAX_NODE_OUTPUTS = 512 * 1024;
/**
 * Largest total of output values held in one Flow's status over all its nodes: with 256 nodes of
 * 16 outputs of 4 KiB, status alone could pass etcd's ~1.5 MiB object limit. A node whose outputs
 * would cross it keeps them all in its ConfigMap instead.
 */
export const MAX_STATUS_OUTPUTS_TOTAL = 256 * 1024;

export type OutputType = 'string' | 'number' | 'boolean' | 'json' | 'file';

export type Checked = { outputs: Record<string, string> } | { error: string };

/** Declared outputs of a node with their types (default string). */
export function declaredOutputs(node: FlowNode): { name: string; type: OutputType }[] {
  return (node.outputs ?? []).map((o) => ({ name: o.name, type: o.type ?? 'string' }));
}

/**
 * A tool's output file content as the value of its declared type. A trailing newline (what
 * `echo` writes) is dropped; number, boolean and json are read after trimming whitespace and
 * stored in their JSON form. Returns the reason when the content is not of the type.
 */
export function typedFileValue(raw: string, type: OutputType): { value: string } | { error: string } {
  const text = raw.endsWith('\r\n') ? raw.slice(0, -2) : raw.endsWith('\n') ? raw.slice(0, -1) : raw;
  switch (type) {
    case 'number': {
      const t = text.trim();
      const n = Number(t);
      return t !== '' && Number.isFinite(n) ? { value: JSON.stringify(n) } : { error: `${preview(text)} is not a number` };
    }
    case 'boolean': {
      const t = text.trim();
      return t === 'true' || t === 'false' ? { value: t } : { error: `${preview(text)} is not a boolean (true or false)` };
    }
    case 'json':
      try {
        return { value: JSON.stringify(JSON.parse(text)) };
      } catch {
        return { error: `${preview(text)} is not valid JSON` };
      }
    default:
      return { value: text };
  }
}

/** A value from a JSON answer (a model with format json) as the stored form of its declared type. */
export function typedJsonValue(value: unknown, type: OutputType): { value: string } | { error: string } {
  switch (type) {
    case 'number':
      return typeof value === 'number' && Number.isFinite(value) ? { value: JSON.stringify(value) } : { error: `${preview(JSON.stringify(value))} is not a number` };
    case 'boolean':
      return typeof value === 'boolean' ? { value: String(value) } : { error: `${preview(JSON.stringify(value))} is not a boolean` };
    case 'json':
      return { value: JSON.stringify(value) };
    default:
      return typeof value === 'string' ? { value } : { error: `${preview(JSON.stringify(value))} is not a string` };
  }
}

/**
 * Checks raw outputs (name -> file content) against the node's declared outputs: every declared
 * output present and of its type; the error names the output (`outputs.<name>`) and what is wrong.
 */
export function checkToolOutputs(node: FlowNode, raw: Record<string, string>): Checked {
  const outputs: Record<string, string> = {};
  for (const { name, type } of declaredOutputs(node)) {
    if (!(name in raw)) return { error: `outputs.${name}: the tool did not write /agentlab/outputs/${name}` };
    const r = typedFileValue(raw[name], type);
    if ('error' in r) return { error: `outputs.${name}: ${r.error}, but the output is declared ${type}` };
    outputs[name] = r.value;
  }
  return withinBounds(outputs);
}

/**
 * A model's answer as the node's outputs: format text puts the whole answer in the one declared
 * output (none declared: nothing is kept); format json expects a JSON object (a ```json fence is
 * tolerated) with a key of the declared type for each output.
 */
export function modelOutputs(node: FlowNode, answer: string, format: 'text' | 'json' = node.model?.format ?? 'text'): Checked {
  const declared = declaredOutputs(node);
  if (format === 'text') {
    return withinBounds(declared.length === 0 ? {} : { [declared[0].name]: answer });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(stripFence(answer));
  } catch {
    return { error: `the answer is not JSON (format json): ${preview(answer)}` };
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return { error: `the answer is not a JSON object (format json): ${preview(answer)}` };
  const obj = parsed as Record<string, unknown>;
  const outputs: Record<string, string> = {};
  for (const { name, type } of declared) {
    if (!(name in obj)) return { error: `outputs.${name}: the answer has no key "${name}" (keys: ${Object.keys(obj).join(', ') || 'none'})` };
    const r = typedJsonValue(obj[name], type);
    if ('error' in r) return { error: `outputs.${name}: ${r.error}, but the output is declared ${type}` };
    outputs[name] = r.value;
  }
  return withinBounds(outputs);
}

function withinBounds(outputs: Record<string, string>): Checked {
  const total = Object.values(outputs).reduce((n, v) => n + Buffer.byteLength(v), 0);
  if (total > MAX_NODE_OUTPUTS) return { error: `outputs total ${total} bytes; a node may produce at most ${MAX_NODE_OUTPUTS} bytes (pass larger data through a volume or object store)` };
  return { outputs };
}

/**
 * Splits outputs into what status holds (each <= 4 KiB) and whether the node needs its ConfigMap;
 * `room` is what is left of MAX_STATUS_OUTPUTS_TOTAL: when the inline values do not fit, none is inline.
 */
export function splitForStatus(outputs: Record<string, string>, room = Infinity): { inline: Record<string, string>; needsConfigMap: boolean; overBudget: boolean } {
  const inline: Record<string, string> = {};
  let needsConfigMap = false;
  for (const [k, v] of Object.entries(outputs)) {
    if (v.length <= MAX_STATUS_OUTPUT) inline[k] = v;
    else needsConfigMap = true;
  }
  if (outputsSize(inline) > room) return { inline: {}, needsConfigMap: true, overBudget: true };
  return { inline, needsConfigMap, overBudget: false };
}

/** Bytes of output values as status holds them (names included). */
export function outputsSize(outputs: Record<string, string> | undefined): number {
  return Object.entries(outputs ?? {}).reduce((n, [k, v]) => n + Buffer.byteLength(k) + Buffer.byteLength(v), 0);
}

export function stripFence(text: string): string {
  const m = /^\s*```(?:json)?\s*\n([\s\S]*?)\n\s*```\s*$/.exec(text);
  return m ? m[1] : text;
}

export function preview(text: string): string {
  return JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}...` : text);
}
