import { describe, expect, it } from 'vitest';
import { flowDecisionTarget, flowGatePatch, flowNodePatch, parseTarget } from './approval.js';

const nodes = [
  { id: 'count', type: 'tool' },
  { id: 'ok', type: 'approval', approval: {} },
  { id: 'also', type: 'approval', approval: {} },
];

describe('agentlab approve|reject flow/<name>', () => {
  it('parses flow/<name> as kubectl spells it', () => {
    for (const k of ['flow', 'flows', 'fl', 'Flow', 'flows.agentlab.dev']) expect(parseTarget(`${k}/cleanup`)).toEqual({ plural: 'flows', kind: 'Flow', name: 'cleanup' });
  });

  it('decides the waiting plan gate on the digest in status, or the one given', () => {
    const flow = { spec: { approval: { required: true }, nodes }, status: { phase: 'AwaitingApproval', planDigest: 'sha256:aaaa' } };
    expect(flowDecisionTarget('cleanup', flow, 'Approved', {})).toEqual({ kind: 'gate', planDigest: 'sha256:aaaa' });
    expect(flowDecisionTarget('cleanup', flow, 'Approved', { digest: 'sha256:bbbb' })).toEqual({ kind: 'gate', planDigest: 'sha256:bbbb' });
    // A decision on a stale digest is replaced by one on the current plan.
    const stale = { ...flow, spec: { ...flow.spec, approval: { required: true, decision: 'Rejected', decidedBy: 'ana', planDigest: 'sha256:old' } } };
    expect(flowDecisionTarget('cleanup', stale, 'Approved', {})).toEqual({ kind: 'gate', planDigest: 'sha256:aaaa' });
    const same = { ...flow, spec: { ...flow.spec, approval: { required: true, decision: 'Rejected', decidedBy: 'ana', planDigest: 'sha256:aaaa' } } };
    expect(flowDecisionTarget('cleanup', same, 'Approved', {})).toEqual({ error: 'the plan sha256:aaaa of flow/cleanup is already Rejected by ana; a decision cannot be changed' });
    expect(flowDecisionTarget('cleanup', { spec: flow.spec, status: {} }, 'Approved', {})).toMatchObject({ error: expect.stringMatching(/has no plan yet/) });
  });

  it('decides the one approval node waiting, or the node named; says when it cannot', () => {
    const one = { spec: { nodes }, status: { startTime: 't', nodes: [{ id: 'count', phase: 'Succeeded' }, { id: 'ok', phase: 'AwaitingApproval' }, { id: 'also', phase: 'Pending' }] } };
    expect(flowDecisionTarget('cleanup', one, 'Approved', {})).toEqual({ kind: 'node', index: 1, id: 'ok' });
    expect(flowDecisionTarget('cleanup', one, 'Rejected', { node: 'also' })).toEqual({ kind: 'node', index: 2, id: 'also' });
    const two = { ...one, status: { ...one.status, nodes: [{ id: 'count', phase: 'Succeeded' }, { id: 'ok', phase: 'AwaitingApproval' }, { id: 'also', phase: 'AwaitingApproval' }] } };
    expect(flowDecisionTarget('cleanup', two, 'Approved', {})).toEqual({ error: 'flow/cleanup has 2 approval nodes waiting (ok, also): pick one with --node <id>' });
    expect(flowDecisionTarget('cleanup', one, 'Approved', { node: 'count' })).toEqual({ error: 'node "count" of flow/cleanup is a tool node; only approval nodes take a decision' });
    expect(flowDecisionTarget('cleanup', one, 'Approved', { node: 'nope' })).toEqual({ error: 'flow/cleanup has no node "nope" (nodes: count, ok, also)' });
    const decided = { spec: { nodes: [nodes[0], { id: 'ok', type: 'approval', approval: { decision: 'Approved', decidedBy: 'ana' } }] }, status: one.status };
    expect(flowDecisionTarget('cleanup', decided, 'Rejected', { node: 'ok' })).toEqual({ error: 'node "ok" of flow/cleanup is already Approved by ana; a decision cannot be changed' });
    expect(flowDecisionTarget('cleanup', { spec: { nodes }, status: { startTime: 't', nodes: [] } }, 'Approved', {})).toMatchObject({ error: expect.stringMatching(/waits for no approval/) });
  });

  it('writes the gate in one merge patch and a node with a JSON patch that tests its id first', () => {
    expect(flowGatePatch('Approved', 'ana', 'sha256:aaaa', 'looks right')).toEqual({ spec: { approval: { planDigest: 'sha256:aaaa', decision: 'Approved', decidedBy: 'ana', reason: 'looks right' } } });
    expect(flowNodePatch(1, 'ok', 'Rejected', 'ana')).toEqual([
      { op: 'test', path: '/spec/nodes/1/id', value: 'ok' },
      { op: 'add', path: '/spec/nodes/1/approval/decision', value: 'Rejected' },
      { op: 'add', path: '/spec/nodes/1/approval/decidedBy', value: 'ana' },
    ]);
  });
});
