/**
 * Pure parts of `agentlab approve|reject`: which object, the one merge patch that records the
 * decision, what the current state allows, and the words for a refusal.
 */
import { UsageError } from './command.js';

export type Decision = 'Approved' | 'Rejected';

/** Kinds with an approval gate, by the names kubectl accepts for them. */
const KINDS: Record<string, { plural: string; kind: string }> = {
  agentrun: { plural: 'agentruns', kind: 'AgentRun' },
  agentruns: { plural: 'agentruns', kind: 'AgentRun' },
  'agentrun.agentlab.dev': { plural: 'agentruns', kind: 'AgentRun' },
  'agentruns.agentlab.dev': { plural: 'agentruns', kind: 'AgentRun' },
  flow: { plural: 'flows', kind: 'Flow' },
  flows: { plural: 'flows', kind: 'Flow' },
  fl: { plural: 'flows', kind: 'Flow' },
  'flow.agentlab.dev': { plural: 'flows', kind: 'Flow' },
  'flows.agentlab.dev': { plural: 'flows', kind: 'Flow' },
};

/** `agentrun/<name>` -> the resource; anything else is a usage error naming what is accepted. */
export function parseTarget(arg: string | undefined): { plural: string; kind: string; name: string } {
  if (!arg) throw new UsageError('expected <kind>/<name>, e.g. agentrun/fix-flaky-test');
  const i = arg.indexOf('/');
  if (i <= 0 || i === arg.length - 1) throw new UsageError(`"${arg}" is not <kind>/<name>, e.g. agentrun/fix-flaky-test`);
  const kind = KINDS[arg.slice(0, i).toLowerCase()];
  if (!kind) throw new UsageError(`"${arg.slice(0, i)}" has no approval gate: approve and reject work on agentrun/<name> and flow/<name>`);
  return { ...kind, name: arg.slice(i + 1) };
}

/** The merge patch: decision, who decided (the current user) and why, in one write. */
export function approvalPatch(decision: Decision, user: string, reason?: string): Record<string, unknown> {
  return { spec: { approval: { decision, decidedBy: user, ...(reason ? { reason } : {}) } } };
}

interface ApprovalSpec { required?: boolean; decision?: string; decidedBy?: string }

/** Why the object cannot take a decision now, or undefined when it can. */
export function cannotDecide(kind: string, name: string, approval: ApprovalSpec | undefined, decision: Decision): string | undefined {
  if (!approval || approval.required === false) {
    return `${kind.toLowerCase()}/${name} does not wait for approval (spec.approval.required is not true)`;
  }
  if (approval.decision === decision) return undefined;
  if (approval.decision) {
    return `${kind.toLowerCase()}/${name} is already ${approval.decision}${approval.decidedBy ? ` by ${approval.decidedBy}` : ''}; a decision cannot be changed`;
  }
  return undefined;
}

/** What to tell the person when the API refuses the patch. */
export function explainRefusal(code: number, message: string, ctx: { kind: string; plural: string; name: string; namespace: string; user: string }): string {
  const target = `${ctx.kind.toLowerCase()}/${ctx.name}`;
  if (code === 404) return `${target} not found in namespace ${ctx.namespace}`;
  if (code === 403 || code === 422) {
    if (message.includes("ValidatingAdmissionPolicy 'agentlab-approvals'")) {
      return `you (${ctx.user}) are not allowed to approve ${target}: ask for the agentlab-approver role in namespace ${ctx.namespace} ` +
        `(or to be listed in spec.approval.approvers). The cluster said: ${message}`;
    }
    if (code === 403) {
      return `you (${ctx.user}) may not change ${ctx.plural} in namespace ${ctx.namespace}: ask for the agentlab-approver role there. The cluster said: ${message}`;
    }
  }
  return message;
}

/** What of a Flow a decision goes to: its plan gate (with the digest decided on) or one approval node. */
export type FlowDecisionTarget =
  | { kind: 'gate'; planDigest: string }
  | { kind: 'node'; index: number; id: string }
  | { error: string };

