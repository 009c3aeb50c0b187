import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { FlowNode, FlowSpec } from '../../api/generated/flow.js';
import { checkFlow, planFlow } from './flow.js';

const model = (id: string, extra: Partial<FlowNode> = {}): FlowNode => ({ id, type: 'model', model: { prompt: 'p' }, outputs: [{ name: 'text' }], ...extra });

describe('planFlow', () => {
  it('puts each node one wave after the latest node it depends on, through every kind of edge', () => {
    const spec: FlowSpec = {
      params: [{ name: 'q' }],
      nodes: [
        model('report', { dependsOn: ['review'], model: { prompt: '${nodes.summary.outputs.text}' } }),
        model('fetch', { model: { prompt: 'fetch ${params.q}' } }),
        model('summary', { inputs: [{ name: 'page', from: { node: 'fetch', output: 'text' } }], model: { prompt: '${inputs.page}' } }),
        { id: 'check', type: 'verify', verify: { target: { node: 'summary', output: 'text' }, criteria: 'short' } },
        { id: 'review', type: 'approval', approval: { message: 'verdict ${nodes.check.outputs.verdict}' } },
        model('side'),
      ],
    };
    expect(planFlow(spec)).toEqual({
      waves: [
        { node: 'fetch', wave: 0 }, { node: 'side', wave: 0 },
        { node: 'summary', wave: 1 },
        { node: 'check', wave: 2 },
        { node: 'review', wave: 3 },
        { node: 'report', wave: 4 },
      ],
      errors: [],
    });
  });

  it.each<[string, FlowSpec, { field: string; message: string }[]]>([
    ['a cycle through dependsOn and inputs',
      { nodes: [model('a', { inputs: [{ name: 'x', from: { node: 'b', output: 'text' } }] }), model('b', { dependsOn: ['a'] })] },
      [{ field: 'spec.nodes', message: 'dependency cycle: a -> b -> a' }]],
    ['a type mismatch between an output and the input it feeds',
      { nodes: [model('a', { outputs: [{ name: 'n', type: 'number' }] }), model('b', { inputs: [{ name: 'x', type: 'string', from: { node: 'a', output: 'n' } }] })] },
      [{ field: 'spec.nodes[1].inputs[0].from', message: 'input "x" expects string but output "n" of node "a" is number' }]],
    ['a reference to an unknown node',
      { nodes: [model('a', { model: { prompt: '${nodes.ghost.outputs.text}' } })] },
      [{ field: 'spec.nodes[0].model.prompt', message: '${nodes.ghost.outputs.text} refers to unknown node "ghost"' }]],
    ['a param whose value is not its type',
      { params: [{ name: 'n', type: 'number', value: 'ten' }], nodes: [model('a')] },
      [{ field: 'spec.params[0].value', message: '"ten" is not a number, but param "n" is declared number' }]],
  ])('gives no waves and the problems for %s', (_name, spec, errors) => {
    expect(planFlow(spec)).toEqual({ waves: [], errors });
    expect(checkFlow(spec)).toEqual(errors);
  });

  it('refuses dependsOn, inputs[].from.node and verify.target.node naming no other node, by field (no CEL rule can afford it for 256 nodes)', () => {
    expect(planFlow({ nodes: [model('a', { dependsOn: ['ghost'] })] })).toEqual({ waves: [], errors: [{ field: 'spec.nodes[0].dependsOn[0]', message: 'unknown node "ghost" (dependsOn must name other nodes of this flow)' }] });
    expect(planFlow({ nodes: [model('a'), model('b', { dependsOn: ['a', 'b'] })] }).errors).toEqual([{ field: 'spec.nodes[1].dependsOn[1]', message: 'node "b" cannot depend on itself' }]);
    expect(planFlow({ nodes: [model('a', { inputs: [{ name: 'x', from: { node: 'ghost', output: 'text' } }] })] }).errors).toEqual([{ field: 'spec.nodes[0].inputs[0].from.node', message: 'unknown node "ghost" (inputs[].from.node must name another node of this flow)' }]);
    expect(planFlow({ nodes: [model('a', { inputs: [{ name: 'x', from: { node: 'a', output: 'text' } }] })] }).errors).toEqual([{ field: 'spec.nodes[0].inputs[0].from.node', message: 'node "a" cannot take an input from itself' }]);
    expect(planFlow({ nodes: [{ id: 'v', type: 'verify', verify: { target: { node: 'ghost', output: 'text' }, criteria: 'true' } } as FlowNode] }).errors).toEqual([{ field: 'spec.nodes[0].verify.target.node', message: 'unknown node "ghost" (verify.target.node must name another node of this flow)' }]);
  });

  // Random valid flows: node i may depend only on nodes before it, by dependsOn, from or a text reference.
  const flowArb = fc.integer({ min: 1, max: 32 }).chain((n) =>
    fc.array(fc.tuple(fc.nat(n - 1), fc.nat(n - 1), fc.constantFrom('dependsOn', 'from', 'text')), { maxLength: 60 }).map((edges) => {
      const nodes: FlowNode[] = Array.from({ length: n }, (_, i) => model(`n${i}`));
      for (const [a, b, how] of edges) {
        if (a <= b) continue;
        const node = nodes[a];
        if (how === 'dependsOn') node.dependsOn = [...(node.dependsOn ?? []), `n${b}`];
        else if (how === 'from') node.inputs = [...(node.inputs ?? []), { name: `i${node.inputs?.length ?? 0}`, from: { node: `n${b}`, output: 'text' } }];
        else node.model = { prompt: `${node.model!.prompt} \${nodes.n${b}.outputs.text}` };
      }
      return { spec: { nodes: nodes.reverse() } as FlowSpec, edges: edges.filter(([a, b]) => a > b) };
    }));

  it('plans every valid flow: each node once, after everything it depends on', () => {
    fc.assert(fc.property(flowArb, ({ spec, edges }) => {
      const plan = planFlow(spec);
      expect(plan.errors).toEqual([]);
      expect(plan.waves.map((w) => w.node).sort()).toEqual(spec.nodes.map((n) => n.id).sort());
      const wave = new Map(plan.waves.map((w) => [w.node, w.wave]));
      for (const [a, b] of edges) expect(wave.get(`n${b}`)!).toBeLessThan(wave.get(`n${a}`)!);
      // Waves are dense from 0 and listed in order.
      const values = plan.waves.map((w) => w.wave);
      expect(values).toEqual([...values].sort((x, y) => x - y));
      expect(new Set(values)).toEqual(new Set(Array.from({ length: Math.max(...values) + 1 }, (_, i) => i)));
    }));
  });
});
