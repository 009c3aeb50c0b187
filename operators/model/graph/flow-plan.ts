import { createHash } from 'node:crypto';
import type { FlowNode, FlowSpec, FlowStatus } from '../../api/generated/flow.js';
import { planFlow } from './flow.js';
import type { GraphProblem } from './problem.js';

/** One entry of Flow's status.plan. */
export type FlowPlanEntry = NonNullable<FlowStatus['plan']>[number];
export type FlowPlanAction = FlowPlanEntry['action'];
export type FlowNodeType = FlowNode['type'];

/** What the operator does for each node type (status.plan[].action). */
export const PLAN_ACTIONS: Record<FlowNodeType, FlowPlanAction> = {
  tool: 'CreatePod',
  agent: 'CreateAgentRun',
  model: 'CallModel',
  approval: 'WaitForApproval',
  verify: 'Verify',
  flow: 'CreateFlow',
};

/**
 * Node types this version's Flow controller runs. A flow with any other node type is planned
 * (so a person sees the plan) but Stalled before anything runs; `agentlab plan` says so too.
 */
export const RUNNABLE_NODE_TYPES: readonly FlowNodeType[] = ['tool', 'model', 'agent', 'approval', 'verify', 'flow'];

const MAX_NAME = 253;

/**
 * A deterministic child name `<flow>-<parts...>`, so a restarted operator finds what it created
 * instead of creating it twice. Names longer than an object name allows (253) keep a prefix of
 * the flow name and a hash of the whole.
 */
export function flowChildName(flow: string, ...parts: (string | number)[]): string {
  const suffix = parts.map(String).join('-');
  const full = `${flow}-${suffix}`;
  if (full.length <= MAX_NAME) return full;
  const hash = createHash('sha256').update(full).digest('hex').slice(0, 10);
  const keep = Math.max(1, MAX_NAME - suffix.length - hash.length - 2);
  return `${flow.slice(0, keep).replace(/[-.]+$/, '')}-${hash}-${suffix}`.slice(0, MAX_NAME);
}

/** The pod of one attempt (from 1) of a tool node. */
export const toolPodName = (flow: string, node: string, attempt: number) => flowChildName(flow, node, attempt);
/**
 * The AgentRun (or the child Flow of a flow node) of one attempt (from 1) of an agent node: `<flow>-<node>` for the first (the name
 * status.plan shows), `<flow>-<node>-<attempt>` for retries. At most 63 characters (an AgentRun's
 * name is a label value on its children): longer names keep a prefix and a hash of the whole.
 */
export function agentRunName(flow: string, node: string, attempt: number): string {
  const full = attempt === 1 ? flowChildName(flow, node) : flowChildName(flow, node, attempt);
  if (full.length <= 63) return full;
  const hash = createHash('sha256').update(full).digest('hex').slice(0, 10);
  const tail = attempt === 1 ? '' : `-${attempt}`;
  return `${full.slice(0, 63 - hash.length - tail.length - 1).replace(/[-.]+$/, '')}-${hash}${tail}`;
}
/** The ConfigMap holding a node's outputs in full when one is larger than status allows. */
export const outputsConfigMapName = (flow: string, node: string) => flowChildName(flow, node, 'outputs');
/**
 * The Flow's own router token (ADR 0013), used for its model nodes: `<flow>-router-token-flow`,
 * never an AgentRun's `<run>-router-token` (whatever the names, neither suffix ends the other), so
 * an AgentRun and a Flow of the same name have a token each.
 */
export const flowTokenSecretName = (flow: string) => flowChildName(flow, 'router-token-flow');

/** The child status.plan names for a node, as `Kind/name` (undefined when the node creates none). */
function plannedChild(flow: string, node: FlowNode): string | undefined {
  switch (node.type) {
    case 'tool': return `Pod/${toolPodName(flow, node.id, 1)}`;
    case 'agent': return `AgentRun/${agentRunName(flow, node.id, 1)}`;
    case 'flow': return `Flow/${agentRunName(flow, node.id, 1)}`;
    default: return undefined;
  }
}

