// The pvc-protection and pv-protection controllers of kube-controller-manager, as pure functions: a
// claim being deleted keeps its kubernetes.io/pvc-protection finalizer while a scheduled pod that has
// not finished uses it; a volume keeps kubernetes.io/pv-protection while it is Bound.
import type { V1PersistentVolume, V1PersistentVolumeClaim, V1Pod } from '@kubernetes/client-node';

export const PVC_PROTECTION_FINALIZER = 'kubernetes.io/pvc-protection';
export const PV_PROTECTION_FINALIZER = 'kubernetes.io/pv-protection';

/** The claims a pod's volumes name: persistentVolumeClaim volumes and generic ephemeral volumes (`<pod>-<volume>`). */
export function claimsOf(pod: V1Pod): string[] {
  return (pod.spec?.volumes ?? []).flatMap((v) => {
    if (v.persistentVolumeClaim) return [v.persistentVolumeClaim.claimName];
    if (v.ephemeral) return [`${pod.metadata?.name ?? ''}-${v.name}`];
    return [];
  });
}

/**
 * Whether the pod holds the claim. An unscheduled pod does not (the kubelet refuses to start a pod
 * whose claim is being deleted), and neither does one that has finished.
 */
function holds(pod: V1Pod, claim: string): boolean {
  if (!pod.spec?.nodeName) return false;
  if (pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') return false;
  return claimsOf(pod).includes(claim);
}

/** The finalizers to write when the claim can be released, or undefined when nothing is to be done. */
export function releasedFinalizers(pvc: V1PersistentVolumeClaim, podsInNamespace: readonly V1Pod[]): string[] | undefined {
  const finalizers = pvc.metadata?.finalizers ?? [];
  if (!pvc.metadata?.deletionTimestamp || !finalizers.includes(PVC_PROTECTION_FINALIZER)) return undefined;
  const name = pvc.metadata.name ?? '';
  if (podsInNamespace.some((p) => holds(p, name))) return undefined;
  return finalizers.filter((f) => f !== PVC_PROTECTION_FINALIZER);
}

/** The finalizers to write when the volume can be released (it is being deleted and not Bound), else undefined. */
export function releasedVolumeFinalizers(pv: V1PersistentVolume): string[] | undefined {
  const finalizers = pv.metadata?.finalizers ?? [];
  if (!pv.metadata?.deletionTimestamp || !finalizers.includes(PV_PROTECTION_FINALIZER)) return undefined;
  if (pv.status?.phase === 'Bound') return undefined;
  return finalizers.filter((f) => f !== PV_PROTECTION_FINALIZER);
}
