import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { bindNamespaces, laneForNamespace, lanesSelecting, lanesSharing, type LaneSelector, type NamespaceInfo } from './binding.js';
import { matchesSelector } from './selector.js';

describe('matchesSelector', () => {
  const labels = { lane: 'private', team: 'home' };
  it.each([
    [{}, true],
    [{ matchLabels: { lane: 'private' } }, true],
    [{ matchLabels: { lane: 'enterprise' } }, false],
    [{ matchExpressions: [{ key: 'lane', operator: 'In' as const, values: ['private', 'x'] }] }, true],
    [{ matchExpressions: [{ key: 'lane', operator: 'NotIn' as const, values: ['private'] }] }, false],
    [{ matchExpressions: [{ key: 'missing', operator: 'NotIn' as const, values: ['a'] }] }, true],
    [{ matchExpressions: [{ key: 'team', operator: 'Exists' as const }] }, true],
    [{ matchExpressions: [{ key: 'team', operator: 'DoesNotExist' as const }] }, false],
    [{ matchExpressions: [{ key: 'team', operator: 'Bogus' as never }] }, false],
  ])('%j -> %s', (sel, want) => {
    expect(matchesSelector(sel, labels)).toBe(want);
  });
});

describe('bindNamespaces', () => {
  const lanes: LaneSelector[] = [
    { name: 'private', namespaceSelector: { matchLabels: { 'agentlab.dev/lane': 'private' } } },
    { name: 'enterprise', namespaceSelector: { matchLabels: { 'agentlab.dev/lane': 'enterprise' } } },
    { name: 'catch-home', namespaceSelector: { matchLabels: { home: 'yes' } } },
  ];
  const namespaces: NamespaceInfo[] = [
    { name: 'finance', labels: { 'agentlab.dev/lane': 'private' } },
    { name: 'msp', labels: { 'agentlab.dev/lane': 'enterprise' } },
    { name: 'health', labels: { 'agentlab.dev/lane': 'private', home: 'yes' } },
    { name: 'default', labels: {} },
  ];

  it('binds each namespace to its single lane and reports conflicts on every lane involved', () => {
    const b = bindNamespaces(lanes, namespaces);
    expect(b.bound.get('private')).toEqual(['finance']);
    expect(b.bound.get('enterprise')).toEqual(['msp']);
    expect(b.conflicts.get('private')).toEqual(['health']);
    expect(b.conflicts.get('catch-home')).toEqual(['health']);
    expect(b.conflicts.get('enterprise')).toEqual([]);
    expect(b.byNamespace.get('health')).toEqual({ conflict: ['catch-home', 'private'] });
    expect(b.byNamespace.has('default')).toBe(false);
  });

  it('fails closed for conflicted and unbound namespaces', () => {
    const b = bindNamespaces(lanes, namespaces);
    expect(laneForNamespace(b, 'finance')).toEqual({ lane: 'private' });
    expect(laneForNamespace(b, 'health')).toEqual({ error: expect.stringContaining('health is matched by several LanePolicies (catch-home, private)') });
    expect(laneForNamespace(b, 'default')).toEqual({ error: 'namespace default is not bound to any LanePolicy' });
  });

  it('does not depend on input order', () => {
    fc.assert(fc.property(fc.shuffledSubarray(lanes, { minLength: 3, maxLength: 3 }), fc.shuffledSubarray(namespaces, { minLength: 4, maxLength: 4 }), (ls, ns) => {
      const a = bindNamespaces(ls, ns);
      const b = bindNamespaces(lanes, namespaces);
      expect([...a.byNamespace.entries()].sort()).toEqual([...b.byNamespace.entries()].sort());
      expect(a.conflicts.get('private')).toEqual(b.conflicts.get('private'));
    }));
  });
});

