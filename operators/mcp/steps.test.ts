import { describe, expect, it } from 'vitest';
import { completeStepPatch, stepDecisionPatch } from './steps.js';

const task = { metadata: { name: 'disk' }, spec: { steps: [
  { name: 'analyze', type: 'analysis' },
  { name: 'procure', type: 'human', human: {} },
  { name: 'expand', type: 'command', approval: { required: true } },
  { name: 'done', type: 'human', human: { completed: true, completedBy: 'bob' } },
] } };

describe('completeStepPatch', () => {
  it('sets completed, completedBy and notes on the named human step, guarded by its name', () => {
    expect(completeStepPatch(task, 'procure', 'alice', 'bay 3')).toEqual([
      { op: 'test', path: '/spec/steps/1/name', value: 'procure' },
      { op: 'add', path: '/spec/steps/1/human/completed', value: true },
      { op: 'add', path: '/spec/steps/1/human/completedBy', value: 'alice' },
      { op: 'add', path: '/spec/steps/1/human/notes', value: 'bay 3' },
    ]);
  });

  it('refuses an unknown step, a step that is not human, and a completed one, saying why', () => {
    expect(() => completeStepPatch(task, 'nope', 'a')).toThrow('hardwaretask/disk has no step "nope"; its steps are analyze, procure, expand, done');
    expect(() => completeStepPatch(task, 'analyze', 'a')).toThrow('is a analysis step: only human steps are completed by a person');
    expect(() => completeStepPatch(task, 'done', 'a')).toThrow('already completed by bob');
  });
});

describe('stepDecisionPatch', () => {
  it('sets decision, decidedBy and reason on the step\'s approval', () => {
    expect(stepDecisionPatch(task, 'expand', 'Approved', 'alice', 'ok')).toEqual([
      { op: 'test', path: '/spec/steps/2/name', value: 'expand' },
      { op: 'add', path: '/spec/steps/2/approval/decision', value: 'Approved' },
      { op: 'add', path: '/spec/steps/2/approval/decidedBy', value: 'alice' },
      { op: 'add', path: '/spec/steps/2/approval/reason', value: 'ok' },
    ]);
    expect(() => stepDecisionPatch(task, 'procure', 'Approved', 'a')).toThrow('does not wait for approval');
  });
});
