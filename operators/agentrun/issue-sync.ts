// The AgentRun side of the issue workflow (docs/issue-workflow.md): before the run's own
// reconcile, resolve the tracker from the token Secret, link or create the issue and read the
// verified /approve and /reject comments; after it, edit the one status comment, post the
// milestone the phase calls for, answer late decisions, close on success. The forge never
// decides anything by being down: without it the gate simply waits.
import { createHash } from 'node:crypto';
import type { AgentRunStatus } from '../api/generated/agentrun.js';
import { isIssueTrackerError, type IssueTrackerFactory } from '../issues/index.js';
import { forgeProblem, issueRecordOf, ISSUE_TRACKER_UNAVAILABLE, IssueWorkflow, resolveTracker, unauthorizedMessage, type IssueRecord, type VerifiedCommand } from '../issues/workflow/index.js';
import { issueTrackerSpec, type IssueTrackerSpec } from '../model/issue-tracker-spec.js';
import { findCondition } from '../runtime/conditions.js';
import type { Controller, ReconcileContext } from '../runtime/controller.js';
import { isNotFound, type KubeObject } from '../runtime/kube.js';
import type { ReconcileResult } from '../runtime/outcome.js';
import { issueStatusView, lateCommands, lateReply, milestoneFor, notApproverReply, refusedCommands } from './issue-view.js';
import { isFinished } from './phase.js';
import { SECRETS } from './resources.js';
import type { AgentRun } from './types.js';

/** Condition on a run whose issue tracker cannot be used (token, permission, repository, forge down). */
export { ISSUE_TRACKER_UNAVAILABLE };
/** How often a run waiting for approval reads its issue's comments (default; `issuePollMs`). */
export const DEFAULT_ISSUE_POLL_MS = 15_000;
/** Milestone keys kept in status.issue.milestones (answers to late comments are found by their marker). */
const END_KEYS = ['succeeded', 'failed', 'cancelled'];
const CLOSED = 'closed';
/** In status.issue.message once the forge said the issue is gone: the run stops calling it. */
const DELETED = 'was deleted on the forge';

type Fields = Omit<AgentRunStatus, 'conditions' | 'observedGeneration'>;

/** What the run's reconcile gets from its issue this time. */
export interface IssueHandle {
  tracker: IssueTrackerSpec;
  workflow?: IssueWorkflow;
  record?: IssueRecord;
  /** Verified decision comments not settled yet, oldest first. */
  commands: VerifiedCommand[];
  /** The tracker cannot be used: the condition's reason and message. */
  problem?: { reason: string; message: string };
  /** Rate limited: no forge call before this time (ms since the epoch). */
  notBefore?: number;
  /** status.issue.message: what went wrong with the issue itself (deleted, forge down). */
  message?: string;
  /** Nothing left to do on the issue for this finished run (checked without calling the forge). */
  idle?: boolean;
  /** The issue was deleted: status.issue keeps saying so, no call is made. */
  deleted?: boolean;
}

interface Entry {
  uid: string;
  fingerprint: string;
  workflow: IssueWorkflow;
  pending: VerifiedCommand[];
  /** Hash of the last status view synced, so an unchanged run costs no request. */
  synced?: string;
  notBefore?: number;
}

export interface IssueSyncOptions {
  factory: IssueTrackerFactory;
  pollMs: number;
}

const hash = (v: unknown) => createHash('sha256').update(JSON.stringify(v)).digest('hex');

const recordOf = issueRecordOf;

/** Whether the run still needs to hear from its issue: approval gated and not finished. */
const readsComments = (run: AgentRun) => run.spec?.approval !== undefined && run.spec.approval.required !== false && !isFinished(run.status?.phase);

const ending = (result: ReconcileResult) => (result.outcome.kind === 'ready' ? undefined : { reason: result.outcome.reason, message: result.outcome.message });

