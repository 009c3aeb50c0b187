import { describe, expect, it } from 'vitest';
import { APPLIED_HASH_ANNOTATION, applyFailure, canonicalJson, controllerOwnerKey, controllerReference, desiredHash, upToDate } from './apply.js';
import { primaryChanged } from './runtime.js';
import { KubeApiError, type ResourceRef } from './kube.js';
import { TerminalError } from './outcome.js';

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

describe('applied hash and compact children', () => {
  const desired = { apiVersion: 'v1', kind: 'Service', metadata: { name: 's', namespace: 'ns', ownerReferences: [controllerReference(owner)] }, spec: { ports: [{ port: 80 }] } };

  it('hashes canonically: key order does not matter, values do, the hash annotation itself is ignored', () => {
    const reordered = { spec: { ports: [{ port: 80 }] }, metadata: { ownerReferences: [controllerReference(owner)], namespace: 'ns', name: 's' }, kind: 'Service', apiVersion: 'v1' };
    expect(desiredHash(reordered)).toBe(desiredHash(desired));
    expect(desiredHash({ ...desired, spec: { ports: [{ port: 81 }] } })).not.toBe(desiredHash(desired));
    expect(desiredHash({ ...desired, metadata: { ...desired.metadata, annotations: { [APPLIED_HASH_ANNOTATION]: 'x' } } })).toBe(desiredHash(desired));
  });

  it('keeps the canonical form and the hash children already carry (a change would re-apply every child after an upgrade)', () => {
    const sample = { b: [1, undefined, 'x', null, { z: 1, a: [true, false] }], a: { y: undefined, x: '"q"\n', 'k"ey': 2.5 }, n: null, e: {}, ea: [], d: 0, u: undefined };
    expect(canonicalJson(sample)).toBe('{"a":{"k\\"ey":2.5,"x":"\\"q\\"\\n"},"b":[1,,"x",null,{"a":[true,false],"z":1}],"d":0,"e":{},"ea":[],"n":null}');
    expect(desiredHash({ apiVersion: 'v1', kind: 'Service', metadata: { name: 's', namespace: 'n', labels: { b: '1', a: '2' } }, spec: { ports: [{ port: 80, name: 'http' }] } })).toBe('a0a9d71da18f85a97511');
  });

  it('is up to date only when the hash and the controller reference match and nobody changed the spec', () => {
    const hash = desiredHash(desired);
    const want = { ...desired, metadata: { ...desired.metadata, annotations: { [APPLIED_HASH_ANNOTATION]: hash } } };
    const live = { metadata: { name: 's', uid: 'c1', generation: 2, annotations: { [APPLIED_HASH_ANNOTATION]: hash }, ownerReferences: [controllerReference(owner)] } };
    expect(upToDate(want, live)).toBe(true);
    expect(upToDate(want, live, 2)).toBe(true);
    expect(upToDate(want, live, 1)).toBe(false); // generation moved since our apply: drift
    expect(upToDate(want, { ...live, metadata: { ...live.metadata, annotations: { [APPLIED_HASH_ANNOTATION]: 'other' } } })).toBe(false);
    expect(upToDate(want, { ...live, metadata: { ...live.metadata, ownerReferences: [] } })).toBe(false);
    expect(upToDate(want, undefined)).toBe(false);
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

describe('applyFailure', () => {
  const DEPLOYMENTS: ResourceRef = { group: 'apps', version: 'v1', plural: 'deployments', kind: 'Deployment', namespaced: true };
  const child = { metadata: { name: 'ms', namespace: 'ai' } };
  const apiError = (code: number, reason: string, message: string) => new KubeApiError(code, 'PATCH', '/apis/apps/v1/namespaces/ai/deployments/ms', { reason, message });

  it('stalls the owner with the API server\'s message on 422 Invalid', () => {
    const err = applyFailure(apiError(422, 'Invalid', 'Deployment.apps "ms" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0'), DEPLOYMENTS, child);
    expect(err).toBeInstanceOf(TerminalError);
    expect(err).toMatchObject({ reason: 'ApplyInvalid', message: 'applying Deployment ai/ms: Deployment.apps "ms" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0' });
  });

  it('stalls the owner on 403 Forbidden and says which permission to grant', () => {
    const err = applyFailure(apiError(403, 'Forbidden', 'deployments.apps "ms" is forbidden: User "system:serviceaccount:agentlab-system:agentlab-operator" cannot patch resource "deployments"'), DEPLOYMENTS, child);
    expect(err).toMatchObject({ reason: 'ApplyForbidden' });
    expect((err as Error).message).toMatch(/^applying Deployment ai\/ms: deployments.apps "ms" is forbidden: .*; grant the operator's ServiceAccount get, list, watch, create and patch on deployments/);
  });

  it('leaves other errors to the backoff', () => {
    const conflict = apiError(409, 'Conflict', 'the object has been modified');
    expect(applyFailure(conflict, DEPLOYMENTS, child)).toBe(conflict);
    const reset = new Error('socket hang up');
    expect(applyFailure(reset, DEPLOYMENTS, child)).toBe(reset);
  });
});
