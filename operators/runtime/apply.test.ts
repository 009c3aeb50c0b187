import { describe, expect, it } from 'vitest';
import { controllerOwnerKey, controllerReference, isSubset, upToDate } from './apply.js';
import { primaryChanged } from './runtime.js';

const owner = { apiVersion: 'agentlab.dev/v1alpha1', kind: 'ModelServer', metadata: { name: 'ms', namespace: 'ns', uid: 'u1' } };

describe('owner index', () => {
  it('maps a child back to its controller owner key', () => {
    const child = { metadata: { namespace: 'ns', name: 'ms-cache', ownerReferences: [controllerReference(owner)] } };
    expect(controllerOwnerKey(child, 'agentlab.dev/v1alpha1', 'ModelServer')).toBe('ns/ms');
    expect(controllerOwnerKey(child, 'agentlab.dev/v1beta1', 'ModelServer')).toBe('ns/ms'); // any version of the group
    expect(controllerOwnerKey(child, 'agentlab.dev/v1alpha1', 'Flow')).toBeUndefined();
  });

  it('ignores owner references that are not the controller', () => {
    const child = { metadata: { namespace: 'ns', ownerReferences: [{ ...controllerReference(owner), controller: false }] } };
    expect(controllerOwnerKey(child, 'agentlab.dev/v1alpha1', 'ModelServer')).toBeUndefined();
  });

  it('refuses an owner without a uid', () => {
    expect(() => controllerReference({ apiVersion: 'v1', kind: 'X', metadata: { name: 'a' } })).toThrow(/uid/);
  });
});

describe('isSubset / upToDate', () => {
  it.each([
    [{ a: 1 }, { a: 1, b: 2 }, true],
    [{ a: 1 }, { a: 2 }, false],
    [{ a: [{ x: 1 }] }, { a: [{ x: 1, y: 2 }] }, true],
    [{ a: [1] }, { a: [1, 2] }, false],
    [{ a: { b: undefined } }, { a: {} }, true],
    [{ a: 'x' }, {}, false],
  ])('isSubset(%j, %j) = %s', (d, l, want) => {
    expect(isSubset(d, l)).toBe(want);
  });

  it('treats server defaults and other metadata as compatible', () => {
    const desired = { apiVersion: 'v1', kind: 'Service', metadata: { name: 's', namespace: 'ns', labels: { a: 'b' } }, spec: { ports: [{ port: 80 }] } };
    const live = { apiVersion: 'v1', kind: 'Service', metadata: { name: 's', namespace: 'ns', uid: 'x', resourceVersion: '5', labels: { a: 'b', extra: 'y' } }, spec: { ports: [{ port: 80, protocol: 'TCP' }], clusterIP: '10.0.0.1' } };
    expect(upToDate(desired, live)).toBe(true);
    expect(upToDate({ ...desired, spec: { ports: [{ port: 81 }] } }, live)).toBe(false);
    expect(upToDate(desired, undefined)).toBe(false);
  });
});

describe('primaryChanged', () => {
  const o = { metadata: { generation: 1, labels: { a: 'b' }, resourceVersion: '1' }, status: { x: 1 } };
  it('ignores status-only updates and passes spec, label, finalizer and deletion changes', () => {
    expect(primaryChanged(o, { ...o, metadata: { ...o.metadata, resourceVersion: '2' }, status: { x: 2 } })).toBe(false);
    expect(primaryChanged(o, { ...o, metadata: { ...o.metadata, generation: 2 } })).toBe(true);
    expect(primaryChanged(o, { ...o, metadata: { ...o.metadata, labels: {} } })).toBe(true);
    expect(primaryChanged(o, { ...o, metadata: { ...o.metadata, finalizers: ['f'] } })).toBe(true);
    expect(primaryChanged(o, { ...o, metadata: { ...o.metadata, deletionTimestamp: 'now' } })).toBe(true);
    expect(primaryChanged(undefined, o)).toBe(true);
    expect(primaryChanged(o, o)).toBe(true); // resync
  });
});
