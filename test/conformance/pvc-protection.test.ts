import { beforeAll, describe, expect, it } from 'vitest';
import { useCluster } from '../harness/cluster.js';

// kube-apiserver's StorageObjectInUseProtection admission puts kubernetes.io/pvc-protection on every
// new claim (kubernetes.io/pv-protection on volumes); the protection controllers (kube-controller-manager,
// or the node simulator where there is none) remove it once the claim is being deleted and no running
// pod uses it (the volume is not Bound).
const cluster = useCluster();
let ns: string;

beforeAll(async () => {
  ns = await cluster.newNamespace('pvcprot');
});

const claim = (name: string) => ({
  apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name },
  spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
});

describe('PVC protection', () => {
  it('a new claim carries the pvc-protection finalizer', async () => {
    const created = await cluster.core.createNamespacedPersistentVolumeClaim({ namespace: ns, body: claim('fresh') });
    expect(created.metadata?.finalizers).toEqual(['kubernetes.io/pvc-protection']);
    const dry = await cluster.core.createNamespacedPersistentVolumeClaim({ namespace: ns, body: claim('dry'), dryRun: 'All' });
    expect(dry.metadata?.finalizers).toEqual(['kubernetes.io/pvc-protection']);
  });

  it.runIf(cluster.nodeSimulator || cluster.controllers)('deleting a claim in use waits until its pod is gone', async () => {
    await cluster.core.createNamespacedPersistentVolumeClaim({ namespace: ns, body: claim('used') });
    await cluster.core.createNamespacedPod({ namespace: ns, body: {
      metadata: { name: 'user' },
      spec: {
        terminationGracePeriodSeconds: 1,
        containers: [{ name: 'pause', image: 'registry.k8s.io/pause:3.10', volumeMounts: [{ name: 'data', mountPath: '/data' }] }],
        volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'used' } }],
      },
    } });
    await cluster.waitFor(async () => (await cluster.core.readNamespacedPod({ namespace: ns, name: 'user' })).status?.phase === 'Running', { timeoutMs: 60_000 });

    await cluster.core.deleteNamespacedPersistentVolumeClaim({ namespace: ns, name: 'used' });
    // Still there, terminating, for as long as the pod runs.
    await new Promise((r) => setTimeout(r, 1000));
    const held = await cluster.core.readNamespacedPersistentVolumeClaim({ namespace: ns, name: 'used' });
    expect(held.metadata?.deletionTimestamp).toBeDefined();
    expect(held.metadata?.finalizers).toContain('kubernetes.io/pvc-protection');

    await cluster.core.deleteNamespacedPod({ namespace: ns, name: 'user' });
    await cluster.waitFor(async () => {
      try { await cluster.core.readNamespacedPersistentVolumeClaim({ namespace: ns, name: 'used' }); return false; } catch (err) {
        return (err as { code?: number }).code === 404;
      }
    }, { timeoutMs: 60_000, what: 'the claim to be deleted once no pod uses it' });
  });

  it.runIf(cluster.nodeSimulator || cluster.controllers)('an unused claim is deleted at once', async () => {
    await cluster.core.createNamespacedPersistentVolumeClaim({ namespace: ns, body: claim('idle') });
    await cluster.core.deleteNamespacedPersistentVolumeClaim({ namespace: ns, name: 'idle' });
    await cluster.waitFor(async () => {
      try { await cluster.core.readNamespacedPersistentVolumeClaim({ namespace: ns, name: 'idle' }); return false; } catch (err) {
        return (err as { code?: number }).code === 404;
      }
    }, { timeoutMs: 30_000, what: 'the unused claim to be deleted' });
  });

  it.runIf(cluster.nodeSimulator || cluster.controllers)('a new volume carries pv-protection, released on delete while not Bound', async () => {
    const name = `pv-${ns}`;
    const pv = await cluster.core.createPersistentVolume({ body: {
      metadata: { name },
      spec: { capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'], persistentVolumeReclaimPolicy: 'Retain', hostPath: { path: '/tmp/agentlab-pv' } },
    } });
    expect(pv.metadata?.finalizers).toEqual(['kubernetes.io/pv-protection']);
    await cluster.core.deletePersistentVolume({ name });
    await cluster.waitFor(async () => {
      try { await cluster.core.readPersistentVolume({ name }); return false; } catch (err) {
        return (err as { code?: number }).code === 404;
      }
    }, { timeoutMs: 30_000, what: 'the unbound volume to be deleted' });
  });
});
