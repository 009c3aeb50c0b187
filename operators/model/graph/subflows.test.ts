import { describe, expect, it } from 'vitest';
import type { FlowSpec } from '../../api/generated/flow.js';
import { checkSubflows } from './subflows.js';

const child: FlowSpec = {
  params: [{ name: 'url' }, { name: 'depth', value: '1' }, { name: 'token' }],
  nodes: [{ id: 'work', type: 'model', model: { prompt: '${params.url}' } }],
};
const caller = (name: string, inputs: { name: string; value: string }[] = []): FlowSpec => ({
  nodes: [{ id: 'call', type: 'flow', flow: { name }, inputs }],
});

describe('checkSubflows', () => {
  it('checks a call against the params of a sub-flow in the same namespace', () => {
    const flows = [
      { namespace: 'lab', name: 'parent', spec: caller('child', [{ name: 'url', value: 'u' }, { name: 'colour', value: 'blue' }]) },
      { namespace: 'lab', name: 'child', spec: child },
    ];
    expect(checkSubflows(flows)).toEqual([
      { flow: 0, field: 'spec.nodes[0].inputs[1].name', message: 'sub-flow "child" has no param "colour" (params: url, depth, token)' },
      { flow: 0, field: 'spec.nodes[0].inputs', message: 'sub-flow "child" needs param "token", which has no value of its own' },
    ]);
  });

  it.each([
    ['in another namespace', 'other'],
    ['not among the flows', 'lab'],
  ])('does not check a sub-flow %s', (_name, ns) => {
    expect(checkSubflows([{ namespace: 'lab', name: 'parent', spec: caller('child') }, { namespace: ns, name: ns === 'lab' ? 'x' : 'child', spec: child }])).toEqual([]);
  });

  it('reports flows that run each other in a cycle, on the first of them', () => {
    expect(checkSubflows([
      { name: 'a', spec: caller('b') }, { name: 'b', spec: caller('c') }, { name: 'c', spec: caller('a') },
    ])).toEqual([{ flow: 0, field: 'spec.nodes', message: 'flows run each other in a cycle: a -> b -> c -> a' }]);
  });
});
