import { describe, expect, it } from 'vitest';
import { runUsageConfigMapName, runUsageMetadata } from '../model/agentrun/usage.js';
import { runKeyOfUsageConfigMap } from './usage-watch.js';

describe('runKeyOfUsageConfigMap', () => {
  it('maps a run usage ConfigMap to its run from the annotations, long names included', () => {
    const long = 'r'.repeat(80);
    for (const run of ['triage', long]) {
      const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: runUsageConfigMapName('ai', run), namespace: 'agentlab-system', ...runUsageMetadata('ai', run) } };
      expect(runKeyOfUsageConfigMap(cm)).toBe(`ai/${run}`);
    }
  });

  it('maps a ConfigMap that names no run to nothing', () => {
    expect(runKeyOfUsageConfigMap({ metadata: { name: 'x', namespace: 'agentlab-system', annotations: { 'agentlab.dev/run': 'triage' } } })).toBeUndefined();
    expect(runKeyOfUsageConfigMap({ metadata: { name: 'x', namespace: 'agentlab-system' } })).toBeUndefined();
  });
});
