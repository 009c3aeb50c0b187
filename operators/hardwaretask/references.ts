import type { GraphProblem } from '../model/graph/index.js';

const STEP_REFERENCE = /\$\{\s*steps\.([^.}\s]+)\.outputs\.([^}\s]+)\s*\}/g;

/**
 * Substitutes ${steps.<name>.outputs.<key>} with the outputs of finished steps. planHardwareTask
 * has checked that every referenced step exists and is a dependency; an output the step did not
 * produce is an error naming `field` and the reference.
 */
export function substituteStepOutputs(text: string, field: string, output: (step: string, key: string) => string | undefined): { value: string } | { error: GraphProblem } {
  let error: GraphProblem | undefined;
  const value = text.replace(STEP_REFERENCE, (whole, step: string, key: string) => {
    if (error) return whole;
    const v = output(step, key);
    if (v === undefined) error = { field, message: `\${steps.${step}.outputs.${key}}: step "${step}" produced no output "${key}"` };
    return v ?? whole;
  });
  return error ? { error } : { value };
}