describe('lanesSelecting', () => {
  const keys = ['lane', 'team', 'home'];
  const values = ['a', 'b'];
  const labelSet = fc.dictionary(fc.constantFrom(...keys), fc.constantFrom(...values), { maxKeys: 3 });
  const selector = fc.record({
    matchLabels: fc.option(fc.dictionary(fc.constantFrom(...keys), fc.constantFrom(...values), { maxKeys: 2 }), { nil: undefined }),
    matchExpressions: fc.option(fc.array(fc.record({
      key: fc.constantFrom(...keys),
      operator: fc.constantFrom('In' as const, 'NotIn' as const, 'Exists' as const, 'DoesNotExist' as const),
      values: fc.array(fc.constantFrom(...values), { maxLength: 2 }),
    }), { maxLength: 2 }), { nil: undefined }),
  }, { requiredKeys: [] });
  const laneList = fc.uniqueArray(fc.record({ name: fc.constantFrom('l1', 'l2', 'l3', 'l4', 'l5'), namespaceSelector: selector }), { selector: (l) => l.name, maxLength: 5 });
  const bindingOf = (b: ReturnType<typeof bindNamespaces>, lane: string, ns: string) =>
    `${b.bound.get(lane)?.includes(ns) ?? false}/${b.conflicts.get(lane)?.includes(ns) ?? false}`;

  it('names the lanes that select the labels before or after a change', () => {
    const ls: LaneSelector[] = [
      { name: 'private', namespaceSelector: { matchLabels: { lane: 'private' } } },
      { name: 'enterprise', namespaceSelector: { matchLabels: { lane: 'enterprise' } } },
      { name: 'home', namespaceSelector: { matchExpressions: [{ key: 'home', operator: 'Exists' }] } },
    ];
    expect(lanesSelecting(ls, [{ lane: 'enterprise' }, { lane: 'private' }])).toEqual(['private', 'enterprise']);
    expect(lanesSelecting(ls, [{ lane: 'private', home: '1' }, undefined])).toEqual(['private', 'home']);
    expect(lanesSelecting(ls, [{ other: 'x' }, { other: 'y' }])).toEqual([]);
    expect(lanesSelecting([...ls, { name: 'all', namespaceSelector: {} }], [undefined])).toEqual(['all']);
  });

  it('covers every lane whose binding a label change of a namespace alters, with other namespaces around', () => {
    fc.assert(fc.property(laneList, labelSet, labelSet, fc.array(labelSet, { maxLength: 3 }), (ls, before, after, others) => {
      const rest: NamespaceInfo[] = others.map((labels, i) => ({ name: `other-${i}`, labels }));
      const was = bindNamespaces(ls, [{ name: 'ns', labels: before }, ...rest]);
      const now = bindNamespaces(ls, [{ name: 'ns', labels: after }, ...rest]);
      const named = new Set(lanesSelecting(ls, [after, before]));
      for (const l of ls) {
        for (const ns of ['ns', ...rest.map((n) => n.name)]) {
          if (bindingOf(was, l.name, ns) !== bindingOf(now, l.name, ns)) expect(named, `${l.name} changed on ${ns}`).toContain(l.name);
        }
      }
    }), { numRuns: 500 });
  });

  it('lanesSharing covers every other lane whose binding a lane\'s selector change alters', () => {
    fc.assert(fc.property(laneList, selector, fc.array(labelSet, { maxLength: 5 }), (ls, next, labelSets) => {
      fc.pre(ls.length > 0);
      const namespaces: NamespaceInfo[] = labelSets.map((labels, i) => ({ name: `ns-${i}`, labels }));
      const changed = ls[0];
      const after = [{ ...changed, namespaceSelector: next }, ...ls.slice(1)];
      const was = bindNamespaces(ls, namespaces);
      const now = bindNamespaces(after, namespaces);
      const named = new Set(lanesSharing(ls, namespaces, [changed.namespaceSelector, next]));
      for (const l of ls.slice(1)) {
        for (const ns of namespaces) {
          if (bindingOf(was, l.name, ns.name) !== bindingOf(now, l.name, ns.name)) expect(named, `${l.name} changed on ${ns.name}`).toContain(l.name);
        }
      }
    }), { numRuns: 500 });
  });

  it('lanesSharing names only the lanes that select a namespace the selectors select', () => {
    const ls: LaneSelector[] = [
      { name: 'private', namespaceSelector: { matchLabels: { lane: 'private' } } },
      { name: 'home', namespaceSelector: { matchLabels: { home: 'yes' } } },
      { name: 'other', namespaceSelector: { matchLabels: { lane: 'other' } } },
    ];
    const nss: NamespaceInfo[] = [{ name: 'a', labels: { lane: 'private', home: 'yes' } }, { name: 'b', labels: { lane: 'other' } }];
    expect(lanesSharing(ls, nss, [{ matchLabels: { home: 'yes' } }])).toEqual(['private', 'home']);
    expect(lanesSharing(ls, nss, [{ matchLabels: { lane: 'none' } }])).toEqual([]);
  });
});

