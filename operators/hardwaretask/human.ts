import type { HardwareStep, StepStatus } from './types.js';
import { durationSeconds } from '../model/steps/duration.js';

/** The admission policy (and binding) that verify who completed or approved a step (chart: templates/approval-policy.yaml). */
export const APPROVAL_POLICY = 'agentlab-approvals';
export const COMPLETE_STEP_ANNOTATION = 'agentlab.dev/complete-step';
export const COMPLETED_BY_ANNOTATION = 'agentlab.dev/completed-by';
const FLUX_NAME = 'kustomize.toolkit.fluxcd.io/name';

export type PolicyState = 'installed' | 'missing';

export interface CompletionRecord {
  completedBy: string;
  completedAt: string;
  /** github / forgejo: a verified `/done <step>` comment on the task's issue. */
  completedVia: 'spec' | 'annotation' | 'flux' | 'github' | 'forgejo';
  notes?: string;
}

export type HumanVerdict =
  | { kind: 'waiting'; message: string }
  | { kind: 'unverified'; message: string }
  | { kind: 'completed'; record: CompletionRecord };

interface TaskMeta { name: string; namespace: string; annotations?: Record<string, string>; labels?: Record<string, string> }

const seconds = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

/**
 * Whether a person has done a human step: spec human.completed with completedBy, or the
 * annotations agentlab.dev/complete-step=<step> and agentlab.dev/completed-by=<user>. Who did it
 * counts only while the admission policy that verifies those names is installed; without it the
 * step keeps waiting and says what to install.
 */
export function humanVerdict(task: TaskMeta, step: HardwareStep, index: number, prev: StepStatus | undefined, policy: PolicyState, now: Date): HumanVerdict {
  const h = step.human!;
  const ann = task.annotations ?? {};
  const bySpec = h.completed === true;
  const byAnnotation = ann[COMPLETE_STEP_ANNOTATION] === step.name;
  const how = `set spec.steps[${index}].human.completed to true with completedBy (your user name), or annotate the task ${COMPLETE_STEP_ANNOTATION}=${step.name} ${COMPLETED_BY_ANNOTATION}=<your user name>`;
  if (!bySpec && !byAnnotation) return { kind: 'waiting', message: `waiting for a person to do step ${step.name}, then ${how}` };
  if (policy === 'missing') {
    return { kind: 'unverified', message: `step ${step.name} is marked done but admission policy ${APPROVAL_POLICY} is not installed, so who did it cannot be verified: install the chart (templates/approval-policy.yaml) or apply its ValidatingAdmissionPolicy and ValidatingAdmissionPolicyBinding ${APPROVAL_POLICY}` };
  }
  const who = bySpec ? h.completedBy : ann[COMPLETED_BY_ANNOTATION];
  if (!who) {
    const field = bySpec ? `spec.steps[${index}].human.completedBy` : `the annotation ${COMPLETED_BY_ANNOTATION}`;
    return { kind: 'unverified', message: `step ${step.name} is marked done but ${field} is empty, so who did it is unknown: ${how}` };
  }
  const flux = (task.labels ?? {})[FLUX_NAME] !== undefined;
  const record: CompletionRecord = {
    completedBy: who,
    completedAt: prev?.completedAt ?? seconds(now),
    completedVia: bySpec ? (flux ? 'flux' : 'spec') : 'annotation',
  };
  if (bySpec && h.notes) record.notes = h.notes;
  return { kind: 'completed', record };
}

/** When a waiting human step's deadline passes (undefined without a deadline or before it started waiting). */
export function humanDeadline(step: HardwareStep, prev: StepStatus | undefined): Date | undefined {
  const d = step.human?.deadline;
  if (!d || !prev?.startedAt) return undefined;
  return new Date(Date.parse(prev.startedAt) + durationSeconds(d) * 1000);
}

/** What a person reads while the step waits: instructions (substituted), parts with cost and links, links. */
export function waitingText(step: HardwareStep, instructions: string): string {
  const h = step.human!;
  const lines = [instructions.trim()];
  if (h.parts?.length) {
    const total = h.parts.reduce((n, p) => n + (p.costUSD ? Number(p.costUSD) * (p.quantity ?? 1) : 0), 0);
    lines.push('', `Parts${total > 0 ? ` (each option as listed; sum of all $${total.toFixed(2)})` : ''}:`);
    for (const p of h.parts) lines.push(`- ${p.quantity ?? 1} x ${p.name}${p.costUSD ? `, $${p.costUSD}` : ''}${p.url ? `: ${p.url}` : ''}`);
  }
  if (h.links?.length) {
    lines.push('', 'Links:');
    for (const l of h.links) lines.push(`- ${l.title ? `${l.title}: ` : ''}${l.url}`);
  }
  return lines.join('\n');
}
