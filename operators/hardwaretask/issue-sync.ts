// The HardwareTask side of the issue workflow (docs/hardwaretasks.md "The issue"): before the
// steps are looked at, resolve the tracker from the token Secret, open or link the issue and read
// the verified /done, /approve and /reject comments; after, edit the one status comment, post the
// milestones due, close on success, and record status.issue. A forge that is down or refuses the
// token never decides anything: the steps that wait for it keep waiting.
import { createHash } from 'node:crypto';
import type { HardwareTaskStatus } from '../api/generated/hardwaretask.js';
import { isIssueTrackerError, type IssueTracker, type IssueTrackerFactory } from '../issues/index.js';
import {
  forgeProblem, issueRecordOf,
  hasMarker, ISSUE_TRACKER_UNAVAILABLE, IssueWorkflow, milestoneMarker, resolveTracker, unauthorizedMessage,
  type IssueRecord, type StatusView, type VerifiedCommand,
} from '../issues/workflow/index.js';
import { issueTrackerSpec, type IssueTrackerSpec } from '../model/issue-tracker-spec.js';
import { findCondition } from '../runtime/conditions.js';
import type { ReconcileContext } from '../runtime/controller.js';
import { isNotFound, type KubeObject } from '../runtime/kube.js';
import type { Milestone } from './issue-view.js';
import { SECRETS } from './resources.js';
import type { HardwareTaskObject as Task, TaskPhase } from './types.js';

export { ISSUE_TRACKER_UNAVAILABLE };
/** How often a task with a step waiting for a person or an approval reads its issue (default; ControllerDeps.issuePollMs). */
export const DEFAULT_ISSUE_POLL_MS = 15_000;
/** Verified commands kept per task between polls (the oldest are dropped past this). */
const MAX_PENDING = 100;
const CLOSED = 'closed';

/** What the reconcile gets from the task's issue this time. */
export interface TaskIssue {
  tracker: IssueTrackerSpec;
  workflow?: IssueWorkflow;
  record?: IssueRecord;
  /** Verified commands not used by a step yet, oldest first. */
  commands: VerifiedCommand[];
  /** The tracker cannot be used: the condition's reason and message. */
  problem?: { reason: string; message: string };
  /** Rate limited: no forge call before this time (ms since the epoch). */
  notBefore?: number;
  /** status.issue.message: what went wrong with the issue itself (deleted). */
  message?: string;
  /** The id of our milestone comment with this key (commands must come after it), undefined when not posted. */
  milestoneId(key: string): Promise<number | undefined>;
  /** Records a forge failure (rate limit, token, forge down); anything else is rethrown. */
  failed(err: unknown): void;
}

interface Entry {
  uid: string;
  fingerprint: string;
  tracker: IssueTracker;
  workflow: IssueWorkflow;
  pending: VerifiedCommand[];
  self?: string;
  notBefore?: number;
  /** Hash of the last status view synced, so an unchanged task costs no request. */
  synced?: string;
}

export interface TaskIssueOptions {
  factory: IssueTrackerFactory;
  pollMs: number;
}

const hash = (v: unknown) => createHash('sha256').update(JSON.stringify(v)).digest('hex');

const recordOf = issueRecordOf;

/** Comment URLs a step already acted on (recorded in status): never used twice, also after a restart. */
export function usedCommentUrls(status: HardwareTaskStatus | undefined): Set<string> {
  const used = new Set<string>();
  for (const s of status?.steps ?? []) {
    if (s.completedURL) used.add(s.completedURL);
    if (s.approvalURL) used.add(s.approvalURL);
  }
  return used;
}

/** Whether a step waits for something a comment can give (a person's /done, an /approve): then the comments are read. */
const waitsForIssue = (status: HardwareTaskStatus | undefined) => (status?.steps ?? []).some((s) => s.phase === 'WaitingForHuman' || s.phase === 'AwaitingApproval');