/** Everything the issue of a finished run needed is there (per status), so no call is due. */
function endReached(run: AgentRun, tracker: IssueTrackerSpec): boolean {
  const m = run.status?.issue?.milestones ?? [];
  if (!isFinished(run.status?.phase) || !END_KEYS.some((k) => m.includes(k))) return false;
  return run.status?.phase !== 'Succeeded' || !tracker.closeOnSuccess || m.includes(CLOSED);
}

export function issueSync(opts: IssueSyncOptions) {
  const entries = new Map<string, Entry>();

  const problemFrom = (namespace: string, tracker: IssueTrackerSpec, err: unknown) =>
    forgeProblem(namespace, tracker, err, { pollMs: opts.pollMs, waiting: 'the approval gate keeps waiting' });


  /** Records a forge failure on the handle; anything that is not the forge's is rethrown. */
  function failed(ctx: ReconcileContext<AgentRun>, h: IssueHandle, entry: Entry | undefined, err: unknown): void {
    if (!isIssueTrackerError(err)) throw err;
    if (err.kind === 'RateLimited') {
      h.notBefore = ctx.now().getTime() + (err.retryAfterMs ?? 60_000);
      if (entry) entry.notBefore = h.notBefore;
      return;
    }
    if (err.kind === 'Gone') {
      // status.issue.message holds at most 1024 characters: the forge's words are cut, never the note.
      h.message = `issue #${h.record?.number ?? h.tracker.issue ?? '?'} of ${h.tracker.repository} ${DELETED} (${err.message.slice(0, 600)}); the run no longer reports to an issue`;
      h.deleted = true;
      return;
    }
    h.problem = problemFrom(ctx.object.metadata.namespace!, h.tracker, err) ?? { reason: ISSUE_TRACKER_UNAVAILABLE, message: `spec.${h.tracker.block}: ${err.message}` };
    ctx.log.info({ kind: err.kind, status: err.status }, 'issue tracker call failed');
  }

  /** Before the run's reconcile: tracker, issue, new decision comments. Undefined: no issue tracker. */
  async function open(ctx: ReconcileContext<AgentRun>): Promise<IssueHandle | undefined> {
    const run = ctx.object;
    const tracker = issueTrackerSpec(run.spec ?? {});
    if (!tracker) return undefined;
    const h: IssueHandle = { tracker, commands: [], record: recordOf(run.status?.issue, tracker) };
    if (run.status?.issue?.message?.includes(DELETED)) {
      h.deleted = true;
      return h;
    }
    const prior = entries.get(ctx.key);
    if (prior && prior.uid === run.metadata.uid && prior.notBefore && ctx.now().getTime() < prior.notBefore) {
      h.notBefore = prior.notBefore;
      h.commands = prior.pending;
      return h;
    }
    // A finished run whose issue is complete needs the forge only if its view changes (late usage): decided after the reconcile.
    if (endReached(run, tracker) && prior && prior.uid === run.metadata.uid && prior.synced !== undefined) {
      h.idle = true;
      return h;
    }
    await connect(ctx, h);
    const entry = entries.get(ctx.key);
    if (!h.workflow || !entry) return h;
    try {
      if (!h.record) h.record = await entry.workflow.ensureIssue(issueStatusView(run, tracker, run.status ?? {}), undefined);
      if (readsComments(run)) {
        for (const c of await entry.workflow.readCommands(h.record)) {
          if ((c.command.verb === 'approve' || c.command.verb === 'reject') && !entry.pending.some((p) => p.commentId === c.commentId)) entry.pending.push(c);
        }
      }
    } catch (err) {
      failed(ctx, h, entry, err);
    }
    return h;
  }

  /** Reads the token Secret and sets up the run's workflow (kept while the token and spec stay the same). */
  async function connect(ctx: ReconcileContext<AgentRun>, h: IssueHandle): Promise<void> {
    const run = ctx.object;
    const { tracker } = h;
    const prior = entries.get(ctx.key);
    let data: Record<string, string> | undefined;
    const readSecret = async (ns: string, name: string) => {
      try {
        const s = await ctx.client.get<KubeObject & { data?: Record<string, string> }>(SECRETS, ns, name);
        data = Object.fromEntries(Object.entries(s.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));
        return { data, annotations: s.metadata?.annotations };
      } catch (err) {
        if (isNotFound(err)) return undefined;
        throw err;
      }
    };
    const resolved = await resolveTracker({ readSecret, factory: opts.factory }, run.metadata.namespace!, tracker);
    if (!resolved.ok) {
      h.problem = { reason: resolved.reason, message: resolved.message };
      return;
    }
    const fingerprint = hash([tracker, data?.[tracker.secretRef.key] ? createHash('sha256').update(data[tracker.secretRef.key]!).digest('hex') : '']);
    let entry = prior;
    if (!entry || entry.uid !== run.metadata.uid || entry.fingerprint !== fingerprint) {
      const subject = { kind: 'AgentRun' as const, namespace: run.metadata.namespace!, name: run.metadata.name!, uid: run.metadata.uid!, ...(run.metadata.creationTimestamp ? { createdAt: String(run.metadata.creationTimestamp) } : {}) };
      entry = { uid: run.metadata.uid!, fingerprint, workflow: new IssueWorkflow(resolved.tracker, subject, tracker), pending: prior && prior.uid === run.metadata.uid ? prior.pending : [] };
      entries.set(ctx.key, entry);
    }
    h.workflow = entry.workflow;
    h.commands = entry.pending;
  }

  /**
   * After the run's reconcile: the issue follows the status the run is about to write
   * (status comment, milestone, answers to late decisions, close), status.issue records where,
   * and the result gains the poll (or the rate limit's wait).
   */
  async function publish(ctx: ReconcileContext<AgentRun>, h: IssueHandle, fields: Fields, result: ReconcileResult): Promise<ReconcileResult> {
    const run = ctx.object;
    const entry = entries.get(ctx.key);
    const out: ReconcileResult = { ...result };
    const requeue = (ms: number) => { out.requeueAfterMs = Math.min(out.requeueAfterMs ?? Number.POSITIVE_INFINITY, Math.max(1000, ms)); };
    if (h.idle) {
      if (entry?.synced === hash(issueStatusView(run, h.tracker, fields, ending(result)))) return out;
      await connect(ctx, h);
    }

    if (h.deleted && !h.record) {
      // A linked issue (spec issue) that is gone before it was ever recorded: say so in status.issue.
      fields.issue = { provider: h.tracker.provider, ...(h.tracker.issue ? { number: h.tracker.issue } : {}), message: h.message ?? run.status?.issue?.message ?? DELETED };
      ctx.setStatus(fields);
      return out;
    }
    const work = h.workflow && h.record && !h.problem && h.notBefore === undefined && !h.deleted;
    if (work) {
      let record = h.record!;
      const wf = h.workflow!;
      try {
        const recorded = fields.approval;
        const deciding = recorded?.url ? h.commands.find((c) => c.commentUrl === recorded.url) : undefined;
        if (deciding) await wf.acknowledge(deciding.commentId, '+1');
        const provider = h.tracker.provider;
        for (const late of lateCommands(run, recorded, h.commands, provider)) {
          record = await wf.milestone(record, `late-decision-${late.commentId}`, lateReply(late, recorded!));
          await wf.acknowledge(late.commentId, 'confused');
        }
        for (const refused of refusedCommands(run, h.commands, provider)) {
          record = await wf.milestone(record, `not-approver-${refused.commentId}`, notApproverReply(refused, provider));
          await wf.acknowledge(refused.commentId, 'confused');
          if (entry) entry.pending = entry.pending.filter((c) => c.commentId !== refused.commentId);
        }
        // Settled once the stored status holds the decision (a failed status write keeps them).
        if (run.status?.approval?.decision && entry) entry.pending = [];
        const view = issueStatusView(run, h.tracker, fields, ending(result));
        const viewHash = hash(view);
        if (h.tracker.commentProgress && entry?.synced !== viewHash) record = await wf.syncStatus(record, view);
        const m = milestoneFor(run, fields, ending(result));
        if (m && !(record.milestones ?? []).includes(m.key)) record = await wf.milestone(record, m.key, m.body);
        if (fields.phase === 'Succeeded' && h.tracker.closeOnSuccess && !(record.milestones ?? []).includes(CLOSED)) {
          await wf.close(record);
          record = { ...record, milestones: [...(record.milestones ?? []), CLOSED] };
        }
        if (entry) entry.synced = viewHash;
      } catch (err) {
        failed(ctx, h, entry, err);
      }
      h.record = { ...record, ...(record.milestones ? { milestones: record.milestones.filter((k) => !k.startsWith('late-decision-') && !k.startsWith('not-approver-')) } : {}) };
    }

    if (h.record) {
      const { provider, number, url, statusCommentId, milestones } = h.record;
      const message = h.message ?? (h.deleted ? run.status?.issue?.message : undefined);
      fields.issue = { provider, number, url, ...(statusCommentId ? { statusCommentId } : {}), ...(milestones?.length ? { milestones } : {}), ...(message ? { message } : {}) };
      if (h.tracker.block === 'github') fields.github = { issueNumber: number, issueURL: url };
      ctx.setStatus(fields);
    }

    const before = findCondition(run.status?.conditions as never, ISSUE_TRACKER_UNAVAILABLE) as { status?: string; reason?: string; message?: string } | undefined;
    if (h.problem) {
      ctx.setCondition({ type: ISSUE_TRACKER_UNAVAILABLE, status: 'True', reason: h.problem.reason, message: h.problem.message });
      if (before?.status !== 'True' || before.message !== h.problem.message) ctx.event('Warning', h.problem.reason, h.problem.message);
      // A finished run whose issue is complete waits for the next resync instead.
      if (!endReached({ ...run, status: { ...fields } } as AgentRun, h.tracker)) requeue(opts.pollMs);
    } else if (h.notBefore !== undefined) {
      // A rate limit is no news: the condition stays as it was until a call answers.
      if (before?.status === 'True') ctx.setCondition({ type: ISSUE_TRACKER_UNAVAILABLE, status: 'True', reason: before.reason ?? ISSUE_TRACKER_UNAVAILABLE, message: before.message ?? '' });
      requeue(h.notBefore - ctx.now().getTime());
    } else if (!h.deleted && (!h.record || (isFinished(fields.phase) && !endReached({ ...run, status: { ...fields } } as AgentRun, h.tracker)))) {
      requeue(opts.pollMs);
    }
    if (h.notBefore === undefined && !h.deleted && readsComments({ ...run, status: { ...fields } } as AgentRun)) requeue(opts.pollMs);
    return out;
  }

  const handles = new WeakMap<object, IssueHandle>();
  const forget = (key: string) => {
    entries.get(key)?.workflow.forget();
    entries.delete(key);
  };

  return {
    open,
    publish,
    forget,
    /** The issue of the reconcile in progress (`ctx` as the wrapped reconcile got it), if the run has one. */
    handleOf: (ctx: ReconcileContext<AgentRun>): IssueHandle | undefined => handles.get(ctx),
    /**
     * The controller with the issue around each reconcile: open before, publish after, with the
     * status fields the reconcile set last (it keeps mutating the object it passed).
     */
    wrap(controller: Controller<AgentRun>): Controller<AgentRun> {
      return {
        ...controller,
        forget(key) {
          controller.forget?.(key);
          forget(key);
        },
        async reconcile(ctx) {
          const handle = await open(ctx);
          if (!handle) return controller.reconcile(ctx);
          const { conditions: _c, observedGeneration: _g, ...stored } = ctx.object.status ?? {};
          let fields: Fields = stored;
          const inner: ReconcileContext<AgentRun> = { ...ctx, setStatus: (f) => { fields = f as Fields; ctx.setStatus(f); } };
          handles.set(inner, handle);
          const result = await controller.reconcile(inner);
          return publish(ctx, handle, fields, result);
        },
      };
    },
  };
}
