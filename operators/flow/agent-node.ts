import type { FlowNode } from '../api/generated/flow.js';
import type { AgentRunSpec, AgentRunStatus } from '../api/generated/agentrun.js';
import type { KubeObject } from '../runtime/kube.js';
import type { AttemptResult } from './node-state.js';
import { declaredOutputs, modelOutputs } from './outputs.js';
import { FLOW_LABEL, NODE_LABEL } from './tool-pod.js';

interface AgentRunLike extends KubeObject {
  status?: AgentRunStatus;
}

/** How an agent node's result maps to its outputs: one declared output takes the whole answer; several, one JSON key each. */
export const agentOutputFormat = (node: FlowNode): 'text' | 'json' => (declaredOutputs(node).length > 1 ? 'json' : 'text');

/**
 * The child AgentRun of one attempt of an agent node: the node's agent block with its task
 * substituted, in the flow's lane and sensitivity. The node's timeout becomes the run's
 * limits.timeout. With several declared outputs the task ends with an instruction to answer
 * with one JSON object holding them (the result is read key by key when the run succeeds).
 */
export function desiredAgentRun(args: {
  flow: { name: string; namespace: string; lane?: string; sensitive?: boolean };
  node: FlowNode;
  name: string;
  task: string;
  systemPrompt?: string;
}): KubeObject & { spec: AgentRunSpec } {
  const { flow, node } = args;
  const a = node.agent!;
  let task = args.task;
  if (agentOutputFormat(node) === 'json') {
    const keys = declaredOutputs(node).map((o) => `"${o.name}" (${o.type})`).join(', ');
    task = `${task}\n\nEnd with your final answer as one JSON object and nothing else. Its keys: ${keys}.`;
  }
  const spec: AgentRunSpec = { task };
  if (args.systemPrompt) spec.systemPrompt = args.systemPrompt;
  if (a.model) spec.model = a.model;
  if (flow.lane) spec.lane = flow.lane;
  if (flow.sensitive) spec.sensitive = true;
  if (a.tools?.length) spec.tools = a.tools as AgentRunSpec['tools'];
  if (node.timeout) spec.limits = { timeout: node.timeout };
  const labels: Record<string, string> = { [NODE_LABEL]: node.id };
  if (flow.name.length <= 63) labels[FLOW_LABEL] = flow.name;
  return {
    apiVersion: 'agentlab.dev/v1alpha1', kind: 'AgentRun',
    metadata: { name: args.name, namespace: flow.namespace, labels },
    spec,
  };
}

/** The Ready condition's message of a finished run: why it ended. */
function endMessage(run: AgentRunLike): string {
  const ready = run.status?.conditions?.find((c) => c.type === 'Ready');
  return ready?.message ?? `the run ended ${run.status?.phase}`;
}

/**
 * What became of an attempt's AgentRun (read from the cache): not there yet, running (with its
 * phase), Succeeded with status.result as the node's outputs and its token usage, or
 * Failed/Cancelled with the run's own reason.
 */
export function agentAttemptResult(node: FlowNode, name: string, run: AgentRunLike | undefined): AttemptResult {
  if (!run) return { kind: 'absent' };
  const s = run.status ?? {};
  switch (s.phase) {
    case 'Succeeded': {
      const checked = modelOutputs(node, s.result ?? '', agentOutputFormat(node));
      if ('error' in checked) return { kind: 'failed', message: `AgentRun ${name}: ${checked.error}`, final: true };
      return { kind: 'succeeded', outputs: checked.outputs, totalTokens: s.usage?.totalTokens ?? 0 };
    }
    case 'Failed':
    case 'Cancelled':
      return { kind: 'failed', message: `AgentRun ${name} ${s.phase === 'Failed' ? 'failed' : 'was cancelled'}: ${endMessage(run)}` };
    default:
      return { kind: 'running', detail: `AgentRun ${name} is ${s.phase ?? 'Pending'}` };
  }
}

/** Cost of an agent node's run in US dollars (status.usage.costUSD), 0 when not reported yet. */
export function agentRunCost(run: AgentRunLike | undefined): number {
  const c = Number(run?.status?.usage?.costUSD ?? 0);
  return Number.isFinite(c) && c > 0 ? c : 0;
}
