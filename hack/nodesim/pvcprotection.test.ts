import type { V1PersistentVolumeClaim, V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { claimsOf, PV_PROTECTION_FINALIZER, PVC_PROTECTION_FINALIZER, releasedFinalizers, releasedVolumeFinalizers } from './pvcprotection.js';

const claim = (deleting: boolean, finalizers = [PVC_PROTECTION_FINALIZER, 'example.dev/keep']): V1PersistentVolumeClaim => ({
  metadata: { name: 'data', finalizers, ...(deleting ? { deletionTimestamp: new Date() } : {}) },
});
const pod = (nodeName: string | undefined, phase: string, volumes: NonNullable<V1Pod['spec']>['volumes']): V1Pod => ({
  metadata: { name: 'p' }, spec: { nodeName, containers: [], volumes }, status: { phase },
});
const usesData = [{ name: 'v', persistentVolumeClaim: { claimName: 'data' } }];

describe('pvc protection', () => {
  it('names persistentVolumeClaim and generic ephemeral claims', () => {
    expect(claimsOf(pod('n', 'Running', [...usesData, { name: 'scratch', ephemeral: {} }, { name: 'e', emptyDir: {} }]))).toEqual(['data', 'p-scratch']);
  });

  it('keeps the finalizer while a scheduled, unfinished pod uses the claim', () => {
    expect(releasedFinalizers(claim(true), [pod('n', 'Running', usesData)])).toBeUndefined();
  });

  it('releases the claim when only unscheduled or finished pods use it, keeping other finalizers', () => {
    expect(releasedFinalizers(claim(true), [pod(undefined, 'Pending', usesData), pod('n', 'Succeeded', usesData)])).toEqual(['example.dev/keep']);
  });

  it('does nothing for a claim not being deleted or without the finalizer', () => {
    expect(releasedFinalizers(claim(false), [])).toBeUndefined();
    expect(releasedFinalizers(claim(true, []), [])).toBeUndefined();
  });

  it('releases a volume being deleted unless it is Bound', () => {
    const pv = (phase: string, deleting = true) => ({ metadata: { name: 'v', finalizers: [PV_PROTECTION_FINALIZER], ...(deleting ? { deletionTimestamp: new Date() } : {}) }, status: { phase } });
    expect(releasedVolumeFinalizers(pv('Available'))).toEqual([]);
    expect(releasedVolumeFinalizers(pv('Bound'))).toBeUndefined();
    expect(releasedVolumeFinalizers(pv('Available', false))).toBeUndefined();
  });
});
