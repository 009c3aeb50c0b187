import type { FlowStatus } from '../api/generated/flow.js';
import type { FlowPlanEntry } from '../model/graph/index.js';
import type { Outcome } from '../runtime/outcome.js';
import { isTerminal, type NodeStatus } from './node-state.js';

export type FlowPhase = NonNullable<FlowStatus['phase']>;

/**
 * The flow's phase from its nodes: Succeeded when every node succeeded; Failed once every node
 * is finished and one failed (a failure starts no new node, running ones finish first);
 * Suspended when suspended with nothing running; AwaitingApproval when nothing runs and an
 * approval node waits for a person; Running otherwise.
 */
export function flowPhase(nodes: readonly NodeStatus[], suspended: boolean): FlowPhase {
  if (nodes.every((n) => isTerminal(n.phase))) return nodes.every((n) => n.phase === 'Succeeded') ? 'Succeeded' : 'Failed';
  const running = nodes.some((n) => n.phase === 'Running');
  if (suspended && !running) return 'Suspended';
  if (!running && nodes.some((n) => n.phase === 'AwaitingApproval')) return 'AwaitingApproval';
  return 'Running';
}

/** Finished nodes out of all nodes, e.g. 2/3 (status.progress). */
export function progressOf(nodes: readonly NodeStatus[]): string {
  return `${nodes.filter((n) => isTerminal(n.phase)).length}/${nodes.length}`;
}

/** What the runtime makes of the flow's phase: Ready, Reconciling or Stalled with a message naming the nodes. */
export function flowOutcome(phase: FlowPhase | undefined, nodes: readonly NodeStatus[], plan: readonly FlowPlanEntry[]): Outcome {
  const ordered = plan.map((p) => nodes.find((n) => n.id === p.node)).filter((n): n is NodeStatus => n !== undefined);
  switch (phase) {
    case 'Succeeded':
      return { kind: 'ready', reason: 'Succeeded', message: `all ${plan.length} nodes succeeded` };
    case 'Failed': {
      const failed = ordered.filter((n) => n.phase === 'Failed');
      const first = failed[0];
      const message = first ? `node ${first.id} ${first.message ?? 'failed'}${failed.length > 1 ? ` (also failed: ${failed.slice(1).map((n) => n.id).join(', ')})` : ''}` : 'the flow failed';
      return { kind: 'stalled', reason: 'NodeFailed', message };
    }
    case 'AwaitingApproval': {
      const waiting = ordered.filter((n) => n.phase === 'AwaitingApproval');
      return { kind: 'progressing', reason: 'WaitingForApproval', message: truncateMessage(`node ${waiting.map((n) => n.id).join(', ')} ${waiting[0]?.message ?? 'waiting for a person'}`) };
    }
    case 'Suspended':
      return { kind: 'progressing', reason: 'Suspended', message: `suspended after ${progressOf(ordered)} nodes: set spec.suspend to false to continue` };
    default: {
      const running = ordered.filter((n) => n.phase === 'Running').map((n) => (n.retryAt ? `${n.id} (retrying)` : n.id));
      const failing = ordered.find((n) => n.phase === 'Failed');
      const prefix = failing ? `node ${failing.id} failed; waiting for running nodes to finish` : `${progressOf(ordered)} nodes done`;
      return { kind: 'progressing', reason: 'Running', message: `${prefix}${running.length > 0 ? `; running: ${running.join(', ')}` : ''}` };
    }
  }
}

const truncateMessage = (text: string) => (text.length <= 32768 ? text : `${text.slice(0, 32765)}...`);
