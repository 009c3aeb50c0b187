import { describe, expect, it } from 'vitest';
import { checkReportBody, runReportConfigMap, runReportConfigMapName, runReportFromConfigMap } from './report.js';

const termination = JSON.stringify({ outcome: 'Succeeded', reason: 'Completed', message: '', result: 'done', turns: 1, toolCalls: 0, toolErrors: 0 });

describe('run report', () => {
  it('names one ConfigMap per run, of fixed length', () => {
    expect(runReportConfigMapName('ns', 'a')).toMatch(/^run-report-[0-9a-f]{20}$/);
    expect(runReportConfigMapName('ns', 'a')).not.toBe(runReportConfigMapName('ns', 'b'));
    expect(runReportConfigMapName('n-s', 'a')).not.toBe(runReportConfigMapName('n', 's-a'));
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
    expect(cm.metadata).toMatchObject({ name: runReportConfigMapName('team', 'run-1'), namespace: 'agentlab-system' });
    expect(runReportFromConfigMap(cm, 'team', 'run-1')).toEqual(r.report);
    expect(runReportFromConfigMap(cm, 'team', 'run-2')).toBeUndefined();
    expect(runReportFromConfigMap(cm, 'other', 'run-1')).toBeUndefined();
  });
});
