import { describe, expect, it } from 'vitest';
import { StringInterner, ValueSharer, internStrings, shareMetadata } from './intern.js';

/** A string with the same text that is not the same heap object (as JSON.parse gives each value). */
const fresh = (s: string) => JSON.parse(JSON.stringify({ s })).s as string;

describe('StringInterner', () => {
  it('gives one copy of each repeated string, leaving short and very long ones alone', () => {
    const i = new StringInterner(10, 40);
    i.intern(fresh('agentlab.dev/v1alpha1'));
    i.intern(fresh('agentlab.dev/v1alpha1'));
    expect(i.size).toBe(1);
    i.intern('short');
    i.intern('x'.repeat(41));
    expect(i.size).toBe(1);
  });

  it('starts over when full instead of growing', () => {
    const i = new StringInterner(3);
    for (let k = 0; k < 10; k++) i.intern(`namespace-number-${k}`);
    expect(i.size).toBeLessThanOrEqual(3);
    expect(i.intern('namespace-number-9')).toBe('namespace-number-9');
  });
});

describe('internStrings', () => {
  it('interns every string value in objects and arrays in place, except per-object unique ones', () => {
    const i = new StringInterner();
    const mk = () => JSON.parse(JSON.stringify({
      metadata: { namespace: 'bench-memory-team', uid: '00000000-0000-4000-8000-000000000001', resourceVersion: '123456789012', labels: { 'app.kubernetes.io/managed-by': 'agentlab-operator' }, ownerReferences: [{ apiVersion: 'agentlab.dev/v1alpha1', kind: 'AgentRun' }] },
      status: { conditions: [{ type: 'Ready', reason: 'ReconcileSucceeded' }] }, list: ['repeated-element-value'],
    }));
    const a = internStrings(mk(), i);
    const b = internStrings(mk(), i);
    expect(b).toEqual(a);
    const before = i.size;
    expect(before).toBe(5); // namespace, label value, owner apiVersion, reason, list element
    internStrings(mk(), i);
    expect(i.size).toBe(before);
  });
});

describe('internStrings and owner references', () => {
  it('interns the owner\'s uid, which every child of one owner repeats, but not the object\'s own', () => {
    const i = new StringInterner();
    const child = (n: number) => JSON.parse(JSON.stringify({ metadata: { uid: `00000000-0000-4000-8000-00000000000${n}`, ownerReferences: [{ uid: '11111111-1111-4111-8111-111111111111' }] } }));
    internStrings(child(1), i);
    internStrings(child(2), i);
    expect(i.size).toBe(1);
  });
});

describe('ValueSharer and shareMetadata', () => {
  const owner = { apiVersion: 'agentlab.dev/v1alpha1', kind: 'AgentRun', name: 'triage', uid: '11111111-1111-4111-8111-111111111111', controller: true, blockOwnerDeletion: true };
  /** A child of `owner` as JSON.parse gives it: its own copy of every value. */
  const child = (name: string) => JSON.parse(JSON.stringify({
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name, labels: { 'app.kubernetes.io/managed-by': 'agentlab', 'agentlab.dev/run': 'triage' }, ownerReferences: [owner], finalizers: ['agentlab.dev/cleanup'] },
  })) as { metadata: { name: string; labels: Record<string, string>; ownerReferences: unknown[]; finalizers: string[] } };

  it('gives the children of one owner one frozen copy of its labels, owner reference list and finalizers', () => {
    const s = new ValueSharer();
    const a = shareMetadata(child('a'), s);
    const b = shareMetadata(child('b'), s);
    expect(b).toEqual(child('b'));
    expect(b.metadata.labels).toBe(a.metadata.labels);
    expect(b.metadata.ownerReferences).toBe(a.metadata.ownerReferences);
    expect(b.metadata.ownerReferences[0]).toBe(a.metadata.ownerReferences[0]);
    expect(b.metadata.finalizers).toBe(a.metadata.finalizers);
    expect(b.metadata.name).toBe('b');
    expect(s.size).toBe(4); // labels, one owner reference, the list holding it, finalizers
    // Changing a shared value in place would change every object holding it: it throws instead.
    expect(() => { b.metadata.labels.extra = 'x'; }).toThrow(TypeError);
    expect(Object.isFrozen(b.metadata)).toBe(false);
  });

  it('shares only equal values: other values, other key order or another owner get their own copy', () => {
    const s = new ValueSharer();
    const a = s.share({ a: '1', b: '2' });
    expect(s.share({ a: '1', b: '2' })).toBe(a);
    for (const other of [{ a: '1', b: '3' }, { b: '2', a: '1' }, { a: '1' }, { a: '1', b: '2', c: '3' }, { a: 1, b: '2' }]) expect(s.share(other)).not.toBe(a);
    const r1 = s.share([s.share({ uid: 'x' })]);
    expect(s.share([s.share({ uid: 'y' })])).not.toBe(r1);
    expect(s.share([s.share({ uid: 'x' })])).toBe(r1);
  });

  it('leaves values with nested unshared objects alone and starts over when full', () => {
    const s = new ValueSharer(3);
    const nested = { a: { b: '1' } };
    expect(s.share(nested)).toBe(nested);
    expect(Object.isFrozen(nested)).toBe(false);
    for (let k = 0; k < 10; k++) s.share({ run: `run-${k}` });
    expect(s.size).toBeLessThanOrEqual(3);
    expect(s.share({ run: 'run-9' })).toEqual({ run: 'run-9' });
  });
});
