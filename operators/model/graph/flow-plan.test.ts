import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { FlowNode, FlowSpec } from '../../api/generated/flow.js';
import { agentRunName, flowChildName, flowPlanDigest, planFlowRun, toolPodName } from './flow-plan.js';

const tool = (id: string, extra: Partial<FlowNode> = {}): FlowNode => ({ id, type: 'tool', tool: { image: 'ghcr.io/agentlab/step-runner', args: ['true'] }, outputs: [{ name: 'out' }], ...extra });
const model = (id: string, extra: Partial<FlowNode> = {}): FlowNode => ({ id, type: 'model', model: { prompt: 'p' }, outputs: [{ name: 'text' }], ...extra });

describe('planFlowRun', () => {
  it('gives every node its wave, action and child, in wave order', () => {
    const spec: FlowSpec = {
      nodes: [
        model('summarise', { model: { prompt: 'sum ${nodes.fetch.outputs.out}' } }),
        tool('fetch'),
        { id: 'review', type: 'approval', approval: {}, dependsOn: ['summarise'] },
        { id: 'agent', type: 'agent', agent: { task: 't' }, dependsOn: ['review'] },
        { id: 'sub', type: 'flow', flow: { name: 'other' }, dependsOn: ['review'] },
        { id: 'check', type: 'verify', verify: { target: { node: 'summarise', output: 'text' }, criteria: 'c' } },
      ],
    };
    const r = planFlowRun('daily', spec);
    expect(r.errors).toEqual([]);
    expect(r.plan).toEqual([
      { node: 'fetch', wave: 0, action: 'CreatePod', child: 'Pod/daily-fetch-1' },
      { node: 'summarise', wave: 1, action: 'CallModel' },
      { node: 'review', wave: 2, action: 'WaitForApproval' },
      { node: 'check', wave: 2, action: 'Verify' },
      { node: 'agent', wave: 3, action: 'CreateAgentRun', child: 'AgentRun/daily-agent' },
      { node: 'sub', wave: 3, action: 'CreateFlow', child: 'Flow/daily-sub' },
    ]);
    expect(r.unsupported).toEqual([]);
  });

  it('plans nothing for an invalid graph and reports the field path', () => {
    const r = planFlowRun('f', { nodes: [model('a', { dependsOn: ['b'] }), model('b', { dependsOn: ['a'] })] });
    expect(r.plan).toEqual([]);
    expect(r.errors).toEqual([{ field: 'spec.nodes', message: 'dependency cycle: a -> b -> a' }]);
  });

  it('refuses a text model node with several outputs or a file output', () => {
    const r = planFlowRun('f', { nodes: [model('a', { outputs: [{ name: 'x' }, { name: 'y' }] }), model('b', { outputs: [{ name: 'f', type: 'file' }] })] });
    expect(r.plan).toEqual([]);
    expect(r.errors.map((e) => e.field)).toEqual(['spec.nodes[0].outputs', 'spec.nodes[1].outputs[0].type']);
    expect(planFlowRun('f', { nodes: [model('a', { model: { prompt: 'p', format: 'json' }, outputs: [{ name: 'x' }, { name: 'y', type: 'number' }] })] }).errors).toEqual([]);
  });
});

describe('flowChildName', () => {
  it('is <flow>-<parts> and stays a valid object name for long flow names', () => {
    expect(toolPodName('f', 'build', 2)).toBe('f-build-2');
    const long = 'a'.repeat(250);
    const name = flowChildName(long, 'node', 3);
    expect(name.length).toBeLessThanOrEqual(253);
    expect(name.endsWith('-node-3')).toBe(true);
    expect(flowChildName(long, 'node', 3)).toBe(name);
    expect(flowChildName(`${'a'.repeat(249)}b`, 'node', 3)).not.toBe(name);
  });
});

