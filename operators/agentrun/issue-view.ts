// What an AgentRun shows on its issue (docs/issue-workflow.md): the status comment's view, the
// milestones its phase calls for, and approvals decided by a comment. Pure: the controller's
// issue-sync.ts does the I/O.
import type { AgentRunStatus } from '../api/generated/agentrun.js';
import type { IssueTrackerSpec } from '../model/issue-tracker-spec.js';
import type { StatusView, VerifiedCommand } from '../issues/workflow/index.js';
import type { ApprovalVerdict } from './approval.js';
import { TRANSCRIPT_KEY } from './names.js';
import type { AgentRun } from './types.js';

export type ApprovalRecord = NonNullable<AgentRunStatus['approval']>;

/** How much of spec.task the issue shows (the full task stays in the AgentRun). */
export const TASK_EXCERPT = 280;

const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

/** A decision that came from the issue (a verified /approve or /reject comment). */
export const decidedOnIssue = (a: ApprovalRecord | undefined): boolean => a?.via === 'github' || a?.via === 'forgejo';

const approvalRequired = (run: Pick<AgentRun, 'spec'>) => run.spec?.approval !== undefined && run.spec.approval.required !== false;

/** The ApprovalRequired condition's message for a recorded decision ("Approved by alice", plus "via github" from the issue). */
export const decidedMessage = (a: ApprovalRecord): string => `${a.decision} by ${a.decidedBy}${decidedOnIssue(a) ? ` via ${a.via}` : ''}`;

/** The issue title: createIssue.title, else one naming the run. */
export const issueTitle = (run: Pick<AgentRun, 'metadata'>, tracker: IssueTrackerSpec): string =>
  tracker.createIssue?.title || `AgentRun ${run.metadata.namespace}/${run.metadata.name}`;

/** The task as the issue shows it: its first line, clipped; nothing of a sensitive run's task. */
export function taskSummary(spec: AgentRun['spec']): string {
  if (spec?.sensitive) return 'Task not shown: the run is marked sensitive (spec.sensitive).';
  if (spec?.task) {
    const first = spec.task.trim().split('\n')[0] ?? '';
    return `Task: ${clip(first, TASK_EXCERPT)}`;
  }
  const ref = spec?.taskFrom?.configMapKeyRef;
  return ref ? `Task: from ConfigMap ${ref.name}, key ${ref.key}.` : 'Task: (none)';
}

type StepState = NonNullable<StatusView['steps']>[number]['state'];

function agentStep(phase: string | undefined, started: boolean): StepState {
  if (phase === 'Running') return 'running';
  if (phase === 'Succeeded') return 'done';
  if (phase === 'Failed' || phase === 'Cancelled') return started ? 'failed' : 'pending';
  return 'pending';
}

/**
 * The status comment's content for the run as it stands (deterministic: no times, so an
 * unchanged run renders the same comment and is not edited). `ending` is the Ready condition's
 * reason and message for a run that did not succeed.
 */
export function issueStatusView(run: Pick<AgentRun, 'metadata' | 'spec'>, tracker: IssueTrackerSpec, fields: AgentRunStatus, ending?: { reason: string; message: string }): StatusView {
  const phase = fields.phase ?? 'Pending';
  const steps: NonNullable<StatusView['steps']> = [];
  const a = fields.approval;
  if (approvalRequired(run)) {
    const state: StepState = a?.decision === 'Approved' ? 'done' : a?.decision === 'Rejected' ? 'failed' : phase === 'AwaitingApproval' ? 'waiting' : 'pending';
    steps.push({ name: 'approval', state, ...(a?.decision ? { note: `${a.decision} by ${a.decidedBy}${a.via ? ` via ${a.via}` : ''}` } : {}) });
  }
  steps.push({ name: 'agent', state: agentStep(fields.phase, Boolean(fields.startTime)), ...(fields.podName ? { note: `pod ${fields.podName}` } : {}) });
  const view: StatusView = { title: issueTitle(run, tracker), phase, summary: taskSummary(run.spec), steps };
  if (fields.usage) view.usage = { totalTokens: fields.usage.totalTokens ?? 0, ...(fields.usage.costUSD ? { costUSD: fields.usage.costUSD } : {}) };
  if (approvalRequired(run)) {
    view.approval = { asked: true };
    if (a?.decision) Object.assign(view.approval, { decision: a.decision, decidedBy: a.decidedBy, ...(a.via ? { via: a.via } : {}), ...(a.url ? { url: a.url } : {}), ...(a.reason ? { reason: a.reason } : {}) });
  }
  if (fields.result) view.result = clip(fields.result, 2048);
  else if (ending && (phase === 'Failed' || phase === 'Cancelled')) view.result = `${ending.reason}: ${ending.message}`;
  if (fields.transcriptRef?.configMapName) {
    const ns = run.metadata.namespace;
    // Not a web page: the status comment shows the kubectl line that prints it.
    const command = transcriptCommand(ns!, fields.transcriptRef.configMapName, fields.transcriptRef.key ?? TRANSCRIPT_KEY);
    view.links = [{ label: `transcript: ${command}`, url: command }];
  }
  return view;
}

