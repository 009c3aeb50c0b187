/**
 * The default ClusterRoles and ClusterRoleBindings kube-apiserver creates at start-up
 * (plugin/pkg/auth/authorizer/rbac/bootstrappolicy) that a user needs to reach the API at all:
 * discovery, "who am I" and "can I" for every authenticated user, health and version for everyone,
 * and cluster-admin for system:masters. The aggregated admin/edit/view roles are not created.
 */
import type { ServerContext } from '../context.js';
import { internalWrite, type ObjectService } from '../objects.js';
import type { KObject } from '../types.js';

const META = { labels: { 'kubernetes.io/bootstrapping': 'rbac-defaults' }, annotations: { 'rbac.authorization.kubernetes.io/autoupdate': 'true' } };
const RBAC = 'rbac.authorization.k8s.io/v1';

function clusterRole(name: string, rules: Record<string, string[]>[]): KObject {
  return { apiVersion: RBAC, kind: 'ClusterRole', metadata: { name, ...structuredClone(META) }, rules };
}

function binding(name: string, groups: string[]): KObject {
  return {
    apiVersion: RBAC, kind: 'ClusterRoleBinding', metadata: { name, ...structuredClone(META) },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name },
    subjects: groups.map((g) => ({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: g })),
  };
}

export function bootstrapClusterRoles(): KObject[] {
  return [
    clusterRole('cluster-admin', [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }, { nonResourceURLs: ['*'], verbs: ['*'] }]),
    clusterRole('system:discovery', [{ nonResourceURLs: ['/api', '/api/*', '/apis', '/apis/*', '/healthz', '/livez', '/openapi', '/openapi/*', '/readyz', '/version', '/version/'], verbs: ['get'] }]),
    clusterRole('system:basic-user', [
      { apiGroups: ['authentication.k8s.io'], resources: ['selfsubjectreviews'], verbs: ['create'] },
      { apiGroups: ['authorization.k8s.io'], resources: ['selfsubjectaccessreviews', 'selfsubjectrulesreviews'], verbs: ['create'] },
    ]),
    clusterRole('system:public-info-viewer', [{ nonResourceURLs: ['/healthz', '/livez', '/readyz', '/version', '/version/'], verbs: ['get'] }]),
  ];
}

export function bootstrapClusterRoleBindings(): KObject[] {
  return [
    binding('cluster-admin', ['system:masters']),
    binding('system:discovery', ['system:authenticated']),
    binding('system:basic-user', ['system:authenticated']),
    binding('system:public-info-viewer', ['system:authenticated', 'system:unauthenticated']),
  ];
}

/** Creates the bootstrap roles and bindings at start-up, as the rbac/bootstrap-roles post-start hook does. */
export function createBootstrapRbac(svc: ObjectService, ctx: ServerContext): void {
  const roles = ctx.registry.get('rbac.authorization.k8s.io', 'v1', 'clusterroles')!;
  const bindings = ctx.registry.get('rbac.authorization.k8s.io', 'v1', 'clusterrolebindings')!;
  for (const o of bootstrapClusterRoles()) svc.create(roles, '', o, internalWrite('kube-apiserver'));
  for (const o of bootstrapClusterRoleBindings()) svc.create(bindings, '', o, internalWrite('kube-apiserver'));
}
