import type { HardwareStep, StepStatus } from './types.js';
import { APPROVAL_POLICY, type PolicyState } from './human.js';

export type ApprovalVerdict =
  | { kind: 'notRequired' }
  | { kind: 'waiting'; message: string }
  /** `via`/`url`: a decision from the task's issue (github or forgejo, the comment); kubectl otherwise. */
  | { kind: 'approved'; decidedBy: string; decidedAt: string; via?: string; url?: string }
  | { kind: 'rejected'; decidedBy: string; decidedAt: string; message: string; via?: string; url?: string };

const seconds = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

/**
 * A step's approval gate. A decision counts only with decidedBy and while the admission policy
 * that verifies it is installed (the approver must be the user making the change and hold the
 * verb approve on hardwaretasks/approval); until then the step waits and says why.
 */
export function stepApproval(task: { name: string; namespace: string }, step: HardwareStep, index: number, prev: StepStatus | undefined, policy: PolicyState, now: Date): ApprovalVerdict {
  const a = step.approval;
  if (!a || a.required === false) return { kind: 'notRequired' };
  const field = `spec.steps[${index}].approval`;
  if (policy === 'missing') {
    return { kind: 'waiting', message: `step ${step.name} needs an approval, but admission policy ${APPROVAL_POLICY} is not installed, so a decision could not be verified: install the chart (templates/approval-policy.yaml) or apply its ValidatingAdmissionPolicy and ValidatingAdmissionPolicyBinding ${APPROVAL_POLICY}` };
  }
  const who = a.approvers?.length ? ` (approvers: ${a.approvers.join(', ')})` : '';
  if (!a.decision) return { kind: 'waiting', message: `step ${step.name} waits for approval${who}: set ${field}.decision to Approved or Rejected and ${field}.decidedBy to your user name` };
  if (!a.decidedBy) return { kind: 'waiting', message: `${field}.decision is ${a.decision} but ${field}.decidedBy is empty, so who decided is unknown: set decidedBy to your user name` };
  const decidedAt = prev?.approvedBy === a.decidedBy && prev.approvedAt ? prev.approvedAt : seconds(now);
  if (a.decision === 'Approved') return { kind: 'approved', decidedBy: a.decidedBy, decidedAt };
  return { kind: 'rejected', decidedBy: a.decidedBy, decidedAt, message: `rejected by ${a.decidedBy}${a.reason ? `: ${a.reason}` : ''}` };
}
