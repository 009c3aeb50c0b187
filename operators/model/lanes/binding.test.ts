import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { bindNamespaces, laneForNamespace, type LaneSelector, type NamespaceInfo } from './binding.js';
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
