import { CronExpressionParser, type CronExpression } from 'cron-parser';
import type { FlowSpec, FlowStatus } from '../api/generated/flow.js';
import type { KubeObject } from '../runtime/kube.js';

/**
 * Scheduled flows (spec.schedule), modelled on Kubernetes CronJob (ADR 0014): every scheduled
 * time creates one child Flow named for that time, so a restart re-creating it is a no-op; only
 * the latest missed time ever starts (no backlog); concurrencyPolicy, startingDeadlineSeconds and
 * the two history limits mean what they mean on a CronJob. Pure functions; the controller does I/O.
 */

export const SCHEDULED_BY_LABEL = 'agentlab.dev/scheduled-by';
export const SCHEDULED_TIME_ANNOTATION = 'agentlab.dev/scheduled-time';
export const DEFAULT_SUCCESSFUL_HISTORY = 3;
export const DEFAULT_FAILED_HISTORY = 1;
/** status.active holds at most this many names (CRD maxItems). */
export const MAX_ACTIVE_LISTED = 16;

export interface FieldError { field: string; message: string }

export interface Schedule {
  expression: string;
  timeZone?: string;
}

/** A clear error for a schedule the CRD pattern lets through but cron cannot read, or an unknown time zone. */
export function checkSchedule(spec: Pick<FlowSpec, 'schedule' | 'timeZone'>): FieldError | undefined {
  if (!spec.schedule) return undefined;
  if (spec.timeZone !== undefined) {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: spec.timeZone });
    } catch {
      return { field: 'spec.timeZone', message: `"${spec.timeZone}" is not an IANA time zone (e.g. Europe/Oslo, America/New_York, UTC)` };
    }
  }
  const fields = spec.schedule.trim().split(/\s+/);
  if (!spec.schedule.trim().startsWith('@') && fields.length !== 5) {
    return { field: 'spec.schedule', message: `"${spec.schedule}" has ${fields.length} fields; a schedule has 5 (minute hour day-of-month month day-of-week), e.g. "0 6 * * *", or is one of @yearly, @monthly, @weekly, @daily, @hourly` };
  }
  try {
    parse({ expression: spec.schedule, timeZone: spec.timeZone }, new Date(0)).next();
  } catch (err) {
    return { field: 'spec.schedule', message: `"${spec.schedule}" is not a cron schedule: ${(err as Error).message}` };
  }
  return undefined;
}

function parse(s: Schedule, currentDate: Date): CronExpression {
  return CronExpressionParser.parse(s.expression, { currentDate, ...(s.timeZone ? { tz: s.timeZone } : {}) });
}

/** The latest scheduled time at or before `now` (cron times fall on whole minutes). */
export function latestScheduledTime(s: Schedule, now: Date): Date {
  const e = parse(s, new Date(now.getTime() + 1000));
  let t = e.prev().toDate();
  if (t.getTime() > now.getTime()) t = e.prev().toDate();
  return t;
}

/** The first scheduled time after `now`. */
export function nextScheduledTime(s: Schedule, now: Date): Date {
  return parse(s, now).next().toDate();
}

/** The child Flow of the run scheduled at `at`: `<flow>-<minutes since the epoch>` (CronJob's naming). */
export function scheduledRunName(flow: string, at: Date): string {
  const suffix = `-${Math.floor(at.getTime() / 60_000)}`;
  return `${flow.slice(0, 253 - suffix.length).replace(/[-.]+$/, '')}${suffix}`;
}

/** What the schedule knows about one of its runs (a child Flow). */
export interface ScheduledRun {
  name: string;
  scheduledAt: Date;
  phase?: FlowStatus['phase'];
  completionTime?: string;
}

export interface ScheduleInput {
  spec: Pick<FlowSpec, 'schedule' | 'timeZone' | 'concurrencyPolicy' | 'startingDeadlineSeconds' | 'successfulRunsHistoryLimit' | 'failedRunsHistoryLimit' | 'suspend'>;
  now: Date;
  /** status.lastScheduleTime, else the Flow's creationTimestamp: times at or before it are not due. */
  since: Date;
  /** status.lastScheduleTime as recorded: only runs scheduled at or before it may be pruned. */
  recorded?: Date;
  runs: readonly ScheduledRun[];
}

export interface ScheduleDecision {
  /** Create the run for this time (idempotent by name), then record it as lastScheduleTime. */
  start?: Date;
  /** Delete these active runs first (concurrencyPolicy Replace). */
  replace: string[];
  /** A due time that was not started, and why. */
  skipped?: { at: Date; reason: 'ConcurrencyForbidden' | 'MissedSchedule' | 'Suspended'; message: string };
  /** Finished runs beyond the history limits, oldest first. */
  prune: string[];
  active: ScheduledRun[];
  next: Date;
}

const finished = (r: ScheduledRun) => r.phase === 'Succeeded' || r.phase === 'Failed';

/**
 * What the schedule does now: start the latest due time (if any, once), skip it (suspended,
 * Forbid with an active run, later than startingDeadlineSeconds) or replace the active runs, and
 * prune finished runs beyond the history limits.
 */
