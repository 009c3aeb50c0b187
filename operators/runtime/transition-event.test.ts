import { describe, expect, it } from 'vitest';
import type { Condition } from './conditions.js';
import type { Outcome } from './outcome.js';
import { transitionEvent } from './transition-event.js';

const ready = (status: Condition['status'], reason: string, message: string): Condition[] =>
  [{ type: 'Ready', status, reason, message, lastTransitionTime: '2026-01-01T00:00:00Z' }];
const out = (kind: Outcome['kind'], reason = 'R', message = 'm') => ({ kind, reason, message }) as Outcome;

describe('transitionEvent', () => {
  it.each([
    ['first Ready=True', undefined, ready('True', 'LaneActive', '1 of 2 providers ready'), out('ready'), { type: 'Normal', reason: 'LaneActive', message: '1 of 2 providers ready' }],
    ['Ready stays True, only the message changes', ready('True', 'LaneActive', '1 of 2 providers ready'), ready('True', 'LaneActive', '2 of 2 providers ready'), out('ready'), undefined],
    ['Ready stays True with a new reason', ready('True', 'Ready', 'a'), ready('True', 'Stopped', 'b'), out('ready'), { type: 'Normal', reason: 'Stopped', message: 'b' }],
    ['nothing changed', ready('False', 'PullFailed', 'x'), ready('False', 'PullFailed', 'x'), out('failed'), undefined],
    ['a failure with a new message', ready('False', 'PullFailed', 'x'), ready('False', 'PullFailed', 'y'), out('failed'), { type: 'Warning', reason: 'PullFailed', message: 'y' }],
    ['a stall', ready('True', 'Ready', 'a'), ready('False', 'InvalidSpec', 'spec.x: bad'), out('stalled'), { type: 'Warning', reason: 'InvalidSpec', message: 'spec.x: bad' }],
    ['progress is not an event', ready('True', 'Ready', 'a'), ready('Unknown', 'Progressing', 'rolling out'), out('progressing'), undefined],
    ['no Ready condition', undefined, [], out('ready'), undefined],
  ] as const)('%s', (_name, prev, next, outcome, want) => {
    expect(transitionEvent(prev as Condition[] | undefined, next as Condition[], outcome)).toEqual(want);
  });
});
