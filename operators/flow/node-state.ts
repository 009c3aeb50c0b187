import type { FlowNode, FlowStatus } from '../api/generated/flow.js';

export type NodeStatus = NonNullable<FlowStatus['nodes']>[number];
export type NodePhase = NonNullable<NodeStatus['phase']>;

/** What became of the current attempt of a node, as observed (a tool's pod, a model call). */
export type AttemptResult =
  | { kind: 'absent' }
  | { kind: 'running'; detail?: string }
  /** An approval node waiting for a person; `message` replaces the node's message when set. */
  | { kind: 'awaiting'; message?: string }
  /** `decidedBy`: the verified person who approved an approval node; `message` replaces "succeeded". */
  | { kind: 'succeeded'; outputs: Record<string, string>; totalTokens?: number; decidedBy?: string; message?: string; health?: 'Yellow' }
  /** `final`: retrying cannot help (outputs of the wrong type); the node fails at once. */
  | { kind: 'failed'; message: string; final?: boolean; decidedBy?: string; totalTokens?: number };

/** Why no new node may start. */
export type Hold = { kind: 'none' } | { kind: 'suspended' } | { kind: 'failing'; node: string };

export interface NodeInput {
  node: FlowNode;
  status: NodeStatus | undefined;
  /** Phases of the nodes it depends on (undefined: not started). */
  deps: { id: string; phase: NodePhase | undefined }[];
  hold: Hold;
  /** The current attempt's result (status.attempts; ignored before the first attempt). */
  attempt: AttemptResult;
  now: Date;
  /** First retry delay; doubles per attempt, capped at MAX_BACKOFF_MS. */
  backoffMs: number;
}

export interface NodeEvent { type: 'Normal' | 'Warning'; reason: string; message: string }

export interface NodeDecision {
  status: NodeStatus;
  /** The attempt that should be running now (create its pod / make its call, idempotently). */
  run?: number;
  /** Come back after this long (a retry's back-off). */
  requeueAfterMs?: number;
  event?: NodeEvent;
}

export const MAX_BACKOFF_MS = 5 * 60_000;
const TERMINAL: readonly NodePhase[] = ['Succeeded', 'Failed', 'Skipped'];

export const isTerminal = (phase: NodePhase | undefined) => phase !== undefined && TERMINAL.includes(phase);

/** Delay before attempt `next` (2, 3, ...): backoffMs doubling per failed attempt, capped at 5 minutes. */
export function retryDelayMs(next: number, backoffMs: number): number {
  return Math.min(backoffMs * 2 ** Math.max(0, next - 2), MAX_BACKOFF_MS);
}

/**
 * One node's next state: wait for dependencies, start the first attempt, follow the current one,
 * retry a failed attempt after its back-off while `retries` allow, and finish. Pure: the
 * controller observes the attempt and does what the decision says.
 */
