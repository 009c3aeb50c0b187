import type { AgentRunStatus } from '../api/generated/agentrun.js';
import type { AgentRun } from './types.js';

/** The admission policy (and binding) that verify spec.approval; see docs/agents.md "Approvals". */
export const APPROVAL_POLICY = 'agentlab-approvals';

export type PolicyState = 'installed' | 'missing';

export type ApprovalVerdict =
  | { kind: 'notRequired' }
  | { kind: 'policyMissing'; message: string }
  | { kind: 'waiting'; message: string }
  | { kind: 'unverified'; message: string }
  | { kind: 'approved' | 'rejected'; record: NonNullable<AgentRunStatus['approval']> };

/** Labels Flux's kustomize-controller puts on everything it applies. */
const FLUX_NAME = 'kustomize.toolkit.fluxcd.io/name';
const FLUX_NAMESPACE = 'kustomize.toolkit.fluxcd.io/namespace';

/**
 * Where a run stands at its approval gate. A decision counts only while the admission policy
 * that verifies decidedBy is installed: without it anyone who may edit the run could write any
 * name. The record keeps its first decidedAt (the status is rewritten on every change).
 */
export function approvalVerdict(run: Pick<AgentRun, 'metadata' | 'spec' | 'status'>, policy: PolicyState, now: Date): ApprovalVerdict {
  const a = run.spec?.approval;
  if (!a || a.required === false) return { kind: 'notRequired' };
  if (policy === 'missing') {
    return { kind: 'policyMissing', message: `spec.approval.required: approval policy ${APPROVAL_POLICY} is not installed, so a decision could not be verified: install the chart (templates/approval-policy.yaml) or apply its ValidatingAdmissionPolicy and ValidatingAdmissionPolicyBinding ${APPROVAL_POLICY}` };
  }
  const who = a.approvers?.length ? ` (approvers: ${a.approvers.join(', ')})` : '';
  if (!a.decision) return { kind: 'waiting', message: `waiting for a person to approve or reject${who}: agentlab approve agentrun/${run.metadata?.name} -n ${run.metadata?.namespace}` };
  if (!a.decidedBy) {
    return { kind: 'unverified', message: `spec.approval.decision is ${a.decision} but spec.approval.decidedBy is empty, so who decided is unknown (set before ${APPROVAL_POLICY} was installed?); create a new AgentRun and decide with agentlab approve` };
  }
  const labels = run.metadata?.labels ?? {};
  const flux = labels[FLUX_NAME] !== undefined;
  const prev = run.status?.approval;
  const same = prev?.decision === a.decision && prev?.decidedBy === a.decidedBy;
  const record: NonNullable<AgentRunStatus['approval']> = {
    decision: a.decision,
    decidedBy: a.decidedBy,
    decidedAt: same && prev?.decidedAt ? prev.decidedAt : now.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    via: flux ? 'flux' : 'kubectl',
    ...(flux ? { source: `${labels[FLUX_NAMESPACE] ?? ''}/${labels[FLUX_NAME]}` } : {}),
    ...(a.reason ? { reason: a.reason } : {}),
  };
  return { kind: a.decision === 'Approved' ? 'approved' : 'rejected', record };
}
