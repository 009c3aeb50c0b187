import { describe, expect, it } from 'vitest';
import type { FlowSpec, FlowStatus } from '../api/generated/flow.js';
import { reconcileOnce } from '../runtime/test-kit.js';
import { flowController } from './controller.js';
import { scheduledRunName } from './schedule.js';
import type { FlowObject } from './types.js';

const created = '2026-03-01T09:58:30Z';
const step = { image: 'ghcr.io/agentlab/step-runner' };
const spec: FlowSpec = { schedule: '*/5 * * * *', nodes: [{ id: 'a', type: 'tool', tool: { ...step, args: ['true'] } }] };
const parent = (s: Partial<FlowSpec> = {}, status?: FlowStatus): FlowObject => ({
  apiVersion: 'agentlab.dev/v1alpha1', kind: 'Flow',
  metadata: { name: 'nightly', namespace: 'lab', uid: 'uid-p', generation: 1, creationTimestamp: created },
  spec: { ...spec, ...s },
  ...(status ? { status } : {}),
});
const child = (at: string, phase?: FlowStatus['phase'], completionTime?: string): FlowObject => ({
  apiVersion: 'agentlab.dev/v1alpha1', kind: 'Flow',
  metadata: {
    name: scheduledRunName('nightly', new Date(at)), namespace: 'lab', uid: `uid-${at}`,
    annotations: { 'agentlab.dev/scheduled-time': new Date(at).toISOString() },
    ownerReferences: [{ apiVersion: 'agentlab.dev/v1alpha1', kind: 'Flow', name: 'nightly', uid: 'uid-p', controller: true }],
  },
  spec: { nodes: spec.nodes, mode: 'Run' },
  ...(phase ? { status: { phase, completionTime } } : {}),
});
const cond = (status: { conditions?: { type: string; status: string; reason: string; message: string }[] }, type: string) => status.conditions?.find((c) => c.type === type);

describe('flow controller: schedule', () => {
  it('waits for the first scheduled time after creation, then creates the run as an owned child Flow', async () => {
    const early = await reconcileOnce(flowController(), { object: parent(), now: new Date('2026-03-01T09:59:00Z') });
    expect(early.applied).toEqual([]);
    expect(early.status).toMatchObject({ phase: 'Scheduled', nextScheduleTime: '2026-03-01T10:00:00.000Z', active: [] });
    expect(early.result.requeueAfterMs).toBe(60_000 + 250);
    expect(cond(early.status, 'Ready')).toMatchObject({ status: 'True', reason: 'Scheduled', message: 'schedule "*/5 * * * *": next run at 2026-03-01T10:00:00.000Z' });

    const due = await reconcileOnce(flowController(), { object: parent(), now: new Date('2026-03-01T10:00:01Z') });
    const name = scheduledRunName('nightly', new Date('2026-03-01T10:00:00Z'));
    expect(due.applied.map((a) => a.object)).toEqual([expect.objectContaining({
      kind: 'Flow',
      metadata: expect.objectContaining({ name, ownerReferences: [expect.objectContaining({ kind: 'Flow', name: 'nightly', uid: 'uid-p', controller: true })] }),
      spec: { mode: 'Run', nodes: spec.nodes },
    })]);
    expect(due.status).toMatchObject({ phase: 'Scheduled', lastScheduleTime: '2026-03-01T10:00:00.000Z', nextScheduleTime: '2026-03-01T10:05:00.000Z', active: [name] });
    expect(due.events).toContainEqual({ type: 'Normal', reason: 'RunStarted', message: `started run ${name} scheduled at 2026-03-01T10:00:00.000Z` });
  });

  it('after a crash that lost the status write, records the run it finds instead of starting another', async () => {
    const run = await reconcileOnce(flowController(), { object: parent(), cache: [child('2026-03-01T10:00:00Z', 'Running')], now: new Date('2026-03-01T10:00:05Z') });
    expect(run.events.map((e) => e.reason)).not.toContain('RunStarted');
    expect(run.applied.map((a) => a.object.metadata!.name)).toEqual([scheduledRunName('nightly', new Date('2026-03-01T10:00:00Z'))]);
    expect(run.status).toMatchObject({ lastScheduleTime: '2026-03-01T10:00:00.000Z' });
  });

  it('Forbid: a due time waits while a run is active and says so', async () => {
    const active = child('2026-03-01T10:00:00Z', 'Running');
    const run = await reconcileOnce(flowController(), { object: parent({}, { phase: 'Scheduled', lastScheduleTime: '2026-03-01T10:00:00Z' }), cache: [active], now: new Date('2026-03-01T10:05:02Z') });
    expect(run.applied).toEqual([]);
    expect(run.status).toMatchObject({ phase: 'Scheduled', lastScheduleTime: '2026-03-01T10:00:00Z', active: [active.metadata!.name] });
    expect(cond(run.status, 'Ready')!.message).toContain(`the run scheduled at 2026-03-01T10:05:00.000Z waits: ${active.metadata!.name} is still active and concurrencyPolicy is Forbid`);
  });

  it('deletes finished runs beyond the history limits and reports the last success', async () => {
    const cache = [
      child('2026-03-01T10:00:00Z', 'Succeeded', '2026-03-01T10:01:00Z'),
      child('2026-03-01T10:05:00Z', 'Succeeded', '2026-03-01T10:06:00Z'),
      child('2026-03-01T10:10:00Z', 'Failed', '2026-03-01T10:11:00Z'),
    ];
    const run = await reconcileOnce(flowController(), { object: parent({ successfulRunsHistoryLimit: 1, failedRunsHistoryLimit: 0 }, { phase: 'Scheduled', lastScheduleTime: '2026-03-01T10:10:00Z' }), cache, now: new Date('2026-03-01T10:12:00Z') });
    expect(run.deleted.map((d) => d.name)).toEqual([cache[0].metadata!.name, cache[2].metadata!.name]);
    expect(run.status).toMatchObject({ lastSuccessfulTime: '2026-03-01T10:06:00.000Z', active: [] });
  });

  it('stalls a schedule cron cannot read, naming the field', async () => {
    const run = await reconcileOnce(flowController(), { object: parent({ schedule: '0 6 * * *', timeZone: 'Mars/Olympus' }), now: new Date('2026-03-01T10:00:00Z') });
    expect(cond(run.status, 'Stalled')).toMatchObject({ status: 'True', reason: 'InvalidSchedule', message: 'spec.timeZone: "Mars/Olympus" is not an IANA time zone (e.g. Europe/Oslo, America/New_York, UTC)' });
    expect(run.applied).toEqual([]);
  });

  it('a plan gate holds the schedule until the plan is approved', async () => {
    const run = await reconcileOnce(flowController(), { object: parent({ approval: { required: true } }), now: new Date('2026-03-01T10:00:01Z') });
    expect(run.status).toMatchObject({ phase: 'AwaitingApproval' });
    expect(run.applied).toEqual([]);
  });

  it('suspended: no new run, phase Suspended', async () => {
    const run = await reconcileOnce(flowController(), { object: parent({ suspend: true }), now: new Date('2026-03-01T10:00:01Z') });
    expect(run.applied).toEqual([]);
    expect(run.status).toMatchObject({ phase: 'Suspended' });
    expect(cond(run.status, 'Ready')).toMatchObject({ status: 'True', reason: 'Suspended' });
  });
});
