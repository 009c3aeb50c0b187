import type { Outcome } from '../runtime/outcome.js';
import type { StepStatus, TaskPhase } from './types.js';

const ACTIVE = ['Running', 'WaitingForHuman', 'AwaitingApproval'] as const;
const isActive = (s: StepStatus) => (ACTIVE as readonly string[]).includes(s.phase ?? '');

/**
 * The task's phase from its steps (in plan order): Succeeded when all succeeded; Failed once a
 * step failed and none still runs; otherwise Running while a pod runs, then WaitingForHuman, then
 * AwaitingApproval; Pending before anything started.
 */
export function taskPhase(steps: readonly StepStatus[]): TaskPhase {
  if (steps.length > 0 && steps.every((s) => s.phase === 'Succeeded')) return 'Succeeded';
  const running = steps.some((s) => s.phase === 'Running');
  if (steps.some((s) => s.phase === 'Failed') && !running) return 'Failed';
  if (running) return 'Running';
  if (steps.some((s) => s.phase === 'WaitingForHuman')) return 'WaitingForHuman';
  if (steps.some((s) => s.phase === 'AwaitingApproval')) return 'AwaitingApproval';
  return steps.some((s) => s.phase && s.phase !== 'Pending') ? 'Running' : 'Pending';
}

/** status.currentStep: the first step being worked on or waited for, else the first failed, else the first not done. */
export function currentStep(steps: readonly StepStatus[]): string | undefined {
  return (steps.find(isActive) ?? steps.find((s) => s.phase === 'Failed') ?? steps.find((s) => s.phase !== 'Succeeded'))?.name;
}

/** What the runtime makes of the phase: Ready on success, Stalled on failure, Reconciling while it runs or waits. */
export function taskOutcome(phase: TaskPhase, steps: readonly StepStatus[]): Outcome {
  const first = (p: string) => steps.find((s) => s.phase === p);
  switch (phase) {
    case 'Succeeded':
      return { kind: 'ready', reason: 'Succeeded', message: `all ${steps.length} steps succeeded` };
    case 'Failed': {
      const f = first('Failed')!;
      return { kind: 'stalled', reason: 'StepFailed', message: `step ${f.name} failed: ${f.message ?? 'no message'}` };
    }
    case 'WaitingForHuman':
      return { kind: 'progressing', reason: 'WaitingForHuman', message: `waiting for a person: step ${first('WaitingForHuman')!.name}` };
    case 'AwaitingApproval':
      return { kind: 'progressing', reason: 'AwaitingApproval', message: `waiting for an approval: step ${first('AwaitingApproval')!.name}` };
    default: {
      const done = steps.filter((s) => s.phase === 'Succeeded').length;
      const running = steps.filter((s) => s.phase === 'Running').map((s) => s.name);
      return { kind: 'progressing', reason: 'Running', message: `${done}/${steps.length} steps done${running.length ? `; running: ${running.join(', ')}` : ''}` };
    }
  }
}
