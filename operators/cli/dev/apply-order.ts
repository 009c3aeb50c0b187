/** An object read from a manifest file, with where it came from. */
export interface Manifest {
  file: string;
  object: { apiVersion: string; kind: string; metadata: { name?: string; namespace?: string } };
}

/**
 * Apply order for a set of manifests, like Helm's install order: namespaces and CRDs first,
 * then configuration and policy, then the workloads that refer to them. Kinds not listed keep
 * their file order after the known ones.
 */
const KIND_ORDER = [
  'Namespace', 'CustomResourceDefinition', 'ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding', 'Secret', 'ConfigMap', 'StorageClass',
  'PersistentVolume', 'PersistentVolumeClaim', 'LanePolicy', 'ModelServer', 'Flow', 'AgentRun', 'HardwareTask',
];

export function orderForApply(manifests: Manifest[]): Manifest[] {
  const rank = (m: Manifest) => {
    const i = KIND_ORDER.indexOf(m.object.kind);
    return i < 0 ? KIND_ORDER.length : i;
  };
  // Array.prototype.sort is stable: equal ranks keep file order.
  return [...manifests].sort((a, b) => rank(a) - rank(b));
}
