import { describe, expect, it } from 'vitest';
import { substituteStepOutputs } from './references.js';

describe('substituteStepOutputs', () => {
  const outputs: Record<string, Record<string, string>> = { analyze: { report: 'buy 4 TB' } };
  const get = (s: string, k: string) => outputs[s]?.[k];
  it('replaces references to outputs of finished steps', () => {
    expect(substituteStepOutputs('Analysis: ${steps.analyze.outputs.report}.', 'f', get)).toEqual({ value: 'Analysis: buy 4 TB.' });
    expect(substituteStepOutputs('no refs ${params.x}', 'f', get)).toEqual({ value: 'no refs ${params.x}' });
  });
  it('names the field and the reference when an output is missing', () => {
    expect(substituteStepOutputs('${steps.analyze.outputs.size}', 'spec.steps[1].human.instructions', get)).toEqual({
      error: { field: 'spec.steps[1].human.instructions', message: '${steps.analyze.outputs.size}: step "analyze" produced no output "size"' },
    });
  });
});