/** The kubectl line that prints the transcript (a ConfigMap has no web page). */
export const transcriptCommand = (namespace: string, configMap: string, key: string): string =>
  `kubectl -n ${namespace} get configmap ${configMap} -o jsonpath='{.data.${key.replace(/\./g, '\\.')}}'`;

export interface Milestone { key: string; body: string }

/**
 * The milestone comment the run's phase calls for (posted once per key): approval asked,
 * succeeded (result and links), failed or cancelled (reason; the issue stays open).
 */
export function milestoneFor(run: Pick<AgentRun, 'metadata' | 'spec'>, fields: AgentRunStatus, ending?: { reason: string; message: string }): Milestone | undefined {
  const { namespace, name } = run.metadata as { namespace: string; name: string };
  const who = `AgentRun \`${namespace}/${name}\``;
  switch (fields.phase) {
    case 'AwaitingApproval': {
      const approvers = run.spec?.approval?.approvers?.length ? ` (Kubernetes approvers: ${run.spec.approval.approvers.join(', ')})` : '';
      return {
        key: 'approval-asked',
        body: [
          `⏸ **Approval needed** for ${who}.`, '',
          taskSummary(run.spec), '',
          'Someone with write access to this repository replies `/approve`, or `/reject <reason>`, as the first line of a comment.',
          `From Kubernetes: \`agentlab approve agentrun/${name} -n ${namespace}\`${approvers}. The first decision wins.`,
        ].join('\n'),
      };
    }
    case 'Succeeded': {
      const lines = [`✅ **Succeeded**: ${who} finished.`];
      if (fields.result) lines.push('', clip(fields.result, 2048));
      if (fields.transcriptRef?.configMapName) lines.push('', `Transcript: \`${transcriptCommand(namespace, fields.transcriptRef.configMapName, fields.transcriptRef.key ?? TRANSCRIPT_KEY)}\``);
      return { key: 'succeeded', body: lines.join('\n') };
    }
    case 'Failed':
      return { key: 'failed', body: `❌ **Failed**: ${who}${ending ? ` (${ending.reason}): ${ending.message}` : ''}.\n\nThe issue stays open.` };
    case 'Cancelled':
      return { key: 'cancelled', body: `⏹ **Cancelled**: ${who}${ending ? ` (${ending.reason}): ${ending.message}` : ''}.\n\nThe issue stays open.` };
    default:
      return undefined;
  }
}

const rfc3339 = (iso: string) => iso.replace(/\.\d{3}Z$/, 'Z');

/** status.approval for a verified /approve or /reject comment. */
export function approvalFromComment(cmd: VerifiedCommand, provider: 'github' | 'forgejo'): ApprovalRecord | undefined {
  const c = cmd.command;
  if (c.verb !== 'approve' && c.verb !== 'reject') return undefined;
  const reason = c.verb === 'reject' ? c.reason?.trim() : undefined;
  return {
    decision: c.verb === 'approve' ? 'Approved' : 'Rejected',
    decidedBy: cmd.login.slice(0, 253),
    decidedAt: rfc3339(new Date(Date.parse(cmd.at) || 0).toISOString()),
    via: provider,
    url: cmd.commentUrl.slice(0, 2048),
    ...(reason ? { reason: clip(reason, 1024) } : {}),
  };
}

/**
 * Whether a forge login may decide from the issue: anyone with write access (the workflow checked
 * that) unless spec.approval.approvers is set; then only logins listed as `<provider>:<login>`
 * (e.g. `github:alice`), so an approvers list is never widened by the issue path.
 */
