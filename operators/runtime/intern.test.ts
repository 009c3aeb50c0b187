import { describe, expect, it } from 'vitest';
import { StringInterner, internStrings } from './intern.js';

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
