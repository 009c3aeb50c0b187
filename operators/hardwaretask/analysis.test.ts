import { describe, expect, it } from 'vitest';
import { analysisRequest, MAX_REPORT, nodeFacts, reportOutputs } from './analysis.js';

const node = {
  apiVersion: 'v1', kind: 'Node',
  metadata: { name: 'chief-horse', labels: { 'nvidia.com/gpu.product': 'RTX-3060' }, annotations: { 'sim.agentlab.dev/hardware': '{"disks":[]}' } },
  status: { capacity: { cpu: '16', memory: '64Gi' }, allocatable: { cpu: '15' } },
};
const step = { name: 'a', type: 'analysis' as const, analysis: { prompt: 'How much?' } };

describe('analysis step', () => {
  it('adds capacity, allocatable, labels and the disk inventory', () => {
    expect(nodeFacts('chief-horse', node)).toBe('Node chief-horse:\n- capacity: cpu=16, memory=64Gi\n- allocatable: cpu=15\n- labels: nvidia.com/gpu.product=RTX-3060\n- disk inventory (JSON): {"disks":[]}');
    expect(nodeFacts('x', { ...node, metadata: { name: 'x' } })).toContain('- disk inventory: not known to Kubernetes');
    expect(nodeFacts('gone', undefined)).toBe('Node gone: not found in the cluster.');
  });

  it('asks the step model with the facts unless includeNodeFacts is false', () => {
    expect(analysisRequest(step, 'How much?', 'FACTS').messages[1]).toEqual({ role: 'user', content: 'How much?\n\nFACTS' });
    expect(analysisRequest({ ...step, analysis: { ...step.analysis, includeNodeFacts: false, model: 'big' } }, 'How much?', 'FACTS')).toMatchObject({ model: 'big', messages: [{ role: 'system' }, { role: 'user', content: 'How much?' }] });
  });

  it('cuts a long report to what status holds and says so', () => {
    expect(reportOutputs('short')).toEqual({ outputs: { report: 'short' }, message: 'report of 5 characters' });
    const long = reportOutputs('x'.repeat(MAX_REPORT + 10));
    expect(long.outputs.report).toHaveLength(MAX_REPORT);
    expect(long.message).toBe(`report of ${MAX_REPORT + 10} characters, cut to the first ${MAX_REPORT} in outputs.report`);
  });
});
