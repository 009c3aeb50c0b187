// The shipped storage example (examples/hardwaretask-storage-expansion.yaml) and the RBAC it acts
// as (examples/hardwaretask-storage-expansion-rbac.yaml), pointed at a test's namespace. Test files
// run in parallel on one cluster, so the cluster-scoped names (the ClusterRole and its binding, and
// with `rename` the StorageClass and PersistentVolume the step applies) get a suffix.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments, parseDocument, type Document } from 'yaml';
import { ROOT } from '../gitops/chart.js';

export const TASK_FILE = path.join(ROOT, 'examples', 'hardwaretask-storage-expansion.yaml');
export const RBAC_FILE = path.join(ROOT, 'examples', 'hardwaretask-storage-expansion-rbac.yaml');

export interface StorageExampleOpts {
  namespace: string;
  /** Appended to the ClusterRole and ClusterRoleBinding names. */
  suffix: string;
  /** Rename the StorageClass zfs-tank and the PersistentVolume chief-horse-model-cache (in the task and the role's resourceNames). */
  rename?: { storageClass: string; volume: string };
}

const renamed = (text: string, opts: StorageExampleOpts) =>
  opts.rename ? text.replaceAll('zfs-tank', opts.rename.storageClass).replaceAll('chief-horse-model-cache', opts.rename.volume) : text;

/** The task, as a YAML document in the namespace (further edits with setIn). */
export function storageTask(opts: StorageExampleOpts): Document {
  const doc = parseDocument(renamed(readFileSync(TASK_FILE, 'utf8'), opts));
  doc.setIn(['metadata', 'namespace'], opts.namespace);
  return doc;
}

interface Obj { kind: string; metadata: { name: string; namespace?: string }; roleRef?: { name: string }; subjects?: { namespace?: string }[] }

/** The example's ServiceAccount, ClusterRole and ClusterRoleBinding for the namespace, as one multi-document YAML; and the cluster-scoped names. */
export function storageRbac(opts: StorageExampleOpts): { yaml: string; clusterRole: string; serviceAccount: string } {
  const objects = parseAllDocuments(renamed(readFileSync(RBAC_FILE, 'utf8'), opts)).map((d) => d.toJS() as Obj);
  const role = objects.find((o) => o.kind === 'ClusterRole')!;
  const clusterRole = `${role.metadata.name}-${opts.suffix}`;
  for (const o of objects) {
    if (o.kind === 'ServiceAccount') o.metadata.namespace = opts.namespace;
    if (o.kind === 'ClusterRole' || o.kind === 'ClusterRoleBinding') o.metadata.name = clusterRole;
    if (o.roleRef) o.roleRef.name = clusterRole;
    for (const s of o.subjects ?? []) s.namespace = opts.namespace;
  }
  const sa = objects.find((o) => o.kind === 'ServiceAccount')!;
  return { yaml: objects.map((o) => JSON.stringify(o)).join('\n---\n'), clusterRole, serviceAccount: sa.metadata.name };
}
