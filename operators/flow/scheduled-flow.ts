import type { FlowStatus } from '../api/generated/flow.js';
import type { FlowPlanEntry } from '../model/graph/index.js';
import type { ReconcileContext } from '../runtime/controller.js';
import type { ReconcileResult } from '../runtime/outcome.js';
import { FLOWS } from './resources.js';
import { decideSchedule, desiredScheduledRun, lastSuccessfulTime, MAX_ACTIVE_LISTED, scheduledRuns, type ScheduledRun } from './schedule.js';
import type { FlowObject as Flow } from './types.js';

/** Slack after a scheduled time before waking up, so the wake-up sees the time as due. */
const WAKE_SLACK_MS = 250;

/**
 * One reconcile of a Flow with spec.schedule (after planning and the plan gate): creates the run
 * that is due as a child Flow (deterministic name, so a crash between create and the status
 * write re-finds it instead of running it twice), deletes runs beyond the history limits, and
 * reports phase Scheduled (Suspended when suspended) with lastScheduleTime, nextScheduleTime and
 * the active runs.
 */
export async function reconcileSchedule(
  ctx: ReconcileContext<Flow>,
  args: { plan: FlowPlanEntry[]; digest: string; approval: FlowStatus['approval']; now: Date },
): Promise<ReconcileResult> {
  const flow = ctx.object;
  const { now } = args;
  const prev: FlowStatus = flow.status ?? {};
  const ns = flow.metadata!.namespace!;
  const runs = scheduledRuns(flow, ctx.cache.list<Flow>(FLOWS, ns));
  const recorded = prev.lastScheduleTime ? new Date(prev.lastScheduleTime) : undefined;
  const since = recorded ?? new Date(Date.parse(String(flow.metadata!.creationTimestamp ?? '')) || now.getTime());
  const d = decideSchedule({ spec: flow.spec, now, since, recorded, runs });

  for (const name of d.replace) {
    await ctx.deleteChild(FLOWS, ns, name);
    ctx.event('Normal', 'RunReplaced', `deleted active run ${name} (concurrencyPolicy Replace)`);
  }
  let lastScheduleTime = prev.lastScheduleTime;
  let active: ScheduledRun[] = d.active.filter((r) => !d.replace.includes(r.name));
  if (d.start) {
    const child = desiredScheduledRun({ name: flow.metadata!.name!, namespace: ns, spec: flow.spec }, d.start);
    const existed = runs.some((r) => r.name === child.metadata!.name);
    await ctx.apply(FLOWS, child);
    lastScheduleTime = d.start.toISOString();
    if (!existed) {
      active = [...active, { name: child.metadata!.name!, scheduledAt: d.start }];
      ctx.event('Normal', 'RunStarted', `started run ${child.metadata!.name} scheduled at ${lastScheduleTime}`);
    }
  }
  if (d.skipped?.reason === 'MissedSchedule' && prev.conditions?.find((c) => c.type === 'Ready')?.message?.includes(d.skipped.message) !== true) {
    ctx.event('Warning', 'MissedSchedule', d.skipped.message);
  }
  for (const name of d.prune) {
    await ctx.deleteChild(FLOWS, ns, name);
    ctx.event('Normal', 'RunDeleted', `deleted run ${name}: beyond the history limit`);
  }

  const suspended = Boolean(flow.spec.suspend);
  const status: FlowStatus = {
    phase: suspended ? 'Suspended' : 'Scheduled',
    plan: args.plan,
    planDigest: args.digest,
    lastScheduleTime,
    lastSuccessfulTime: lastSuccessfulTime(runs, prev.lastSuccessfulTime),
    nextScheduleTime: suspended ? undefined : d.next.toISOString(),
    active: active.slice(0, MAX_ACTIVE_LISTED).map((r) => r.name),
    approval: args.approval,
    usage: prev.usage,
  };
  ctx.setStatus(JSON.parse(JSON.stringify(status)) as Record<string, unknown>);

  const zone = flow.spec.timeZone ? ` (${flow.spec.timeZone})` : '';
  const running = active.length > 0 ? `; active: ${active.map((r) => r.name).join(', ')}` : '';
  const last = [...runs].filter((r) => r.phase === 'Succeeded' || r.phase === 'Failed').sort((a, b) => b.scheduledAt.getTime() - a.scheduledAt.getTime())[0];
  const lastText = last ? `; last finished run ${last.name} ${last.phase}` : '';
  const skipped = d.skipped && d.skipped.reason !== 'Suspended' ? `; ${d.skipped.message}` : '';
  if (suspended) {
    return { outcome: { kind: 'ready', reason: 'Suspended', message: `schedule "${flow.spec.schedule}"${zone} suspended: no new runs until spec.suspend is false${running}${lastText}` } };
  }
  return {
    outcome: { kind: 'ready', reason: 'Scheduled', message: `schedule "${flow.spec.schedule}"${zone}: next run at ${d.next.toISOString()}${running}${lastText}${skipped}` },
    requeueAfterMs: Math.max(0, d.next.getTime() - now.getTime()) + WAKE_SLACK_MS,
  };
}
