import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { checkSchedule, decideSchedule, desiredScheduledRun, lastSuccessfulTime, latestScheduledTime, nextScheduledTime, pruneRuns, scheduledRunName, type ScheduledRun } from './schedule.js';

const t = (iso: string) => new Date(iso);
const run = (name: string, at: string, phase?: ScheduledRun['phase'], completionTime?: string): ScheduledRun => ({ name, scheduledAt: t(at), phase, completionTime });

describe('checkSchedule', () => {
  it.each([
    [{ schedule: '*/5 * * * *' }, undefined],
    [{ schedule: '@daily', timeZone: 'Europe/Oslo' }, undefined],
    [{ schedule: '61 * * * *' }, 'spec.schedule'],
    [{ schedule: '* * * * * *' }, 'spec.schedule'],
    [{ schedule: 'a b c d e' }, 'spec.schedule'],
    [{ schedule: '0 6 * * *', timeZone: 'Mars/Olympus' }, 'spec.timeZone'],
  ])('%j -> %s', (spec, field) => {
    expect(checkSchedule(spec)?.field).toBe(field);
  });

  it('says what a schedule looks like', () => {
    expect(checkSchedule({ schedule: '* * * * * *' })!.message).toBe('"* * * * * *" has 6 fields; a schedule has 5 (minute hour day-of-month month day-of-week), e.g. "0 6 * * *", or is one of @yearly, @monthly, @weekly, @daily, @hourly');
    expect(checkSchedule({ schedule: '61 * * * *' })!.message).toMatch(/^"61 \* \* \* \*" is not a cron schedule: .*61/);
  });
});

describe('scheduled times', () => {
  it('finds the latest time at or before now and the next one, in the time zone', () => {
    const s = { expression: '*/5 * * * *' };
    expect(latestScheduledTime(s, t('2026-01-01T10:07:30Z'))).toEqual(t('2026-01-01T10:05:00Z'));
    expect(latestScheduledTime(s, t('2026-01-01T10:05:00Z'))).toEqual(t('2026-01-01T10:05:00Z'));
    expect(nextScheduledTime(s, t('2026-01-01T10:05:00Z'))).toEqual(t('2026-01-01T10:10:00Z'));
    // 06:00 in Oslo is 05:00 UTC in winter, 04:00 UTC in summer.
    expect(nextScheduledTime({ expression: '0 6 * * *', timeZone: 'Europe/Oslo' }, t('2026-01-01T10:00:00Z'))).toEqual(t('2026-01-02T05:00:00Z'));
    expect(nextScheduledTime({ expression: '0 6 * * *', timeZone: 'Europe/Oslo' }, t('2026-07-01T10:00:00Z'))).toEqual(t('2026-07-02T04:00:00Z'));
  });

  it('latest <= now < next, for any minute schedule and time (property)', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 59 }), fc.date({ min: t('2020-01-01T00:00:00Z'), max: t('2030-01-01T00:00:00Z'), noInvalidDate: true }), (step, now) => {
      const s = { expression: `*/${step} * * * *` };
      const latest = latestScheduledTime(s, now);
      const next = nextScheduledTime(s, now);
      return latest.getTime() <= now.getTime() && next.getTime() > now.getTime() && nextScheduledTime(s, latest).getTime() >= next.getTime() - 60 * 60_000;
    }));
  });

  it('names a run for its minute, CronJob style, within a Flow name limit', () => {
    expect(scheduledRunName('nightly', t('2026-01-01T10:05:00Z'))).toBe(`nightly-${Date.parse('2026-01-01T10:05:00Z') / 60_000}`);
    expect(scheduledRunName('x'.repeat(253), t('2026-01-01T10:05:00Z'))).toHaveLength(253);
  });
});

