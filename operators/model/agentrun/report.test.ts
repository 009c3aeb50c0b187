import { describe, expect, it } from 'vitest';
import { checkReportBody, isRunsReport, runReportConfigMap, runReportConfigMapName, runReportFromConfigMap } from './report.js';

const termination = JSON.stringify({ outcome: 'Succeeded', reason: 'Completed', message: '', result: 'done', turns: 1, toolCalls: 0, toolErrors: 0 });

describe('run report', () => {
  it('names one ConfigMap per run and kind, of fixed length', () => {
    expect(runReportConfigMapName('ns', 'AgentRun', 'a')).toMatch(/^agentrun-report-[0-9a-f]{20}$/);
    expect(runReportConfigMapName('ns', 'AgentRun', 'a')).not.toBe(runReportConfigMapName('ns', 'AgentRun', 'b'));
    expect(runReportConfigMapName('ns', 'AgentRun', 'a')).not.toBe(runReportConfigMapName('ns', 'Flow', 'a'));
    expect(runReportConfigMapName('n-s', 'AgentRun', 'a')).not.toBe(runReportConfigMapName('n', 'AgentRun', 's-a'));
  });

  it.each([
    [null, 'a JSON object'],
    [{ transcript: '' }, 'termination: must be'],
    [{ termination: 'not json' }, 'termination: not a JSON object'],
    [{ termination: '[1]' }, 'termination: not a JSON object'],
    [{ termination: 'x'.repeat(5000) }, 'termination: over 4096 bytes'],
    [{ termination, transcript: 5 }, 'transcript: must be a string'],
    [{ termination, transcript: 'x'.repeat(901 * 1024) }, 'transcript: over'],
  ])('refuses %j naming the field', (body, message) => {
    const r = checkReportBody(body);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.message).toContain(message);
  });

  it('round-trips through the ConfigMap, for that run only', () => {
    const r = checkReportBody({ termination, transcript: '{"type":"start"}\n' });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const cm = runReportConfigMap('agentlab-system', 'team', 'run-1', r.report);
    expect(cm.metadata).toMatchObject({ name: runReportConfigMapName('team', 'AgentRun', 'run-1'), namespace: 'agentlab-system' });
    // A Flow's token (its owner) reports into the Flow's ConfigMap, never an AgentRun's of the same name.
    expect(runReportConfigMap('agentlab-system', 'team', 'run-1', r.report, { kind: 'Flow', uid: 'f' }).metadata.name).toBe(runReportConfigMapName('team', 'Flow', 'run-1'));
    expect(runReportFromConfigMap(cm, 'team', 'run-1')).toEqual(r.report);
    expect(runReportFromConfigMap(cm, 'team', 'run-2')).toBeUndefined();
    expect(runReportFromConfigMap(cm, 'other', 'run-1')).toBeUndefined();
  });

  it('records the run\'s owner; a report of an earlier run of the same name is not the new run\'s', () => {
    const report = { termination, transcript: '' };
    const cm = { ...runReportConfigMap('router', 'ns', 'a', report, { kind: 'AgentRun', uid: 'old' }), metadata: { ...runReportConfigMap('router', 'ns', 'a', report).metadata, creationTimestamp: '2026-12-03T10:00:00Z' } };
    expect(cm.data).toMatchObject({ runKind: 'AgentRun', runUid: 'old' });
    expect(runReportFromConfigMap(cm, 'ns', 'a', { uid: 'old', creationTimestamp: '2026-12-03T09:00:00Z' })).toEqual(report);
    expect(runReportFromConfigMap(cm, 'ns', 'a', { uid: 'new', creationTimestamp: '2026-12-03T11:00:00Z' })).toBeUndefined();
    // Written before UIDs were recorded: an earlier run's when it is older than the run.
    const legacy = { metadata: { ...cm.metadata }, data: { 'termination.json': termination } };
    expect(isRunsReport(legacy, { uid: 'new', creationTimestamp: '2026-12-03T11:00:00Z' })).toBe(false);
    expect(isRunsReport(legacy, { uid: 'new', creationTimestamp: '2026-12-03T10:00:00Z' })).toBe(true);
    expect(isRunsReport(legacy, { uid: 'new' })).toBe(true);
  });
});
