import { describe, expect, it } from 'vitest';
import { isRunsData, recordedRunOwner, runOwnerData, runOwnerOfSecret } from './run-owner.js';

describe('run owner of router-written ConfigMaps', () => {
  it.each([
    ['an AgentRun controller', [{ apiVersion: 'agentlab.dev/v1alpha1', kind: 'AgentRun', name: 'r', uid: 'u1', controller: true }], { kind: 'AgentRun', uid: 'u1' }],
    ['a Flow controller after another reference', [{ apiVersion: 'v1', kind: 'ConfigMap', uid: 'x' }, { apiVersion: 'agentlab.dev/v1alpha1', kind: 'Flow', uid: 'f1', controller: true }], { kind: 'Flow', uid: 'f1' }],
    ['a reference that is not the controller', [{ apiVersion: 'agentlab.dev/v1alpha1', kind: 'AgentRun', uid: 'u1' }], undefined],
    ['a controller of another group', [{ apiVersion: 'batch/v1', kind: 'Job', uid: 'j', controller: true }], undefined],
    ['no references (a hand-made token)', undefined, undefined],
  ])('a token Secret with %s', (_what, ownerReferences, owner) => {
    expect(runOwnerOfSecret({ ownerReferences })).toEqual(owner);
  });

  it('records kind and UID in data and reads them back', () => {
    expect(runOwnerData({ kind: 'AgentRun', uid: 'u1' })).toEqual({ runKind: 'AgentRun', runUid: 'u1' });
    expect(runOwnerData(undefined)).toEqual({});
    expect(recordedRunOwner({ runKind: 'Flow', runUid: 'f1', requests: '1' })).toEqual({ kind: 'Flow', uid: 'f1' });
    expect(recordedRunOwner({ runUid: 'f1' })).toEqual({ uid: 'f1' });
    expect(recordedRunOwner({ requests: '1' })).toBeUndefined();
  });

  it.each([
    [{ runUid: 'u1' }, 'u1', true],
    [{ runUid: 'u0' }, 'u1', false],
    [{ requests: '3' }, 'u1', true],
    [{ runUid: 'u0' }, undefined, true],
    [undefined, 'u1', true],
  ])('data %j is the run %s\'s: %s', (data, uid, ours) => {
    expect(isRunsData(data, uid)).toBe(ours);
  });
});
