import { describe, expect, it } from 'vitest';
import { approvalPatch, cannotDecide, explainRefusal, parseTarget } from './approval.js';
import { UsageError } from './command.js';

describe('agentlab approve|reject helpers', () => {
  it('parses agentrun/<name> in the spellings kubectl accepts, and refuses other kinds', () => {
    for (const k of ['agentrun', 'agentruns', 'AgentRun', 'agentrun.agentlab.dev']) expect(parseTarget(`${k}/x`)).toEqual({ plural: 'agentruns', kind: 'AgentRun', name: 'x' });
    expect(() => parseTarget('pod/x')).toThrow(UsageError);
    expect(() => parseTarget('pod/x')).toThrow(/has no approval gate/);
    expect(() => parseTarget('agentrun')).toThrow(/is not <kind>\/<name>/);
    expect(() => parseTarget(undefined)).toThrow(/expected <kind>\/<name>/);
  });

  it('one merge patch with decision, decidedBy and reason', () => {
    expect(approvalPatch('Approved', 'alice', 'ok')).toEqual({ spec: { approval: { decision: 'Approved', decidedBy: 'alice', reason: 'ok' } } });
    expect(approvalPatch('Rejected', 'bob')).toEqual({ spec: { approval: { decision: 'Rejected', decidedBy: 'bob' } } });
  });

  it('says why a run cannot take a decision', () => {
    expect(cannotDecide('AgentRun', 'r', undefined, 'Approved')).toMatch(/does not wait for approval/);
    expect(cannotDecide('AgentRun', 'r', { required: true, decision: 'Rejected', decidedBy: 'bob' }, 'Approved')).toBe('agentrun/r is already Rejected by bob; a decision cannot be changed');
    expect(cannotDecide('AgentRun', 'r', { required: true }, 'Approved')).toBeUndefined();
  });

  it('turns the policy\'s refusal into what to ask for', () => {
    const ctx = { kind: 'AgentRun', plural: 'agentruns', name: 'r', namespace: 'lab', user: 'bob' };
    expect(explainRefusal(403, "agentruns.agentlab.dev \"r\" is forbidden: ValidatingAdmissionPolicy 'agentlab-approvals' with binding 'agentlab-approvals' denied request: no", ctx))
      .toMatch(/^you \(bob\) are not allowed to approve agentrun\/r: ask for the agentlab-approver role in namespace lab/);
    expect(explainRefusal(403, 'agentruns.agentlab.dev "r" is forbidden: User "bob" cannot patch resource', ctx)).toMatch(/^you \(bob\) may not change agentruns in namespace lab/);
    expect(explainRefusal(404, 'x', ctx)).toBe('agentrun/r not found in namespace lab');
  });
});
