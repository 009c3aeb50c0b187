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

/** The field manager of `agentlab mcp` (operators/mcp/context.ts FIELD_MANAGER). */
const MCP_MANAGER = 'agentlab-mcp';

export interface ManagedFieldsEntry { manager?: string; operation?: string; time?: string; fieldsV1?: Record<string, unknown> }

/**
 * The field manager that last set spec.approval.decision (the managedFields entry owning
 * f:spec.f:approval.f:decision; the newest when several do), or undefined when none does.
 */
export function decisionManager(managedFields: ManagedFieldsEntry[] | undefined): string | undefined {
  const owners = (managedFields ?? []).filter((m) => {
    const spec = m.fieldsV1?.['f:spec'] as Record<string, unknown> | undefined;
    const approval = spec?.['f:approval'] as Record<string, unknown> | undefined;
    return approval?.['f:decision'] !== undefined;
  });
  owners.sort((a, b) => (Date.parse(b.time ?? '') || 0) - (Date.parse(a.time ?? '') || 0));
  return owners[0]?.manager;
}

/**
 * How a decision arrived, from the field manager that wrote it: agentlab-mcp is mcp, kubectl*
 * and agentlab-cli (agentlab approve) are kubectl, Flux's kustomize-controller is flux (with the
 * Kustomization from its labels), any other manager is kubectl with the manager's name as
 * source. The client chooses its field manager, so this is a hint; decidedBy (verified by the
 * admission policy) is the fact. Without a manager (not read), Flux's labels decide.
 */
export function approvalChannel(manager: string | undefined, labels: Record<string, string>): Pick<NonNullable<AgentRunStatus['approval']>, 'via' | 'source'> {
  const kustomization = labels[FLUX_NAME] !== undefined ? `${labels[FLUX_NAMESPACE] ?? ''}/${labels[FLUX_NAME]}` : undefined;
  if (manager === undefined) return kustomization ? { via: 'flux', source: kustomization } : { via: 'kubectl' };
  if (manager === MCP_MANAGER) return { via: 'mcp' };
  if (manager.startsWith('kubectl') || manager === 'agentlab-cli') return { via: 'kubectl' };
  if (manager === 'kustomize-controller') return { via: 'flux', ...(kustomization ? { source: kustomization } : {}) };
  return { via: 'kubectl', source: manager };
}

/**
 * Where a run stands at its approval gate. A decision counts only while the admission policy
 * that verifies decidedBy is installed: without it anyone who may edit the run could write any
 * name. The record keeps its first decidedAt (the status is rewritten on every change).
 */
export function approvalVerdict(run: Pick<AgentRun, 'metadata' | 'spec' | 'status'>, policy: PolicyState, now: Date, manager?: string): ApprovalVerdict {
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
  const prev = run.status?.approval;
  const same = isRecorded(run);
  // A recorded decision keeps its channel: the controller reads managedFields once, when it first sees the decision.
  const channel = same && prev?.via ? { via: prev.via, ...(prev.source ? { source: prev.source } : {}) } : approvalChannel(manager, run.metadata?.labels ?? {});
  const record: NonNullable<AgentRunStatus['approval']> = {
    decision: a.decision,
    decidedBy: a.decidedBy,
    decidedAt: same && prev?.decidedAt ? prev.decidedAt : now.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    ...channel,
    ...(a.reason ? { reason: a.reason } : {}),
  };
  return { kind: a.decision === 'Approved' ? 'approved' : 'rejected', record };
}

/** Whether status.approval already records the spec's decision (so its channel need not be read again). */
export function isRecorded(run: Pick<AgentRun, 'spec' | 'status'>): boolean {
  const a = run.spec?.approval;
  const prev = run.status?.approval;
  return a?.decision !== undefined && prev?.decision === a.decision && prev?.decidedBy === a.decidedBy;
}
