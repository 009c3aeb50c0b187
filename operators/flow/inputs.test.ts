import { describe, expect, it } from 'vitest';
import type { FlowNode } from '../api/generated/flow.js';
import { inputEnvName, resolveInputs, substitute, type RunValues } from './inputs.js';

const values: RunValues = {
  params: { city: 'Oslo', empty: undefined },
  output: (node, name) => (node === 'fetch' && name === 'count' ? '42' : node === 'fetch' && name === 'body' ? '<html>' : undefined),
};

describe('substitute', () => {
  it('replaces params, node outputs and inputs', () => {
    expect(substitute('weather in ${params.city}: ${nodes.fetch.outputs.count} (${ inputs.x })', 'f', { ...values, inputs: { x: 'y' } })).toEqual({ value: 'weather in Oslo: 42 (y)' });
  });

  it('names the field and the reference when a value is missing at run time', () => {
    expect(substitute('${params.empty}', 'spec.nodes[0].model.prompt', values)).toEqual({ error: { field: 'spec.nodes[0].model.prompt', message: '${params.empty}: param "empty" has no value; set spec.params[].value' } });
    expect(substitute('${nodes.fetch.outputs.nope}', 'f', values)).toEqual({ error: { field: 'f', message: '${nodes.fetch.outputs.nope}: node "fetch" produced no output "nope"' } });
  });
});

describe('resolveInputs', () => {
  const node: FlowNode = {
    id: 'sum', type: 'tool', tool: { image: 'x' },
    inputs: [{ name: 'page', from: { node: 'fetch', output: 'body' } }, { name: 'n', type: 'number', value: '${nodes.fetch.outputs.count}' }],
  };
  it('takes from-inputs as stored and substitutes value-inputs', () => {
    expect(resolveInputs(node, 1, values)).toEqual({ value: { page: '<html>', n: '42' } });
  });

  it('checks a substituted value against the declared type, naming the field', () => {
    const bad: FlowNode = { ...node, inputs: [{ name: 'n', type: 'number', value: '${params.city}' }] };
    expect(resolveInputs(bad, 3, values)).toEqual({ error: { field: 'spec.nodes[3].inputs[0].value', message: '"Oslo" is not a number, but input "n" is declared number' } });
  });

  it('maps input names to INPUT_<NAME>', () => {
    expect(inputEnvName('pageUrl')).toBe('INPUT_PAGEURL');
  });
});
