import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { findCycle } from './cycles.js';

const graph = (pairs: [string, string][]) => {
  const edges = new Map<string, string[]>();
  for (const [a, b] of pairs) edges.set(a, [...(edges.get(a) ?? []), b]);
  return edges;
};

describe('findCycle', () => {
  it.each([
    ['no edges', ['a', 'b'], [], undefined],
    ['a chain', ['a', 'b', 'c'], [['a', 'b'], ['b', 'c']], undefined],
    ['a diamond', ['a', 'b', 'c', 'd'], [['a', 'b'], ['a', 'c'], ['b', 'd'], ['c', 'd']], undefined],
    ['a self loop', ['a'], [['a', 'a']], ['a', 'a']],
    ['a triangle', ['a', 'b', 'c'], [['a', 'b'], ['b', 'c'], ['c', 'a']], ['a', 'b', 'c', 'a']],
    ['a cycle behind a tail', ['t', 'a', 'b'], [['t', 'a'], ['a', 'b'], ['b', 'a']], ['a', 'b', 'a']],
    ['edges to unknown vertices', ['a'], [['a', 'ghost']], undefined],
  ] as [string, string[], [string, string][], string[] | undefined][])('%s', (_name, vertices, pairs, expected) => {
    expect(findCycle(vertices, graph(pairs))).toEqual(expected);
  });

  const dag = fc.integer({ min: 1, max: 25 }).chain((n) =>
    fc.tuple(
      fc.constant(Array.from({ length: n }, (_, i) => `v${i}`)),
      // Only edges from a higher index to a lower one: acyclic by construction.
      fc.array(fc.tuple(fc.nat(n - 1), fc.nat(n - 1)), { maxLength: 80 }).map((ps) => ps.filter(([a, b]) => a > b)),
    ),
  );

  it('finds no cycle in any DAG, whatever the vertex order', () => {
    fc.assert(fc.property(dag, fc.boolean(), ([vertices, pairs], reverse) => {
      const order = reverse ? [...vertices].reverse() : vertices;
      expect(findCycle(order, graph(pairs.map(([a, b]) => [`v${a}`, `v${b}`])))).toBeUndefined();
    }));
  });

  it('finds a real cycle once a back edge closes a path', () => {
    fc.assert(fc.property(dag, ([vertices, pairs]) => {
      const edges = graph(pairs.map(([a, b]) => [`v${a}`, `v${b}`]));
      // Close a path a -> ... -> b by adding b -> a, where a reaches b.
      const [a, b] = pairs.length > 0 ? pairs[0] : [0, 0];
      edges.set(`v${b}`, [...(edges.get(`v${b}`) ?? []), `v${a}`]);
      const cycle = findCycle(vertices, edges);
      expect(cycle).toBeDefined();
      const c = cycle!;
      expect(c[0]).toBe(c[c.length - 1]);
      for (let i = 0; i + 1 < c.length; i++) expect(edges.get(c[i])).toContain(c[i + 1]);
      expect(new Set(c.slice(0, -1)).size).toBe(c.length - 1);
    }));
  });
});
