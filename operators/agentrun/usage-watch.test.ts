import { describe, expect, it } from 'vitest';
import { runUsageConfigMapName, runUsageMetadata } from '../model/agentrun/usage.js';
import { runKeyOfUsageConfigMap } from './usage-watch.js';

describe('runKeyOfUsageConfigMap', () => {
  it('maps a run usage ConfigMap to its run from the annotations, long names included', () => {
    const long = 'r'.repeat(80);
    for (const run of ['triage', long]) {
      const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: runUsageConfigMapName('ai', 'AgentRun', run), namespace: 'agentlab-system', ...runUsageMetadata('ai', 'AgentRun', run) } };
      expect(runKeyOfUsageConfigMap(cm)).toBe(`ai/${run}`);
    }
  });

  it('maps a Flow\'s or HardwareTask\'s usage ConfigMap to no AgentRun; one written before kinds (no run-kind) to the AgentRun', () => {
    for (const kind of ['Flow', 'HardwareTask'] as const) {
      expect(runKeyOfUsageConfigMap({ metadata: { name: runUsageConfigMapName('ai', kind, 'triage'), ...runUsageMetadata('ai', kind, 'triage') } })).toBeUndefined();
    }
    expect(runKeyOfUsageConfigMap({ metadata: { name: 'run-usage-0123', annotations: { 'agentlab.dev/run-namespace': 'ai', 'agentlab.dev/run': 'triage' } } })).toBe('ai/triage');
  });

  it('maps a ConfigMap that names no run to nothing', () => {
    expect(runKeyOfUsageConfigMap({ metadata: { name: 'x', namespace: 'agentlab-system', annotations: { 'agentlab.dev/run': 'triage' } } })).toBeUndefined();
    expect(runKeyOfUsageConfigMap({ metadata: { name: 'x', namespace: 'agentlab-system' } })).toBeUndefined();
  });
});
