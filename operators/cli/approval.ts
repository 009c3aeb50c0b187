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
};

/** `agentrun/<name>` -> the resource; anything else is a usage error naming what is accepted. */
export function parseTarget(arg: string | undefined): { plural: string; kind: string; name: string } {
  if (!arg) throw new UsageError('expected <kind>/<name>, e.g. agentrun/fix-flaky-test');
  const i = arg.indexOf('/');
  if (i <= 0 || i === arg.length - 1) throw new UsageError(`"${arg}" is not <kind>/<name>, e.g. agentrun/fix-flaky-test`);
  const kind = KINDS[arg.slice(0, i).toLowerCase()];
  if (!kind) throw new UsageError(`"${arg.slice(0, i)}" has no approval gate: approve and reject work on agentrun/<name>`);
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
