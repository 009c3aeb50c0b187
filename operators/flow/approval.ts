import type { FlowNode, FlowSpec, FlowStatus } from '../api/generated/flow.js';
import type { AttemptResult } from './node-state.js';

/** The admission policy (and binding) that verify decidedBy; see docs/agents.md "Approvals". */
export const APPROVAL_POLICY = 'agentlab-approvals';
export type PolicyState = 'installed' | 'missing';

const POLICY_MISSING = `approval policy ${APPROVAL_POLICY} is not installed, so a decision could not be verified: install the chart (templates/approval-policy.yaml) or apply its ValidatingAdmissionPolicy and ValidatingAdmissionPolicyBinding ${APPROVAL_POLICY}`;

export type GateVerdict =
  | { kind: 'notRequired' }
  | { kind: 'policyMissing'; message: string }
  /** No (current) decision: `refused` explains an approval that does not count (another digest). */
  | { kind: 'waiting'; message: string; refused?: string }
  | { kind: 'approved' | 'rejected'; record: NonNullable<FlowStatus['approval']> };

/**
 * Where a flow stands at its plan gate (spec.approval.required): the run starts only on an
 * Approved decision for the plan digest the operator computes now, made by a verified person
 * (decidedBy, checked by the admission policy, which must be installed). A decision for another
 * digest — the spec changed after the person looked — is refused, and the gate keeps waiting.
 */
export function planGateVerdict(flow: { name: string; namespace: string }, spec: FlowSpec, digest: string, prev: FlowStatus['approval'], policy: PolicyState, now: Date): GateVerdict {
  const a = spec.approval;
  if (!a?.required) return { kind: 'notRequired' };
  if (policy === 'missing') return { kind: 'policyMissing', message: `spec.approval.required: ${POLICY_MISSING}` };
  const who = a.approvers?.length ? ` (approvers: ${a.approvers.join(', ')})` : '';
  const how = `approve plan ${digest}${who}: kubectl -n ${flow.namespace} patch flow ${flow.name} --type=merge -p '{"spec":{"approval":{"planDigest":"${digest}","decision":"Approved","decidedBy":"<your user name>"}}}'`;
  if (!a.decision) return { kind: 'waiting', message: `waiting for a person to ${how}` };
  if (!a.decidedBy) return { kind: 'waiting', message: `spec.approval.decision is ${a.decision} but spec.approval.decidedBy is empty, so who decided is unknown; ${how}`, refused: 'spec.approval.decidedBy is empty' };
  if (a.planDigest !== digest) {
    const refused = `the ${a.decision === 'Approved' ? 'approval' : 'rejection'} by ${a.decidedBy} is for plan ${a.planDigest ?? '(none: spec.approval.planDigest is empty)'}, but the plan is now ${digest} (the spec changed since)`;
    return { kind: 'waiting', refused, message: `${refused}: refused; ${how}` };
  }
  const same = prev?.decision === a.decision && prev?.decidedBy === a.decidedBy && prev?.planDigest === digest;
  const record: NonNullable<FlowStatus['approval']> = {
    decision: a.decision, decidedBy: a.decidedBy, planDigest: digest,
    decidedAt: same && prev?.decidedAt ? prev.decidedAt : now.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    ...(a.reason ? { reason: a.reason } : {}),
  };
  return { kind: a.decision === 'Approved' ? 'approved' : 'rejected', record };
}

/**
 * An approval node's attempt: waiting for a decision (AwaitingApproval), Approved (succeeds, no
 * outputs), Rejected (fails the node at once, naming who and why). A decision counts only with
 * decidedBy set and the admission policy installed. `timedOut` when the node's timeout passed
 * without a decision.
 */
export function approvalNodeResult(node: FlowNode, index: number, policy: PolicyState, timedOut: string | undefined): AttemptResult {
  const a = node.approval ?? {};
  const field = `spec.nodes[${index}].approval`;
  if (a.decision && a.decidedBy) {
    if (policy === 'missing') return { kind: 'awaiting', message: `${field}.decision: ${POLICY_MISSING}` };
    const why = a.reason ? `: ${a.reason}` : '';
    if (a.decision === 'Approved') return { kind: 'succeeded', outputs: {}, decidedBy: a.decidedBy, message: `approved by ${a.decidedBy}${why}` };
    return { kind: 'failed', final: true, decidedBy: a.decidedBy, message: `rejected by ${a.decidedBy}${why}` };
  }
  if (timedOut) return { kind: 'failed', final: true, message: `no decision within ${timedOut} (timeout)` };
  if (a.decision) return { kind: 'awaiting', message: `${field}.decision is ${a.decision} but decidedBy is empty, so who decided is unknown: set decision and decidedBy (your user name) together` };
  return { kind: 'awaiting' };
}

/** How to approve an approval node, for its message. */
export function approvalHowTo(flow: { name: string; namespace: string }, node: FlowNode, index: number, text: string | undefined): string {
  const who = node.approval?.approvers?.length ? ` (approvers: ${node.approval.approvers.join(', ')})` : '';
  const patch = `kubectl -n ${flow.namespace} patch flow ${flow.name} --type=json -p '[{"op":"add","path":"/spec/nodes/${index}/approval/decision","value":"Approved"},{"op":"add","path":"/spec/nodes/${index}/approval/decidedBy","value":"<your user name>"}]'`;
  return `waiting for a person${who}${text ? `: ${text}` : ''}; approve with ${patch}`;
}