export interface FlowPlanResult {
  /** status.plan: every node in wave order then spec order; empty when errors is not. */
  plan: FlowPlanEntry[];
  /** The graph's problems (planFlow's); a flow with any is not run. */
  errors: GraphProblem[];
  /** Nodes of types this version does not run, with their field paths; empty for a runnable flow. */
  unsupported: GraphProblem[];
}

/**
 * The plan of a Flow named `flow`: planFlow's waves with the action and the child of each node,
 * the graph's problems, and the nodes this version cannot run. Pure: the controller writes it
 * to status.plan and `agentlab plan` prints it from a file.
 */
export function planFlowRun(flow: string, spec: FlowSpec): FlowPlanResult {
  const { waves, errors } = planFlow(spec);
  const byId = new Map((spec.nodes ?? []).map((n) => [n.id, n]));
  const plan: FlowPlanEntry[] = waves.map(({ node, wave }) => {
    const n = byId.get(node)!;
    const entry: FlowPlanEntry = { node, wave, action: PLAN_ACTIONS[n.type] };
    const child = plannedChild(flow, n);
    if (child) entry.child = child;
    return entry;
  });
  const unsupported: GraphProblem[] = [];
  (spec.nodes ?? []).forEach((n, i) => {
    if (!RUNNABLE_NODE_TYPES.includes(n.type)) {
      unsupported.push({ field: `spec.nodes[${i}].type`, message: `node "${n.id}" is of type ${n.type}, which this version of the Flow controller does not run yet (it runs ${RUNNABLE_NODE_TYPES.join(', ')} nodes)` });
    }
  });
  const textProblems = modelFormatProblems(spec);
  return { plan: errors.length > 0 || textProblems.length > 0 ? [] : plan, errors: [...errors, ...textProblems], unsupported };
}

/**
 * A model node with format text fills exactly one output with the answer: more than one
 * declared output needs format json (one key per output).
 */
function modelFormatProblems(spec: FlowSpec): GraphProblem[] {
  const problems: GraphProblem[] = [];
  (spec.nodes ?? []).forEach((n, i) => {
    if (n.type !== 'model' || (n.model?.format ?? 'text') !== 'text') return;
    const outputs = n.outputs ?? [];
    if (outputs.length > 1) {
      problems.push({ field: `spec.nodes[${i}].outputs`, message: `a model node with format text puts its answer in one output, but ${outputs.length} are declared; declare one, or set model.format: json to get one JSON key per output` });
    }
    const file = outputs.findIndex((o) => o.type === 'file');
    if (file >= 0) problems.push({ field: `spec.nodes[${i}].outputs[${file}].type`, message: 'a model node cannot produce a file output; use string or json' });
  });
  return problems;
}

/** JSON with object keys sorted, so equal values always hash alike. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** A node without a person's decision on it (approval decision, decidedBy, reason): deciding does not change the plan. */
function withoutDecision(node: FlowNode): FlowNode {
  if (!node.approval) return node;
  const { decision: _d, decidedBy: _b, reason: _r, ...approval } = node.approval;
  return { ...node, approval };
}

/**
 * The plan digest: `sha256:` and the first 16 hex digits of a hash over the plan and the parts
 * of the spec that decide what runs (nodes, params, lane, sensitive). Changing mode, suspend,
 * schedule, description, spec.approval or an approval node's decision does not change it; changing a prompt, an image or an edge does.
 */
export function flowPlanDigest(spec: FlowSpec, plan: readonly FlowPlanEntry[]): string {
  const relevant = { plan, nodes: (spec.nodes ?? []).map(withoutDecision), params: spec.params ?? [], lane: spec.lane ?? '', sensitive: spec.sensitive ?? false };
  return `sha256:${createHash('sha256').update(canonicalJson(relevant)).digest('hex').slice(0, 16)}`;
}