export function mayDecideFromIssue(run: Pick<AgentRun, 'spec'>, cmd: Pick<VerifiedCommand, 'login'>, provider: 'github' | 'forgejo'): boolean {
  const approvers = run.spec?.approval?.approvers ?? [];
  if (approvers.length === 0) return true;
  const want = `${provider}:${cmd.login}`.toLowerCase();
  return approvers.some((a) => a.toLowerCase() === want);
}

/** The reply to a decision comment by a writer who is not in spec.approval.approvers. */
export const notApproverReply = (cmd: VerifiedCommand, provider: 'github' | 'forgejo'): string =>
  `@${cmd.login} your \`/${cmd.command.verb}\` was not applied: this run's spec.approval.approvers does not list \`${provider}:${cmd.login}\`, which approving from the issue needs.`;

const isDecision = (c: VerifiedCommand) => c.command.verb === 'approve' || c.command.verb === 'reject';

/**
 * The gate's verdict from the issue, before the Kubernetes path is looked at: a decision already
 * recorded from the issue stands; otherwise the first verified /approve or /reject counts when
 * spec.approval holds no decision (a spec decision seen at the same time is the one recorded,
 * and the comment is answered that the run was already decided). Undefined: the Kubernetes
 * path decides (or the run keeps waiting).
 */
export function issueVerdict(run: Pick<AgentRun, 'spec'>, recorded: ApprovalRecord | undefined, commands: VerifiedCommand[], provider: 'github' | 'forgejo'): ApprovalVerdict | undefined {
  if (!approvalRequired(run)) return undefined;
  if (recorded?.decision && decidedOnIssue(recorded)) return { kind: recorded.decision === 'Approved' ? 'approved' : 'rejected', record: recorded };
  if (recorded?.decision || run.spec.approval?.decision) return undefined;
  for (const cmd of commands) {
    if (!mayDecideFromIssue(run, cmd, provider)) continue;
    const record = approvalFromComment(cmd, provider);
    if (record) return { kind: record.decision === 'Approved' ? 'approved' : 'rejected', record };
  }
  return undefined;
}

/** The commands to answer: every verified decision comment (by someone who may decide) other than the one recorded. */
export const lateCommands = (run: Pick<AgentRun, 'spec'>, recorded: ApprovalRecord | undefined, commands: VerifiedCommand[], provider: 'github' | 'forgejo'): VerifiedCommand[] =>
  recorded?.decision ? commands.filter((c) => isDecision(c) && mayDecideFromIssue(run, c, provider) && c.commentUrl !== recorded.url) : [];

/** Decision comments by writers whom spec.approval.approvers does not list. */
export const refusedCommands = (run: Pick<AgentRun, 'spec'>, commands: VerifiedCommand[], provider: 'github' | 'forgejo'): VerifiedCommand[] =>
  commands.filter((c) => isDecision(c) && !mayDecideFromIssue(run, c, provider));

/** The reply to a decision comment that came after the run was decided. */
export function lateReply(cmd: VerifiedCommand, recorded: ApprovalRecord): string {
  const verb = cmd.command.verb === 'reject' ? '/reject' : '/approve';
  const how = recorded.via ? ` via ${recorded.via}` : '';
  return `@${cmd.login} this run was already ${recorded.decision} by ${recorded.decidedBy}${how}${recorded.url && recorded.url !== cmd.commentUrl ? ` (${recorded.url})` : ''}; your \`${verb}\` was not applied: the first decision wins.`;
}

/**
 * The ApprovalRequired condition's note when a Kubernetes decision arrives after the issue
 * decided (the spec decision is kept, not used), or undefined.
 */
export function ignoredSpecDecision(run: Pick<AgentRun, 'spec'>, recorded: ApprovalRecord | undefined): string | undefined {
  const a = run.spec?.approval;
  if (!a?.decision || !recorded?.decision || !decidedOnIssue(recorded)) return undefined;
  return `spec.approval.decision ${a.decision}${a.decidedBy ? ` by ${a.decidedBy}` : ''} was not used: the run was already ${recorded.decision} by ${recorded.decidedBy} via ${recorded.via}${recorded.url ? ` (${recorded.url})` : ''}; the first decision wins`;
}
