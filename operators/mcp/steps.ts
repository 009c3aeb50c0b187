/**
 * The JSON patches behind complete_step and a HardwareTask step's approve/reject: the same fields
 * docs/hardwaretasks.md has a person set with kubectl patch, each guarded by a `test` of the step's
 * name so a reordered spec fails instead of changing another step. Pure.
 */
import { ToolError } from './result.js';

interface StepSpec {
  name?: string;
  type?: string;
  human?: { completed?: boolean; completedBy?: string };
  approval?: { required?: boolean; decision?: string; decidedBy?: string };
}
export interface TaskLike { metadata?: { name?: string }; spec?: { steps?: StepSpec[] } }
export type JsonPatchOp = { op: 'test' | 'add' | 'replace'; path: string; value: unknown };

function findStep(task: TaskLike, step: string): { i: number; s: StepSpec } {
  const steps = task.spec?.steps ?? [];
  const i = steps.findIndex((s) => s.name === step);
  if (i < 0) throw new ToolError(`hardwaretask/${task.metadata?.name} has no step "${step}"; its steps are ${steps.map((s) => s.name).join(', ') || 'none'}`);
  return { i, s: steps[i]! };
}

/** Marks a human step done by `user`, with notes. */
export function completeStepPatch(task: TaskLike, step: string, user: string, notes?: string): JsonPatchOp[] {
  const { i, s } = findStep(task, step);
  if (!s.human) throw new ToolError(`step ${step} of hardwaretask/${task.metadata?.name} is a ${s.type ?? 'non-human'} step: only human steps are completed by a person`);
  if (s.human.completed) throw new ToolError(`step ${step} of hardwaretask/${task.metadata?.name} is already completed${s.human.completedBy ? ` by ${s.human.completedBy}` : ''}`);
  const base = `/spec/steps/${i}`;
  return [
    { op: 'test', path: `${base}/name`, value: step },
    { op: 'add', path: `${base}/human/completed`, value: true },
    { op: 'add', path: `${base}/human/completedBy`, value: user },
    ...(notes ? [{ op: 'add' as const, path: `${base}/human/notes`, value: notes }] : []),
  ];
}

/** Records `user`'s decision on a step's approval gate. */
export function stepDecisionPatch(task: TaskLike, step: string, decision: 'Approved' | 'Rejected', user: string, reason?: string): JsonPatchOp[] {
  const { i, s } = findStep(task, step);
  if (!s.approval || s.approval.required === false) throw new ToolError(`step ${step} of hardwaretask/${task.metadata?.name} does not wait for approval (its approval.required is not true)`);
  if (s.approval.decision) throw new ToolError(`step ${step} of hardwaretask/${task.metadata?.name} is already ${s.approval.decision}${s.approval.decidedBy ? ` by ${s.approval.decidedBy}` : ''}; a decision cannot be changed`);
  const base = `/spec/steps/${i}/approval`;
  return [
    { op: 'test', path: `/spec/steps/${i}/name`, value: step },
    { op: 'add', path: `${base}/decision`, value: decision },
    { op: 'add', path: `${base}/decidedBy`, value: user },
    ...(reason ? [{ op: 'add' as const, path: `${base}/reason`, value: reason }] : []),
  ];
}