export function decideSchedule(input: ScheduleInput): ScheduleDecision {
  const { spec, now, since } = input;
  const s: Schedule = { expression: spec.schedule!, timeZone: spec.timeZone };
  const byTime = [...input.runs].sort((a, b) => a.scheduledAt.getTime() - b.scheduledAt.getTime());
  const active = byTime.filter((r) => !finished(r));
  const decision: ScheduleDecision = { replace: [], prune: pruneRuns(byTime, spec, input.recorded), active, next: nextScheduledTime(s, now) };
  const due = latestScheduledTime(s, now);
  if (due.getTime() <= since.getTime()) return decision;
  if (byTime.some((r) => r.scheduledAt.getTime() === due.getTime())) {
    // Created before a restart that lost the status write: record it, do not create it again.
    decision.start = due;
    return decision;
  }
  const lateMs = now.getTime() - due.getTime();
  if (spec.suspend) {
    decision.skipped = { at: due, reason: 'Suspended', message: `the run scheduled at ${due.toISOString()} did not start: the schedule is suspended (spec.suspend)` };
    return decision;
  }
  if (spec.startingDeadlineSeconds !== undefined && lateMs > spec.startingDeadlineSeconds * 1000) {
    decision.skipped = { at: due, reason: 'MissedSchedule', message: `missed the run scheduled at ${due.toISOString()}: ${Math.round(lateMs / 1000)} s late, past startingDeadlineSeconds (${spec.startingDeadlineSeconds})` };
    return decision;
  }
  const policy = spec.concurrencyPolicy ?? 'Forbid';
  if (active.length > 0 && policy === 'Forbid') {
    decision.skipped = { at: due, reason: 'ConcurrencyForbidden', message: `the run scheduled at ${due.toISOString()} waits: ${active.map((r) => r.name).join(', ')} is still active and concurrencyPolicy is Forbid` };
    return decision;
  }
  if (policy === 'Replace') decision.replace = active.map((r) => r.name);
  decision.start = due;
  return decision;
}

/** Finished runs past successfulRunsHistoryLimit / failedRunsHistoryLimit (newest kept), never one not yet recorded. */
export function pruneRuns(runs: readonly ScheduledRun[], spec: ScheduleInput['spec'], recorded: Date | undefined): string[] {
  const byTime = [...runs].sort((a, b) => a.scheduledAt.getTime() - b.scheduledAt.getTime());
  const out: string[] = [];
  for (const [phase, limit] of [['Succeeded', spec.successfulRunsHistoryLimit ?? DEFAULT_SUCCESSFUL_HISTORY], ['Failed', spec.failedRunsHistoryLimit ?? DEFAULT_FAILED_HISTORY]] as const) {
    const ofPhase = byTime.filter((r) => r.phase === phase && recorded !== undefined && r.scheduledAt.getTime() <= recorded.getTime());
    out.push(...ofPhase.slice(0, Math.max(0, ofPhase.length - limit)).map((r) => r.name));
  }
  return out;
}

/** The runs of a scheduled flow among the cached Flows: owned by its uid and labelled with the scheduled time. */
export function scheduledRuns(parent: KubeObject, flows: readonly (KubeObject & { status?: FlowStatus })[]): ScheduledRun[] {
  const uid = parent.metadata?.uid;
  const out: ScheduledRun[] = [];
  for (const f of flows) {
    if (!f.metadata?.ownerReferences?.some((o) => o.uid === uid && o.controller)) continue;
    const at = Date.parse(f.metadata.annotations?.[SCHEDULED_TIME_ANNOTATION] ?? '');
    if (!Number.isFinite(at)) continue;
    out.push({ name: f.metadata.name!, scheduledAt: new Date(at), phase: f.status?.phase, completionTime: f.status?.completionTime });
  }
  return out;
}

/**
 * The child Flow of one scheduled run: the schedule's spec without the scheduling fields, the plan
 * gate and suspend (the schedule's plan is what was approved), mode Run.
 */
export function desiredScheduledRun(parent: { name: string; namespace: string; spec: FlowSpec }, at: Date): KubeObject & { spec: FlowSpec } {
  const {
    schedule: _s, timeZone: _t, concurrencyPolicy: _c, startingDeadlineSeconds: _d, successfulRunsHistoryLimit: _h, failedRunsHistoryLimit: _f,
    approval: _a, suspend: _u, mode: _m, ...rest
  } = parent.spec;
  const labels: Record<string, string> = {};
  if (parent.name.length <= 63) labels[SCHEDULED_BY_LABEL] = parent.name;
  return {
    apiVersion: 'agentlab.dev/v1alpha1', kind: 'Flow',
    metadata: { name: scheduledRunName(parent.name, at), namespace: parent.namespace, labels, annotations: { [SCHEDULED_TIME_ANNOTATION]: at.toISOString() } },
    spec: { ...rest, mode: 'Run' },
  };
}

/** The latest completionTime among succeeded runs (status.lastSuccessfulTime), or the previous value. */
export function lastSuccessfulTime(runs: readonly ScheduledRun[], previous: string | undefined): string | undefined {
  let best = Date.parse(previous ?? '');
  for (const r of runs) {
    const t = Date.parse(r.completionTime ?? '');
    if (r.phase === 'Succeeded' && Number.isFinite(t) && !(t <= best)) best = t;
  }
  return Number.isFinite(best) ? new Date(best).toISOString() : undefined;
}