export function taskIssues(opts: TaskIssueOptions) {
  const entries = new Map<string, Entry>();

  const problemFrom = (namespace: string, tracker: IssueTrackerSpec, err: unknown) =>
    forgeProblem(namespace, tracker, err, { pollMs: opts.pollMs, waiting: 'steps waiting for the issue keep waiting' });


  /** Before the steps: tracker, issue, new verified commands. Undefined: the task names no issue tracker. */
  async function open(ctx: ReconcileContext<Task>): Promise<TaskIssue | undefined> {
    const task = ctx.object;
    const tracker = issueTrackerSpec(task.spec as { issueTracker?: unknown; github?: unknown });
    if (!tracker) return undefined;
    const namespace = task.metadata!.namespace!;
    const prior = entries.get(ctx.key);
    let entry: Entry | undefined = prior && prior.uid === task.metadata!.uid ? prior : undefined;
    const used = usedCommentUrls(task.status);
    const h: TaskIssue = {
      tracker,
      record: recordOf(task.status?.issue, tracker),
      commands: [],
      async milestoneId(key) {
        if (!entry || !h.record) return undefined;
        entry.self ??= await entry.tracker.currentUser();
        const marker = milestoneMarker(task.metadata!.uid!, key);
        const page = await entry.tracker.listComments(h.record.number);
        if (page.notModified) return undefined;
        return page.value.find((c) => c.author.toLowerCase() === entry!.self!.toLowerCase() && hasMarker(c.body, marker))?.id;
      },
      failed(err) {
        if (!isIssueTrackerError(err)) throw err;
        if (err.kind === 'RateLimited') {
          h.notBefore = ctx.now().getTime() + (err.retryAfterMs ?? 60_000);
          if (entry) entry.notBefore = h.notBefore;
          return;
        }
        if (err.kind === 'Gone') {
          h.message = `issue #${h.record?.number ?? '?'} on ${tracker.repository} was deleted (${err.message}); the task no longer reports to it`;
          return;
        }
        h.problem = problemFrom(namespace, tracker, err) ?? { reason: ISSUE_TRACKER_UNAVAILABLE, message: `spec.${tracker.block}: ${err.message}` };
        ctx.log.info({ kind: err.kind, status: err.status }, 'issue tracker call failed');
      },
    };
    if (entry?.notBefore && ctx.now().getTime() < entry.notBefore) {
      h.notBefore = entry.notBefore;
      h.commands = entry.pending.filter((c) => !used.has(c.commentUrl));
      return h;
    }
    let token = '';
    const readSecret = async (ns: string, name: string) => {
      try {
        const s = await ctx.client.get<KubeObject & { data?: Record<string, string> }>(SECRETS, ns, name);
        const data = Object.fromEntries(Object.entries(s.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));
        token = data[tracker.secretRef.key] ?? '';
        return { data, annotations: s.metadata?.annotations };
      } catch (err) {
        if (isNotFound(err)) return undefined;
        throw err;
      }
    };
    const resolved = await resolveTracker({ readSecret, factory: opts.factory }, namespace, tracker);
    if (!resolved.ok) {
      h.problem = { reason: resolved.reason, message: resolved.message };
      return h;
    }
    // A new token or spec makes a new workflow (the in-memory poll state belongs to the old one).
    const fingerprint = hash([tracker, createHash('sha256').update(token.trim()).digest('hex')]);
    if (!entry || entry.fingerprint !== fingerprint) {
      const subject = { kind: 'HardwareTask' as const, namespace, name: task.metadata!.name!, uid: task.metadata!.uid! };
      entry = { uid: task.metadata!.uid!, fingerprint, tracker: resolved.tracker, workflow: new IssueWorkflow(resolved.tracker, subject, tracker), pending: entry?.pending ?? [] };
      entries.set(ctx.key, entry);
    }
    entry.notBefore = undefined;
    h.workflow = entry.workflow;
    try {
      if (!h.record) h.record = await entry.workflow.ensureIssue({ title: task.spec.summary?.trim() || `HardwareTask ${namespace}/${task.metadata!.name} on node ${task.spec.node}`, phase: task.status?.phase ?? 'Pending' }, undefined);
      if (waitsForIssue(task.status)) {
        for (const c of await entry.workflow.readCommands(h.record)) {
          if (!entry.pending.some((p) => p.commentId === c.commentId)) entry.pending.push(c);
        }
        entry.pending = entry.pending.slice(-MAX_PENDING);
      }
    } catch (err) {
      h.failed(err);
    }
    h.commands = entry.pending.filter((c) => !used.has(c.commentUrl));
    return h;
  }

  /** Answers a command that cannot act (already decided, not an approver, no such step waiting) once: a reaction and a short reply. */
  async function refuse(key: string, h: TaskIssue, c: VerifiedCommand, reply: string): Promise<void> {
    const entry = entries.get(key);
    if (entry) entry.pending = entry.pending.filter((p) => p.commentId !== c.commentId);
    h.commands = h.commands.filter((p) => p.commentId !== c.commentId);
    if (!h.workflow || !h.record || h.problem || h.notBefore !== undefined) return;
    try {
      h.record = await h.workflow.milestone(h.record, `refused-${c.commentId}`, `@${c.login} ${reply}`);
      h.record = { ...h.record, milestones: (h.record.milestones ?? []).filter((k) => !k.startsWith('refused-')) };
      await h.workflow.acknowledge(c.commentId, 'confused');
    } catch (err) {
      h.failed(err);
    }
  }

  /** A reaction on the comment that did something (idempotent on the forge). */
  async function accept(h: TaskIssue, c: VerifiedCommand): Promise<void> {
    if (!h.workflow || h.problem || h.notBefore !== undefined) return;
    try {
      await h.workflow.acknowledge(c.commentId, '+1');
    } catch (err) {
      h.failed(err);
    }
  }

  /**
   * After the steps: the issue follows the status about to be written (status comment, milestones,
   * close on success), status.issue records where, the condition says what is wrong. Returns the
   * requeue the issue needs (a poll while a step waits for it, or a rate limit's wait).
   */
  async function publish(ctx: ReconcileContext<Task>, h: TaskIssue, input: { fields: Record<string, unknown>; phase: TaskPhase; view: StatusView; milestones: Milestone[] }): Promise<number | undefined> {
    const task = ctx.object;
    const entry = entries.get(ctx.key);
    const { fields, phase, view } = input;
    if (h.workflow && h.record && !h.problem && h.notBefore === undefined) {
      let record = h.record;
      const wf = h.workflow;
      try {
        const viewHash = hash(view);
        if (h.tracker.commentProgress && entry?.synced !== viewHash) record = await wf.syncStatus(record, view);
        for (const m of input.milestones) if (!(record.milestones ?? []).includes(m.key)) record = await wf.milestone(record, m.key, m.body);
        if (phase === 'Succeeded' && h.tracker.closeOnSuccess && !(record.milestones ?? []).includes(CLOSED)) {
          await wf.close(record);
          record = { ...record, milestones: [...(record.milestones ?? []), CLOSED] };
        }
        if (entry) entry.synced = viewHash;
      } catch (err) {
        h.failed(err);
      }
      h.record = record;
    }
    if (h.record) {
      const { provider, number, url, statusCommentId, milestones } = h.record;
      fields.issue = { provider, number, url, ...(statusCommentId ? { statusCommentId } : {}), ...(milestones?.length ? { milestones } : {}), ...(h.message ? { message: h.message.slice(0, 1024) } : {}) };
      if (h.tracker.block === 'github') fields.github = { issueNumber: number, issueURL: url };
    }
    const before = findCondition(task.status?.conditions as never, ISSUE_TRACKER_UNAVAILABLE) as { status?: string; reason?: string; message?: string } | undefined;
    if (h.problem) {
      ctx.setCondition({ type: ISSUE_TRACKER_UNAVAILABLE, status: 'True', reason: h.problem.reason, message: h.problem.message });
      if (before?.status !== 'True' || before.message !== h.problem.message) ctx.event('Warning', h.problem.reason, h.problem.message);
      return opts.pollMs;
    }
    if (h.notBefore !== undefined) {
      // A rate limit is no news: the condition stays as it was until a call answers.
      if (before?.status === 'True') ctx.setCondition({ type: ISSUE_TRACKER_UNAVAILABLE, status: 'True', reason: before.reason ?? ISSUE_TRACKER_UNAVAILABLE, message: before.message ?? '' });
      return Math.max(1000, h.notBefore - ctx.now().getTime());
    }
    // The condition is there only while something is wrong (as on AgentRun); a call that answered clears it.
    if (!h.record) return opts.pollMs;
    if (waitsForIssue(fields as HardwareTaskStatus)) return opts.pollMs;
    return undefined;
  }

  return {
    open,
    publish,
    refuse,
    accept,
    forget(key: string) {
      entries.get(key)?.workflow.forget();
      entries.delete(key);
    },
  };
}