interface FlowLike {
  spec?: { approval?: { required?: boolean; decision?: string; decidedBy?: string; planDigest?: string }; nodes?: { id: string; type: string; approval?: { decision?: string; decidedBy?: string } }[] };
  status?: { phase?: string; planDigest?: string; startTime?: string; nodes?: { id: string; phase?: string }[] };
}

/**
 * Where `agentlab approve|reject flow/<name> [--node <id>] [--digest <d>]` writes: the named
 * approval node; else the plan gate while it waits (the digest given, or the one in status,
 * which the person is shown); else the one approval node waiting for a person. An error says
 * what is waiting instead and which flag picks it.
 */
export function flowDecisionTarget(name: string, flow: FlowLike, decision: Decision, opts: { node?: string; digest?: string }): FlowDecisionTarget {
  const nodes = flow.spec?.nodes ?? [];
  const phases = new Map((flow.status?.nodes ?? []).map((n) => [n.id, n.phase]));
  const decided = (a: { decision?: string; decidedBy?: string } | undefined, what: string) =>
    a?.decision && a.decision !== decision ? `${what} is already ${a.decision}${a.decidedBy ? ` by ${a.decidedBy}` : ''}; a decision cannot be changed` : undefined;
  if (opts.node !== undefined) {
    const index = nodes.findIndex((n) => n.id === opts.node);
    if (index < 0) return { error: `flow/${name} has no node "${opts.node}" (nodes: ${nodes.map((n) => n.id).join(', ')})` };
    if (nodes[index].type !== 'approval') return { error: `node "${opts.node}" of flow/${name} is a ${nodes[index].type} node; only approval nodes take a decision` };
    const why = decided(nodes[index].approval, `node "${opts.node}" of flow/${name}`);
    return why ? { error: why } : { kind: 'node', index, id: opts.node };
  }
  const gate = flow.spec?.approval;
  const started = flow.status?.startTime !== undefined;
  if (gate?.required && !started) {
    const digest = opts.digest ?? flow.status?.planDigest;
    if (!digest) return { error: `flow/${name} has no plan yet (status.planDigest is empty): wait for the operator to plan it (agentlab plan -n <ns> flow/${name})` };
    if (gate.decision && gate.planDigest === digest) {
      const why = decided(gate, `the plan ${digest} of flow/${name}`);
      if (why) return { error: why };
    }
    return { kind: 'gate', planDigest: digest };
  }
  const waiting = nodes.map((n, index) => ({ n, index })).filter(({ n }) => n.type === 'approval' && phases.get(n.id) === 'AwaitingApproval' && !n.approval?.decision);
  if (waiting.length === 1) return { kind: 'node', index: waiting[0].index, id: waiting[0].n.id };
  if (waiting.length > 1) return { error: `flow/${name} has ${waiting.length} approval nodes waiting (${waiting.map(({ n }) => n.id).join(', ')}): pick one with --node <id>` };
  return { error: `flow/${name} waits for no approval (no plan gate waiting, no approval node AwaitingApproval); --node <id> decides an approval node before it waits` };
}

/** The plan gate's merge patch: the digest decided on, decision, who and why, in one write. */
export function flowGatePatch(decision: Decision, user: string, planDigest: string, reason?: string): Record<string, unknown> {
  return { spec: { approval: { planDigest, decision, decidedBy: user, ...(reason ? { reason } : {}) } } };
}

/**
 * An approval node's JSON patch (spec.nodes is a list): a test that the index still holds that
 * node, so a concurrent edit of the list cannot put the decision on another node.
 */
export function flowNodePatch(index: number, id: string, decision: Decision, user: string, reason?: string): Record<string, unknown>[] {
  const base = `/spec/nodes/${index}/approval`;
  return [
    { op: 'test', path: `/spec/nodes/${index}/id`, value: id },
    { op: 'add', path: `${base}/decision`, value: decision },
    { op: 'add', path: `${base}/decidedBy`, value: user },
    ...(reason ? [{ op: 'add', path: `${base}/reason`, value: reason }] : []),
  ];
}
