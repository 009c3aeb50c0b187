import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { computeWaves, orderedWaves } from './waves.js';

const graph = (pairs: [string, string][]) => {
  const edges = new Map<string, string[]>();
  for (const [a, b] of pairs) edges.set(a, [...(edges.get(a) ?? []), b]);
  return edges;
};

describe('computeWaves', () => {
  it.each([
    ['no edges', ['a', 'b'], [], { a: 0, b: 0 }],
    ['a chain (a depends on b, b on c)', ['a', 'b', 'c'], [['a', 'b'], ['b', 'c']], { a: 2, b: 1, c: 0 }],
    ['a diamond', ['a', 'b', 'c', 'd'], [['b', 'a'], ['c', 'a'], ['d', 'b'], ['d', 'c']], { a: 0, b: 1, c: 1, d: 2 }],
    ['the latest dependency decides', ['a', 'b', 'c'], [['b', 'a'], ['c', 'a'], ['c', 'b']], { a: 0, b: 1, c: 2 }],
    ['edges to unknown vertices', ['a'], [['a', 'ghost']], { a: 0 }],
  ] as [string, string[], [string, string][], Record<string, number>][])('%s', (_name, vertices, pairs, expected) => {
    const r = computeWaves(vertices, graph(pairs));
    expect('waves' in r && Object.fromEntries(r.waves)).toEqual(expected);
  });

  it('returns the cycle of a cyclic graph', () => {
    expect(computeWaves(['a', 'b'], graph([['a', 'b'], ['b', 'a']]))).toEqual({ cycle: ['a', 'b', 'a'] });
  });

  it('orders entries by wave, then by the given vertex order', () => {
    const vertices = ['d', 'c', 'b', 'a'];
    const r = computeWaves(vertices, graph([['d', 'c'], ['d', 'b'], ['c', 'a'], ['b', 'a']]));
    expect('waves' in r && orderedWaves(vertices, r.waves)).toEqual([
      { node: 'a', wave: 0 }, { node: 'c', wave: 1 }, { node: 'b', wave: 1 }, { node: 'd', wave: 2 },
    ]);
  });

  const dag = fc.integer({ min: 1, max: 25 }).chain((n) =>
    fc.tuple(
      fc.constant(Array.from({ length: n }, (_, i) => `v${i}`)),
      // Only edges from a higher index to a lower one: acyclic by construction.
      fc.array(fc.tuple(fc.nat(n - 1), fc.nat(n - 1)), { maxLength: 80 }).map((ps) => ps.filter(([a, b]) => a > b)),
      fc.boolean(),
    ),
  );

  it('puts every vertex exactly one wave after its latest dependency, whatever the vertex order', () => {
    fc.assert(fc.property(dag, ([vertices, pairs, reverse]) => {
      const edges = graph(pairs.map(([a, b]) => [`v${a}`, `v${b}`]));
      const order = reverse ? [...vertices].reverse() : vertices;
      const r = computeWaves(order, edges);
      expect('waves' in r).toBe(true);
      if (!('waves' in r)) return;
      expect([...r.waves.keys()].sort()).toEqual([...vertices].sort());
      for (const v of vertices) {
        const deps = edges.get(v) ?? [];
        const expected = deps.length === 0 ? 0 : Math.max(...deps.map((d) => r.waves.get(d)!)) + 1;
        expect(r.waves.get(v)).toBe(expected);
      }
      // Dependencies always run in an earlier wave, so a plan in wave order never waits on a later entry.
      const plan = orderedWaves(order, r.waves);
      const position = new Map(plan.map((e, i) => [e.node, i]));
      for (const [a, b] of pairs) expect(position.get(`v${b}`)!).toBeLessThan(position.get(`v${a}`)!);
    }));
  });

  it('finds the cycle once a back edge closes a path', () => {
    fc.assert(fc.property(dag, ([vertices, pairs]) => {
      fc.pre(pairs.length > 0);
      const edges = graph(pairs.map(([a, b]) => [`v${a}`, `v${b}`]));
      const [a, b] = pairs[0];
      edges.set(`v${b}`, [...(edges.get(`v${b}`) ?? []), `v${a}`]);
      expect('cycle' in computeWaves(vertices, edges)).toBe(true);
    }));
  });
});
