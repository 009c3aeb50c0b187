import type { HardwareStep, HardwareTaskSpec } from '../../api/generated/hardwaretask.js';
import type { GraphProblem } from './problem.js';
import { computeWaves, orderedWaves, type WaveEntry } from './waves.js';

const STEP_REFERENCE = /\$\{\s*steps\.([^.}\s]+)\.outputs\.([^}\s]+)\s*\}/g;

function stepTexts(step: HardwareStep, base: string): { field: string; text: string }[] {
  const texts: { field: string; text: string }[] = [];
  if (step.analysis) texts.push({ field: `${base}.analysis.prompt`, text: step.analysis.prompt });
  if (step.human) texts.push({ field: `${base}.human.instructions`, text: step.human.instructions });
  (step.document?.files ?? []).forEach((f, i) => texts.push({ field: `${base}.document.files[${i}].content`, text: f.content }));
  for (const block of [step.check, step.command]) {
    const name = block === step.check ? 'check' : 'command';
    (block?.commands ?? []).forEach((c, i) => texts.push({ field: `${base}.${name}.commands[${i}]`, text: c }));
  }
  return texts;
}

/** The order a HardwareTask's steps can run in, or why it cannot run. */
export interface HardwareTaskPlan {
  /** Every step with its wave (`node` is the step name), in wave order then spec order; empty when there are errors. */
  waves: WaveEntry[];
  errors: GraphProblem[];
}

/**
 * Plans a HardwareTask's step graph: no dependsOn cycle, and a step that uses another step's
 * outputs (${steps.<name>.outputs.<key>}) depends on it, directly or transitively, so the
 * outputs exist when it runs. Unknown dependsOn names are a CEL rule of the CRD. A valid task
 * gets each step's wave (0 without dependsOn, else one more than the latest dependency).
 */
export function planHardwareTask(spec: HardwareTaskSpec): HardwareTaskPlan {
  const problems: GraphProblem[] = [];
  const steps = spec.steps ?? [];
  const names = steps.map((s) => s.name);
  const edges = new Map(steps.map((s) => [s.name, s.dependsOn ?? []]));
  const result = computeWaves(names, edges);
  if ('cycle' in result) {
    // Ancestry is meaningless in a cyclic graph, so the output checks do not run.
    return { waves: [], errors: [{ field: 'spec.steps', message: `dependsOn cycle: ${result.cycle.join(' -> ')}` }] };
  }
  const ancestors = (name: string, seen = new Set<string>()): Set<string> => {
    for (const d of edges.get(name) ?? []) if (!seen.has(d)) { seen.add(d); ancestors(d, seen); }
    return seen;
  };
  steps.forEach((step, i) => {
    const before = ancestors(step.name);
    for (const { field, text } of stepTexts(step, `spec.steps[${i}]`)) {
      for (const m of text.matchAll(STEP_REFERENCE)) {
        const target = m[1];
        if (!edges.has(target)) problems.push({ field, message: `\${steps.${target}.outputs.${m[2]}} refers to unknown step "${target}"` });
        else if (!before.has(target)) problems.push({ field, message: `uses outputs of step "${target}" but does not depend on it; add "${target}" to dependsOn` });
      }
    }
  });
  return problems.length > 0 ? { waves: [], errors: problems } : { waves: orderedWaves(names, result.waves), errors: [] };
}

/** The problems planHardwareTask finds (for `agentlab validate`). */
export function checkHardwareTask(spec: HardwareTaskSpec): GraphProblem[] {
  return planHardwareTask(spec).errors;
}