describe('decideSchedule', () => {
  const spec = { schedule: '*/5 * * * *' };
  const base = { spec, since: t('2026-01-01T10:00:00Z'), recorded: t('2026-01-01T10:00:00Z'), runs: [] as ScheduledRun[] };

  it('starts nothing before the first time after creation, then the due time once', () => {
    const early = decideSchedule({ ...base, now: t('2026-01-01T10:04:59Z') });
    expect(early.start).toBeUndefined();
    expect(early.next).toEqual(t('2026-01-01T10:05:00Z'));
    expect(decideSchedule({ ...base, now: t('2026-01-01T10:05:01Z') }).start).toEqual(t('2026-01-01T10:05:00Z'));
    // Recorded: not due again.
    expect(decideSchedule({ ...base, since: t('2026-01-01T10:05:00Z'), now: t('2026-01-01T10:06:00Z') }).start).toBeUndefined();
  });

  it('runs only the latest of many missed times (no backlog)', () => {
    expect(decideSchedule({ ...base, now: t('2026-01-01T13:02:00Z') }).start).toEqual(t('2026-01-01T13:00:00Z'));
  });

  it('re-finds a run created before a lost status write instead of creating another', () => {
    const d = decideSchedule({ ...base, now: t('2026-01-01T10:05:30Z'), runs: [run('r', '2026-01-01T10:05:00Z')] });
    expect(d.start).toEqual(t('2026-01-01T10:05:00Z'));
    expect(d.skipped).toBeUndefined();
  });

  it('misses a time past startingDeadlineSeconds', () => {
    const d = decideSchedule({ ...base, spec: { ...spec, startingDeadlineSeconds: 60 }, now: t('2026-01-01T10:06:30Z') });
    expect(d.start).toBeUndefined();
    expect(d.skipped).toMatchObject({ reason: 'MissedSchedule', message: 'missed the run scheduled at 2026-01-01T10:05:00.000Z: 90 s late, past startingDeadlineSeconds (60)' });
    expect(decideSchedule({ ...base, spec: { ...spec, startingDeadlineSeconds: 60 }, now: t('2026-01-01T10:05:59Z') }).start).toEqual(t('2026-01-01T10:05:00Z'));
  });

  it('concurrencyPolicy: Forbid (default) waits, Allow starts another, Replace deletes the active run', () => {
    const runs = [run('old', '2026-01-01T10:00:00Z', 'Running')];
    const now = t('2026-01-01T10:05:10Z');
    const forbid = decideSchedule({ ...base, now, runs });
    expect(forbid.start).toBeUndefined();
    expect(forbid).toMatchObject({ skipped: { reason: 'ConcurrencyForbidden', message: 'the run scheduled at 2026-01-01T10:05:00.000Z waits: old is still active and concurrencyPolicy is Forbid' }, replace: [] });
    expect(decideSchedule({ ...base, spec: { ...spec, concurrencyPolicy: 'Allow' }, now, runs })).toMatchObject({ start: t('2026-01-01T10:05:00Z'), replace: [] });
    expect(decideSchedule({ ...base, spec: { ...spec, concurrencyPolicy: 'Replace' }, now, runs })).toMatchObject({ start: t('2026-01-01T10:05:00Z'), replace: ['old'] });
    // Finished runs do not hold a Forbid schedule.
    expect(decideSchedule({ ...base, now, runs: [run('old', '2026-01-01T10:00:00Z', 'Failed')] }).start).toEqual(t('2026-01-01T10:05:00Z'));
  });

  it('starts nothing while suspended', () => {
    const d = decideSchedule({ ...base, spec: { ...spec, suspend: true }, now: t('2026-01-01T10:05:10Z') });
    expect(d.start).toBeUndefined();
    expect(d.skipped?.reason).toBe('Suspended');
  });
});

describe('pruneRuns', () => {
  const runs = [
    run('s1', '2026-01-01T10:00:00Z', 'Succeeded'), run('f1', '2026-01-01T10:05:00Z', 'Failed'), run('s2', '2026-01-01T10:10:00Z', 'Succeeded'),
    run('f2', '2026-01-01T10:15:00Z', 'Failed'), run('s3', '2026-01-01T10:20:00Z', 'Succeeded'), run('s4', '2026-01-01T10:25:00Z', 'Succeeded'),
    run('a', '2026-01-01T10:30:00Z', 'Running'),
  ];
  it('keeps the newest 3 succeeded and 1 failed by default; never an active or unrecorded run', () => {
    expect(pruneRuns(runs, {}, t('2026-01-01T10:30:00Z'))).toEqual(['s1', 'f1']);
    expect(pruneRuns(runs, { successfulRunsHistoryLimit: 0, failedRunsHistoryLimit: 0 }, t('2026-01-01T10:30:00Z'))).toEqual(['s1', 's2', 's3', 's4', 'f1', 'f2']);
    expect(pruneRuns(runs, { successfulRunsHistoryLimit: 0 }, t('2026-01-01T10:20:00Z'))).toEqual(['s1', 's2', 's3', 'f1']);
    expect(pruneRuns(runs, {}, undefined)).toEqual([]);
  });
});

describe('desiredScheduledRun', () => {
  it('copies the spec without the scheduling fields, the plan gate, suspend and mode', () => {
    const child = desiredScheduledRun({
      name: 'nightly', namespace: 'lab',
      spec: {
        schedule: '0 2 * * *', timeZone: 'UTC', concurrencyPolicy: 'Forbid', startingDeadlineSeconds: 300, successfulRunsHistoryLimit: 3, failedRunsHistoryLimit: 1,
        approval: { required: true, decision: 'Approved', decidedBy: 'ana', planDigest: 'sha256:00' }, suspend: false, mode: 'Run', lane: 'private',
        nodes: [{ id: 'a', type: 'tool', tool: { image: 'x' } }],
      },
    }, t('2026-01-01T02:00:00Z'));
    expect(child).toEqual({
      apiVersion: 'agentlab.dev/v1alpha1', kind: 'Flow',
      metadata: { name: scheduledRunName('nightly', t('2026-01-01T02:00:00Z')), namespace: 'lab', labels: { 'agentlab.dev/scheduled-by': 'nightly' }, annotations: { 'agentlab.dev/scheduled-time': '2026-01-01T02:00:00.000Z' } },
      spec: { lane: 'private', mode: 'Run', nodes: [{ id: 'a', type: 'tool', tool: { image: 'x' } }] },
    });
  });
});

describe('lastSuccessfulTime', () => {
  it('is the latest completion of a succeeded run, never moving back', () => {
    expect(lastSuccessfulTime([run('a', '2026-01-01T10:00:00Z', 'Succeeded', '2026-01-01T10:01:00Z'), run('b', '2026-01-01T10:05:00Z', 'Failed', '2026-01-01T10:09:00Z')], undefined)).toBe('2026-01-01T10:01:00.000Z');
    expect(lastSuccessfulTime([run('a', '2026-01-01T10:00:00Z', 'Succeeded', '2026-01-01T10:01:00Z')], '2026-01-01T11:00:00.000Z')).toBe('2026-01-01T11:00:00.000Z');
  });
});
