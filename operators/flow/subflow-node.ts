import type { FlowNode, FlowSpec, FlowStatus } from '../api/generated/flow.js';
import { checkSubflowCall, literalTypeProblem } from '../model/graph/index.js';
import type { KubeObject } from '../runtime/kube.js';
import type { AttemptResult } from './node-state.js';
import { declaredOutputs } from './outputs.js';
import { FLOW_LABEL, NODE_LABEL } from './tool-pod.js';

/** How deep sub-flows may nest (a template that runs itself, directly or not, stops here). */
export const MAX_SUBFLOW_DEPTH = 4;
export const DEPTH_LABEL = 'agentlab.dev/flow-depth';

interface FlowLike extends KubeObject {
  spec: FlowSpec;
  status?: FlowStatus;
}

/**
 * The child Flow of a flow node: the template's spec with this node's inputs as param values,
 * mode Run, no schedule, no suspend and no plan gate (the parent's run is what was approved), in
 * the parent's lane and sensitivity when it sets them. An error names the field when the
 * template is missing, does not accept the inputs, or nesting is too deep.
 */
export function desiredSubflow(args: {
  parent: { name: string; namespace: string; lane?: string; sensitive?: boolean; depth: number };
  node: FlowNode; index: number; name: string; template: FlowLike | undefined; inputs: Record<string, string>;
}): { flow: FlowLike } | { error: string } {
  const { parent, node, index, template } = args;
  const field = `spec.nodes[${index}].flow.name`;
  if (!template) return { error: `${field}: Flow "${node.flow!.name}" not found in namespace ${parent.namespace}` };
  if (parent.depth + 1 > MAX_SUBFLOW_DEPTH) return { error: `${field}: sub-flows nest at most ${MAX_SUBFLOW_DEPTH} deep (does "${node.flow!.name}" run itself?)` };
  const problems = checkSubflowCall(node, index, template.spec);
  if (problems.length > 0) return { error: problems.map((p) => `${p.field}: ${p.message}`).join('; ') };
  const params = (template.spec.params ?? []).map((p) => (p.name in args.inputs ? { ...p, value: args.inputs[p.name] } : p));
  const { schedule: _s, suspend: _u, approval: _a, mode: _m, ...rest } = template.spec;
  const spec: FlowSpec = { ...rest, mode: 'Run', ...(params.length ? { params } : {}) };
  if (parent.lane) spec.lane = parent.lane;
  if (parent.sensitive) spec.sensitive = true;
  const labels: Record<string, string> = { [NODE_LABEL]: node.id, [DEPTH_LABEL]: String(parent.depth + 1) };
  if (parent.name.length <= 63) labels[FLOW_LABEL] = parent.name;
  return { flow: { apiVersion: 'agentlab.dev/v1alpha1', kind: 'Flow', metadata: { name: args.name, namespace: parent.namespace, labels }, spec } };
}

/** A flow's nesting depth (0 for a flow a person created). */
export function flowDepth(flow: KubeObject): number {
  const d = Number(flow.metadata?.labels?.[DEPTH_LABEL] ?? 0);
  return Number.isInteger(d) && d > 0 ? d : 0;
}

/**
 * What became of an attempt's child Flow: running (with its phase), Succeeded with each declared
 * output taken from the last node (in plan order) of the sub-flow that produced an output of that
 * name, or Failed with the child's own reason.
 */
export function subflowAttemptResult(node: FlowNode, name: string, child: FlowLike | undefined): AttemptResult {
  if (!child) return { kind: 'absent' };
  const s = child.status ?? {};
  if (s.phase === 'Failed') {
    const ready = s.conditions?.find((c) => c.type === 'Ready');
    return { kind: 'failed', message: `sub-flow ${name} failed: ${ready?.message ?? 'see its status'}` };
  }
  if (s.phase !== 'Succeeded') return { kind: 'running', detail: `sub-flow ${name} is ${s.phase ?? 'Pending'} (${s.progress ?? '0/?'})` };
  const order = (s.plan ?? []).map((p) => p.node).reverse();
  const byId = new Map((s.nodes ?? []).map((n) => [n.id, n]));
  const outputs: Record<string, string> = {};
  for (const { name: out, type } of declaredOutputs(node)) {
    const from = order.map((id) => byId.get(id)).find((n) => n?.outputs && out in n.outputs);
    if (!from) return { kind: 'failed', final: true, message: `sub-flow ${name} produced no output "${out}" in status (outputs larger than 4 KiB are not passed up by this version)` };
    const value = (from.outputs as Record<string, string>)[out];
    const problem = type === 'string' || type === 'file' ? undefined : literalTypeProblem(value, type);
    if (problem) return { kind: 'failed', final: true, message: `outputs.${out} (from node ${from.id} of sub-flow ${name}): ${problem}, but the output is declared ${type}` };
    outputs[out] = value;
  }
  return { kind: 'succeeded', outputs, totalTokens: s.usage?.totalTokens };
}
