import type { AgentRunSpec } from '../api/generated/agentrun.js';
import type { AgentRun } from './types.js';
import { parseDuration } from './runner/tools/duration.js';
import { MAX_RUN_NAME } from './names.js';

/** The run's limits with the CRD's defaults applied (a stored object may predate a default). */
export interface RunLimits { maxTurns: number; maxTokens: number; timeoutSeconds: number; timeout: string }

export const DEFAULT_LIMITS = { maxTurns: 30, maxTokens: 200_000, timeout: '30m' } as const;

/** A problem that keeps a run from starting, with the field that causes it. */
export interface SpecProblem { field: string; message: string; reason: string }

const positiveInt = (v: unknown): number | undefined => (typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : undefined);

/** The limits, or the field that cannot be read (the CRD's pattern normally prevents that). */
export function runLimits(spec: AgentRunSpec): { ok: true; limits: RunLimits } | { ok: false; problem: SpecProblem } {
  const l = spec.limits ?? {};
  const timeout = l.timeout ?? DEFAULT_LIMITS.timeout;
  const ms = parseDuration(timeout);
  if (ms === undefined || ms < 1000) {
    return { ok: false, problem: { field: 'spec.limits.timeout', reason: 'InvalidSpec', message: `spec.limits.timeout: ${JSON.stringify(timeout)} is not a duration of at least 1s like 30m or 1h30m` } };
  }
  return { ok: true, limits: { maxTurns: positiveInt(l.maxTurns) ?? DEFAULT_LIMITS.maxTurns, maxTokens: positiveInt(l.maxTokens) ?? DEFAULT_LIMITS.maxTokens, timeoutSeconds: Math.ceil(ms / 1000), timeout } };
}

/**
 * What in a run's spec this version cannot run, in field order. Each is Stalled with the field
 * named (a vm runtime is decided in vm.ts).
 */
export function specProblems(run: Pick<AgentRun, 'metadata' | 'spec'>): SpecProblem[] {
  const problems: SpecProblem[] = [];
  const name = run.metadata?.name ?? '';
  if (name.length > MAX_RUN_NAME) {
    problems.push({ field: 'metadata.name', reason: 'InvalidSpec', message: `metadata.name: ${name.length} characters; an AgentRun's name must be at most ${MAX_RUN_NAME} (it is the value of the agentlab.dev/run label on its pod), create it with a shorter name` });
  }
  const spec = run.spec ?? ({} as AgentRunSpec);
  (spec.tools ?? []).forEach((t, i) => {
    // The github tool acts on the spec's issue tracker (admission requires one; an object stored before that rule still says so here).
    const s = spec as { issueTracker?: unknown; github?: unknown };
    if (t.name === 'github' && !s.issueTracker && !s.github) {
      problems.push({ field: `spec.tools[${i}]`, reason: 'InvalidSpec', message: `spec.tools[${i}]: the github tool works on the run's issue tracker; set spec.issueTracker (or spec.github) with the repository and token Secret, or remove the tool` });
    }
  });
  const limits = runLimits(spec);
  if (!limits.ok) problems.push(limits.problem);
  return problems;
}

/** Namespaces the kubernetes tool may read: the listed ones, or the run's own. */
export function kubernetesToolAccess(spec: AgentRunSpec, runNamespace: string): { resources: string[]; namespaces: string[] } | undefined {
  const tool = (spec.tools ?? []).find((t) => t.name === 'kubernetes');
  if (!tool?.kubernetes) return undefined;
  const namespaces = tool.kubernetes.namespaces?.length ? [...new Set(tool.kubernetes.namespaces)].sort() : [runNamespace];
  return { resources: [...tool.kubernetes.resources], namespaces };
}
