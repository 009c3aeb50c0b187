import { atFileEnd } from '../harness/file-teardown.js';
import type { Cluster } from '../harness/cluster.js';

/** A user name no other test uses (RBAC bindings to it are then this test's alone). */
export function uniqueUser(prefix: string): string {
  return `agentlab-test-${prefix}-${Math.random().toString(36).slice(2, 8)}`;
}

/** Headers that make an admin request act as `user` (kubectl --as / --as-group). */
export function impersonating(user: string, group?: string): Record<string, string> {
  return group ? { 'Impersonate-User': user, 'Impersonate-Group': group } : { 'Impersonate-User': user };
}

/** A bearer token in place of the kubeconfig's credentials. */
export function withToken(token: string): Record<string, string> {
  return { Authorization: `Bearer ${token}` };
}

/**
 * Creates cluster-scoped objects (ClusterRoles, bindings, admission policies) and deletes them after
 * the file, so a developer's cluster is left as it was.
 */
export function clusterScoped(cluster: Cluster): (path: string, body: Record<string, any>) => Promise<void> {
  const created: string[] = [];
  atFileEnd(async () => {
    for (const p of created.reverse()) await cluster.request({ method: 'DELETE', path: p });
  });
  return async (path, body) => {
    const res = await cluster.request({ method: 'POST', path, body });
    if (res.status !== 201) throw new Error(`creating ${path} ${body.metadata?.name}: HTTP ${res.status}: ${res.text.slice(0, 300)}`);
    created.push(`${path}/${body.metadata.name}`);
  };
}

export const CLUSTER_ROLES = '/apis/rbac.authorization.k8s.io/v1/clusterroles';
export const CLUSTER_ROLE_BINDINGS = '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings';
export const POLICIES = '/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicies';
export const POLICY_BINDINGS = '/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicybindings';

export function rolesPath(ns: string): string { return `/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/roles`; }
export function roleBindingsPath(ns: string): string { return `/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/rolebindings`; }

export function roleBinding(name: string, roleKind: 'Role' | 'ClusterRole', roleName: string, subjects: Record<string, string>[]): Record<string, any> {
  return { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: roleKind, name: roleName }, subjects };
}

export function userSubject(name: string): Record<string, string> {
  return { apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name };
}

/** A policy on configmaps of one namespace only, so it touches nothing else the suite does. */
export function configMapPolicy(name: string, ns: string, spec: Record<string, unknown>, operations = ['CREATE', 'UPDATE']): Record<string, any> {
  return {
    apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingAdmissionPolicy', metadata: { name },
    spec: {
      failurePolicy: 'Fail',
      matchConstraints: {
        namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': ns } },
        resourceRules: [{ apiGroups: [''], apiVersions: ['v1'], operations, resources: ['configmaps'] }],
      },
      ...spec,
    },
  };
}

export function policyBinding(name: string, policyName: string, actions: string[], spec: Record<string, unknown> = {}): Record<string, any> {
  return { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingAdmissionPolicyBinding', metadata: { name },
    spec: { policyName, validationActions: actions, ...spec } };
}