describe('flowPlanDigest', () => {
  const spec: FlowSpec = { params: [{ name: 'q', value: 'x' }], nodes: [tool('a'), model('b', { model: { prompt: '${nodes.a.outputs.out}' } })] };
  const digest = (s: FlowSpec) => flowPlanDigest(s, planFlowRun('f', s).plan);

  it('is stable over key order and ignores mode, suspend, schedule and description', () => {
    expect(digest(spec)).toMatch(/^sha256:[0-9a-f]{16}$/);
    const reverseKeys = (v: unknown): unknown => Array.isArray(v) ? v.map(reverseKeys)
      : v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).reverse().map(([k, x]) => [k, reverseKeys(x)])) : v;
    const reordered = reverseKeys(spec) as FlowSpec;
    expect(JSON.stringify(reordered)).not.toBe(JSON.stringify(spec));
    expect(digest(reordered)).toBe(digest(spec));
    expect(digest({ ...spec, mode: 'Plan', suspend: true, schedule: '@daily', description: 'd' })).toBe(digest(spec));
  });

  it('changes with anything that decides what runs', () => {
    const changed: FlowSpec[] = [
      { ...spec, params: [{ name: 'q', value: 'y' }] },
      { ...spec, lane: 'private' },
      { ...spec, sensitive: true },
      { ...spec, nodes: [tool('a', { tool: { image: 'busybox' } }), spec.nodes[1]] },
      { ...spec, nodes: [tool('a', { retries: 2 }), spec.nodes[1]] },
    ];
    for (const c of changed) expect(digest(c)).not.toBe(digest(spec));
  });

  it('does not depend on object key order for any spec (property)', () => {
    const node = fc.record({ id: fc.constantFrom('a', 'b', 'c'), retries: fc.integer({ min: 0, max: 3 }), image: fc.string({ maxLength: 8 }) });
    fc.assert(fc.property(fc.uniqueArray(node, { selector: (n) => n.id, minLength: 1 }), (nodes) => {
      const s: FlowSpec = { nodes: nodes.map((n) => ({ id: n.id, type: 'tool', retries: n.retries, tool: { image: n.image || 'x' } })) };
      const flipped: FlowSpec = { nodes: s.nodes.map((n) => ({ tool: { image: n.tool!.image }, retries: n.retries, type: n.type, id: n.id })) };
      expect(digest(flipped)).toBe(digest(s));
    }));
  });
});

describe('agentRunName', () => {
  it('is <flow>-<node> for the first attempt, <flow>-<node>-<n> after, and at most 63 characters', () => {
    expect(agentRunName('daily', 'triage', 1)).toBe('daily-triage');
    expect(agentRunName('daily', 'triage', 2)).toBe('daily-triage-2');
    const long = agentRunName('f'.repeat(60), 'node', 3);
    expect(long.length).toBeLessThanOrEqual(63);
    expect(long).toMatch(/-[0-9a-f]{10}-3$/);
    expect(agentRunName('f'.repeat(60), 'node', 3)).toBe(long);
    expect(agentRunName('f'.repeat(60), 'other', 3)).not.toBe(long);
  });
});

describe('flowPlanDigest and decisions', () => {
  it('does not change when a person decides an approval node, and changes with its message', () => {
    const base: FlowSpec = { nodes: [tool('fetch'), { id: 'ok', type: 'approval', approval: { message: 'go?' }, dependsOn: ['fetch'] }] };
    const digest = (s: FlowSpec) => flowPlanDigest(s, planFlowRun('daily', s).plan);
    const decided: FlowSpec = { nodes: [base.nodes[0], { ...base.nodes[1], approval: { message: 'go?', decision: 'Approved', decidedBy: 'alice', reason: 'fine' } }] };
    expect(digest(decided)).toBe(digest(base));
    const reworded: FlowSpec = { nodes: [base.nodes[0], { ...base.nodes[1], approval: { message: 'really go?' } }] };
    expect(digest(reworded)).not.toBe(digest(base));
    expect(digest({ ...base, approval: { required: true, planDigest: 'sha256:0', decision: 'Approved', decidedBy: 'a' } })).toBe(digest(base));
  });
});
