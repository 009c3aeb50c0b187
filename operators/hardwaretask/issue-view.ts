// What a HardwareTask's issue shows and which issue comments it acts on (docs/hardwaretasks.md
// "The issue"). Pure: the status comment's view, the milestones due, and the verified commands
// (/done <step>, /approve, /reject) matched to the steps waiting for them.
import type { StatusView, StepState, VerifiedCommand } from '../issues/workflow/index.js';
import type { HardwareStep, HardwareTaskObject as Task, StepStatus, TaskPhase } from './types.js';

const STATE: Record<string, StepState> = {
  Pending: 'pending', AwaitingApproval: 'waiting', WaitingForHuman: 'waiting', Running: 'running',
  Succeeded: 'done', Failed: 'failed', Skipped: 'done',
};

/** The issue title: the task's summary, else its name and node. */
export const issueTitle = (task: Task) => task.spec.summary?.trim() || `HardwareTask ${task.metadata!.namespace}/${task.metadata!.name} on node ${task.spec.node}`;

function stepNote(s: StepStatus): string | undefined {
  switch (s.phase) {
    case 'WaitingForHuman':
      return `waiting for a person: comment \`/done ${s.name} [notes]\``;
    case 'AwaitingApproval':
      return 'waiting for approval: comment `/approve` or `/reject <reason>`';
    case 'Succeeded':
      if (s.completedBy) return `done by ${s.completedBy} (${s.completedVia ?? 'unknown'})${s.notes ? `: ${s.notes}` : ''}`;
      return s.approvedBy ? `${s.message ?? ''} (approved by ${s.approvedBy})`.trim() : s.message;
    default:
      return s.message;
  }
}

/** The status comment: phase, the analysis report as the summary, every step with its state, the approval, the result. */
export function issueStatusView(task: Task, steps: readonly StepStatus[], phase: TaskPhase, result: string | undefined, links: { label: string; url: string }[] = []): StatusView {
  const report = task.spec.steps.filter((s) => s.type === 'analysis').map((s) => steps.find((x) => x.name === s.name)?.outputs?.report).find((r) => r);
  const summary = [`Node \`${task.spec.node}\`.`, report ? `**Analysis:** ${report}` : undefined].filter(Boolean).join('\n\n');
  const view: StatusView = {
    title: issueTitle(task),
    phase,
    summary,
    steps: steps.map((s) => ({ name: s.name, state: STATE[s.phase ?? 'Pending'] ?? 'pending', ...(stepNote(s) ? { note: stepNote(s) } : {}) })),
  };
  const asking = steps.find((s) => s.phase === 'AwaitingApproval');
  const decided = [...steps].reverse().find((s) => s.approvalDecision);
  if (asking) view.approval = { asked: true };
  else if (decided) view.approval = { asked: true, decision: decided.approvalDecision, decidedBy: decided.approvedBy, ...(decided.approvedVia ? { via: decided.approvedVia } : {}) };
  if (result) view.result = result;
  if (links.length) view.links = links;
  return view;
}

export interface Milestone { key: string; body: string }

/**
 * The milestone comments the task's state calls for, each posted once (the workflow skips keys
 * already posted): a person asked to do a step (with the instructions), an approval asked, the
 * task done or failed.
 */
export function milestonesDue(task: Task, steps: readonly StepStatus[], phase: TaskPhase, waitingText: (step: string) => string | undefined): Milestone[] {
  const out: Milestone[] = [];
  for (const s of steps) {
    if (s.phase === 'WaitingForHuman') {
      out.push({ key: `waiting:${s.name}`, body: `⏸ **Step \`${s.name}\` waits for a person.**\n\n${waitingText(s.name) ?? s.instructions ?? ''}\n\nWhen it is done, a person with write access comments \`/done ${s.name} [notes]\` (the notes, e.g. the serial number, become the step's output \`notes\`).` });
    }
    if (s.phase === 'AwaitingApproval') {
      const step = task.spec.steps.find((x) => x.name === s.name);
      const who = step?.approval?.approvers?.length ? ` One of: ${step.approval.approvers.join(', ')}.` : '';
      out.push({ key: `approval:${s.name}`, body: `⏸ **Step \`${s.name}\` (${step?.type ?? 'step'}) waits for an approval.** A person with write access comments \`/approve\` or \`/reject <reason>\`.${who}${step?.command?.hostAccess || step?.check?.hostAccess ? ' It runs privileged on the node.' : ''}` });
    }
  }
  if (phase === 'Succeeded') out.push({ key: 'succeeded', body: `✅ **Done.** All ${steps.length} steps of HardwareTask \`${task.metadata!.namespace}/${task.metadata!.name}\` succeeded.` });
  if (phase === 'Failed') {
    const f = steps.find((s) => s.phase === 'Failed');
    out.push({ key: 'failed', body: `❌ **Failed** at step \`${f?.name ?? '?'}\`: ${f?.message ?? 'no message'}\n\nThe issue stays open. Fix the cause, then \`kubectl annotate hwt ${task.metadata!.name} -n ${task.metadata!.namespace} --overwrite agentlab.dev/retry-step=${f?.name ?? '<step>'}@$(date +%s)\`.` });
  }
  return out;
}

/** A step's approvers as forge logins: `<login>` or `user:<login>` entries (groups are Kubernetes', not the forge's). */
export function forgeApprovers(step: HardwareStep): string[] {
  return (step.approval?.approvers ?? []).filter((a) => !a.startsWith('group:')).map((a) => (a.startsWith('user:') ? a.slice(5) : a).toLowerCase());
}

export type IssueDecision =
  | { kind: 'none' }
  | { kind: 'decided'; command: VerifiedCommand; decision: 'Approved' | 'Rejected'; reason?: string }
  /** Commands that cannot decide this step (an approver list that does not name the author). */
  | { kind: 'refused'; command: VerifiedCommand; message: string };

/** The first verified /approve or /reject on the issue that may decide this step's approval. */
export function issueApproval(step: HardwareStep, commands: readonly VerifiedCommand[]): IssueDecision {
  const allowed = forgeApprovers(step);
  for (const c of commands) {
    if (c.command.verb !== 'approve' && c.command.verb !== 'reject') continue;
    if (allowed.length > 0 && !allowed.includes(c.login.toLowerCase())) {
      return { kind: 'refused', command: c, message: `${c.login} is not among the approvers of step ${step.name} (${step.approval!.approvers!.join(', ')})` };
    }
    return c.command.verb === 'approve'
      ? { kind: 'decided', command: c, decision: 'Approved' }
      : { kind: 'decided', command: c, decision: 'Rejected', ...(c.command.reason ? { reason: c.command.reason } : {}) };
  }
  return { kind: 'none' };
}

/** The first verified `/done <step>` for this step. */
export function issueCompletion(step: string, commands: readonly VerifiedCommand[]): (VerifiedCommand & { notes?: string }) | undefined {
  const c = commands.find((x) => x.command.verb === 'done' && x.command.step === step);
  return c && c.command.verb === 'done' ? { ...c, ...(c.command.notes ? { notes: c.command.notes } : {}) } : undefined;
}