export function decideNode(input: NodeInput): NodeDecision {
  const { node, deps, hold, attempt, now } = input;
  const status: NodeStatus = { ...(input.status ?? { id: node.id }), id: node.id };
  if (isTerminal(status.phase)) return { status };
  const at = now.toISOString();
  const attempts = status.attempts ?? 0;
  const maxAttempts = 1 + (node.retries ?? 0);

  if (attempts === 0) {
    const blocked = deps.find((d) => d.phase === 'Failed' || d.phase === 'Skipped');
    if (blocked) return { status: { ...status, phase: 'Skipped', health: undefined, finishedAt: at, message: `not run: node "${blocked.id}" did not succeed` } };
    if (hold.kind === 'failing') return { status: { ...status, phase: 'Skipped', finishedAt: at, message: `not run: node "${hold.node}" failed` } };
    const waiting = deps.filter((d) => d.phase !== 'Succeeded').map((d) => d.id);
    if (waiting.length > 0) return { status: { ...status, phase: 'Pending', message: `waiting for ${waiting.join(', ')}` } };
    if (hold.kind === 'suspended') return { status: { ...status, phase: 'Pending', message: 'suspended: the flow starts no new nodes' } };
    return start(status, 1, maxAttempts, at);
  }

  switch (attempt.kind) {
    case 'awaiting':
      if (hold.kind === 'failing') return { status: { ...status, phase: 'Skipped', health: undefined, finishedAt: at, message: `not decided: node "${hold.node}" failed` } };
      return { status: { ...status, phase: 'AwaitingApproval', health: 'Yellow', message: truncate(attempt.message ?? status.message ?? 'waiting for a person') } };
    case 'absent':
    case 'running':
      return { status: { ...status, phase: 'Running', ...(status.retryAt ? {} : { health: 'Green' as const }), message: attemptMessage(attempts, maxAttempts, attempt.kind === 'running' ? attempt.detail : undefined) }, run: attempts };
    case 'succeeded': {
      const done: NodeStatus = { ...status, phase: 'Succeeded', health: attempt.health ?? 'Green', finishedAt: at, message: truncate(attempt.message ?? (attempts > 1 ? `succeeded on attempt ${attempts}` : 'succeeded')), outputs: attempt.outputs };
      delete done.retryAt;
      if (attempt.decidedBy) done.decidedBy = attempt.decidedBy;
      if (attempt.totalTokens !== undefined) done.totalTokens = attempt.totalTokens;
      return { status: done, event: { type: 'Normal', reason: 'NodeSucceeded', message: `node ${node.id} succeeded${attempts > 1 ? ` on attempt ${attempts}` : ''}` } };
    }
    case 'failed': {
      if (attempt.final || attempts >= maxAttempts) {
        const failed: NodeStatus = { ...status, phase: 'Failed', health: 'Red', finishedAt: at, message: truncate(attempts > 1 ? `failed after ${attempts} attempts: ${attempt.message}` : `failed: ${attempt.message}`) };
        delete failed.retryAt;
        if (attempt.decidedBy) failed.decidedBy = attempt.decidedBy;
        if (attempt.totalTokens !== undefined) failed.totalTokens = attempt.totalTokens;
        return { status: failed, event: { type: 'Warning', reason: 'NodeFailed', message: truncate(`node ${node.id} ${failed.message}`) } };
      }
      if (hold.kind !== 'none') {
        // No new attempt while the flow is suspended or failing; the failure stands.
        if (hold.kind === 'failing') return { status: { ...status, phase: 'Failed', health: 'Red', finishedAt: at, message: truncate(`failed: ${attempt.message} (not retried: node "${hold.node}" failed)`) } };
        return { status: { ...status, health: 'Yellow', message: truncate(`attempt ${attempts} failed: ${attempt.message}; suspended, retried on resume`) } };
      }
      if (!status.retryAt) {
        const retryAt = new Date(now.getTime() + retryDelayMs(attempts + 1, input.backoffMs));
        const message = truncate(`attempt ${attempts} of ${maxAttempts} failed: ${attempt.message}; retrying at ${retryAt.toISOString()}`);
        return {
          status: { ...status, phase: 'Running', health: 'Yellow', retryAt: retryAt.toISOString(), message },
          requeueAfterMs: retryAt.getTime() - now.getTime(),
          event: { type: 'Warning', reason: 'NodeRetrying', message: truncate(`node ${node.id} ${message}`) },
        };
      }
      const wait = Date.parse(status.retryAt) - now.getTime();
      if (wait > 0) return { status, requeueAfterMs: wait };
      const next = start(status, attempts + 1, maxAttempts, status.startedAt ?? at);
      next.status.health = 'Yellow'; // it has failed before
      return next;
    }
  }
}

function start(status: NodeStatus, attempt: number, maxAttempts: number, startedAt: string): NodeDecision {
  const next: NodeStatus = { ...status, phase: 'Running', health: attempt > 1 ? 'Yellow' : 'Green', attempts: attempt, startedAt, message: attemptMessage(attempt, maxAttempts) };
  delete next.retryAt;
  return { status: next, run: attempt, event: { type: 'Normal', reason: 'NodeStarted', message: `node ${status.id} attempt ${attempt} of ${maxAttempts} started` } };
}

function attemptMessage(attempt: number, max: number, detail?: string): string {
  return truncate(`attempt ${attempt} of ${max} running${detail ? `: ${detail}` : ''}`);
}

/** status.nodes[].message is at most 1024 characters. */
export function truncate(text: string, max = 1024): string {
  return text.length <= max ? text : `${text.slice(0, max - 3)}...`;
}
