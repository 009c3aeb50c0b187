import { describe, expect, it } from 'vitest';
import { APPLIED_HASH_ANNOTATION } from './apply.js';
import type { KubeObject, ResourceRef } from './kube.js';
import { OwnWrites } from './own-writes.js';

const DEPLOYMENTS: ResourceRef = { group: 'apps', version: 'v1', plural: 'deployments', kind: 'Deployment', namespaced: true };
const SERVICES: ResourceRef = { group: '', version: 'v1', plural: 'services', kind: 'Service', namespaced: true };

const child = (hash: string, extra: Partial<NonNullable<KubeObject['metadata']>> = {}): KubeObject => ({
  apiVersion: 'apps/v1', kind: 'Deployment',
  metadata: { name: 'web', namespace: 'ns', annotations: { [APPLIED_HASH_ANNOTATION]: hash }, ...extra },
});

describe('OwnWrites', () => {
  it('recognises the echo of an apply whose response has not arrived yet, by name and hash', () => {
    const w = new OwnWrites();
    w.started(DEPLOYMENTS, child('h1'));
    expect(w.isEcho(DEPLOYMENTS, child('h1', { uid: 'u1', resourceVersion: '5' }))).toBe(true);
    // Someone else's object: another hash, another name, another resource.
    expect(w.isEcho(DEPLOYMENTS, child('h0', { uid: 'u1', resourceVersion: '5' }))).toBe(false);
    expect(w.isEcho(DEPLOYMENTS, { ...child('h1'), metadata: { ...child('h1').metadata, name: 'other' } })).toBe(false);
    expect(w.isEcho(SERVICES, child('h1'))).toBe(false);
  });

  it('after the response, recognises the echo by uid and resourceVersion only', () => {
    const w = new OwnWrites();
    w.started(DEPLOYMENTS, child('h1'));
    w.finished(DEPLOYMENTS, child('h1'), child('h1', { uid: 'u1', resourceVersion: '5', generation: 1 }));
    expect(w.isEcho(DEPLOYMENTS, child('h1', { uid: 'u1', resourceVersion: '5' }))).toBe(true);
    // A later change by someone else keeps our hash annotation but not our resourceVersion.
    expect(w.isEcho(DEPLOYMENTS, child('h1', { uid: 'u1', resourceVersion: '9' }))).toBe(false);
    expect(w.appliedGeneration('u1')).toBe(1);
    expect(w.appliedGeneration(undefined)).toBeUndefined();
  });

  it('forgets an apply that failed, and a deleted child', () => {
    const w = new OwnWrites();
    w.started(DEPLOYMENTS, child('h1'));
    w.finished(DEPLOYMENTS, child('h1'));
    expect(w.isEcho(DEPLOYMENTS, child('h1', { uid: 'u1', resourceVersion: '5' }))).toBe(false);
    w.finished(DEPLOYMENTS, child('h1'), child('h1', { uid: 'u1', resourceVersion: '5', generation: 2 }));
    w.forget('u1');
    expect(w.isEcho(DEPLOYMENTS, child('h1', { uid: 'u1', resourceVersion: '5' }))).toBe(false);
    expect(w.appliedGeneration('u1')).toBeUndefined();
  });

  it('takes one event for the echo of an in-flight apply: a later change by someone else (same hash) queues the owner', () => {
    const w = new OwnWrites();
    w.started(DEPLOYMENTS, child('h1'));
    expect(w.isEcho(DEPLOYMENTS, child('h1', { uid: 'u1', resourceVersion: '5' }))).toBe(true);
    // e.g. the kubelet writes the pod's status before the apply's response reached this process
    // (a busy operator just restarted): the owner must see it, or it waits for a change that came.
    expect(w.isEcho(DEPLOYMENTS, child('h1', { uid: 'u1', resourceVersion: '6' }))).toBe(false);
    w.finished(DEPLOYMENTS, child('h1'), child('h1', { uid: 'u1', resourceVersion: '5', generation: 1 }));
    expect(w.isEcho(DEPLOYMENTS, child('h1', { uid: 'u1', resourceVersion: '7' }))).toBe(false);
  });

  it('keeps a newer in-flight apply of the same child when an older one finishes', () => {
    const w = new OwnWrites();
    w.started(DEPLOYMENTS, child('h1'));
    w.started(DEPLOYMENTS, child('h2'));
    w.finished(DEPLOYMENTS, child('h1'));
    expect(w.isEcho(DEPLOYMENTS, child('h2', { uid: 'u1', resourceVersion: '7' }))).toBe(true);
    expect(w.isEcho(DEPLOYMENTS, child('h1', { uid: 'u1', resourceVersion: '6' }))).toBe(false);
  });
});
