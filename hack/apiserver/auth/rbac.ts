/**
 * RBAC authorization (plugin/pkg/auth/authorizer/rbac): a request is allowed when a rule of a role
 * bound to the user matches it. Roles come from RoleBindings in the request's namespace (a Role
 * there or a ClusterRole) and from ClusterRoleBindings; non-resource URLs only from the latter.
 * Aggregated ClusterRoles are evaluated with the rules stored on them (the aggregation controller
 * that fills them is not run).
 */
import type { Attributes } from './attributes.js';
import { serviceAccountOf, type UserInfo } from './user.js';

export interface PolicyRule {
  verbs?: string[]; apiGroups?: string[]; resources?: string[]; resourceNames?: string[]; nonResourceURLs?: string[];
}
export interface Subject { kind?: string; apiGroup?: string; name?: string; namespace?: string }
export interface RoleRef { apiGroup?: string; kind?: string; name?: string }
export interface Binding { metadata?: { name?: string; namespace?: string }; subjects?: Subject[]; roleRef?: RoleRef }
export interface Role { metadata?: { name?: string; namespace?: string }; rules?: PolicyRule[] }

/** Where the authorizer reads RBAC objects from (the server's store). */
export interface RbacSource {
  clusterRoleBindings(): Binding[];
  roleBindings(namespace: string): Binding[];
  clusterRole(name: string): Role | undefined;
  role(namespace: string, name: string): Role | undefined;
}

export interface Decision { allowed: boolean; reason: string }

const has = (list: string[] | undefined, v: string): boolean => (list ?? []).includes(v);

export function verbMatches(r: PolicyRule, verb: string): boolean {
  return has(r.verbs, '*') || has(r.verbs, verb);
}

export function apiGroupMatches(r: PolicyRule, group: string): boolean {
  return has(r.apiGroups, '*') || has(r.apiGroups, group);
}

/** `*`, `pods`, `pods/log`, and `*\/log` (any resource's log subresource). */
export function resourceMatches(r: PolicyRule, resource: string, subresource: string): boolean {
  const combined = subresource ? `${resource}/${subresource}` : resource;
  for (const rr of r.resources ?? []) {
    if (rr === '*' || rr === combined) return true;
    if (subresource && rr === `*/${subresource}`) return true;
  }
  return false;
}

export function resourceNameMatches(r: PolicyRule, name: string): boolean {
  return (r.resourceNames ?? []).length === 0 || has(r.resourceNames, name);
}

/** `*`, an exact path, or a prefix ending in `*` (`/healthz/*`). */
export function nonResourceURLMatches(r: PolicyRule, path: string): boolean {
  for (const u of r.nonResourceURLs ?? []) {
    if (u === '*' || u === path) return true;
    if (u.endsWith('*') && path.startsWith(u.slice(0, -1))) return true;
  }
  return false;
}

export function ruleAllows(a: Attributes, r: PolicyRule): boolean {
  if (!verbMatches(r, a.verb)) return false;
  if (!a.resourceRequest) return nonResourceURLMatches(r, a.path);
  return apiGroupMatches(r, a.apiGroup) && resourceMatches(r, a.resource, a.subresource) && resourceNameMatches(r, a.name);
}

/** appliesToUser: User and Group subjects by name, ServiceAccount subjects by their user name. */
export function subjectMatches(user: UserInfo, s: Subject, bindingNamespace: string): boolean {
  switch (s.kind) {
    case 'User': return user.username === s.name;
    case 'Group': return user.groups.includes(s.name ?? '');
    case 'ServiceAccount': {
      const sa = serviceAccountOf(user.username);
      const ns = s.namespace || bindingNamespace;
      return sa !== undefined && sa.namespace === ns && sa.name === s.name;
    }
    default: return false;
  }
}

function describeSubject(s: Subject, bindingNamespace: string): string {
  if (s.kind === 'ServiceAccount') return `ServiceAccount ${JSON.stringify(`${s.name ?? ''}/${s.namespace || bindingNamespace}`)}`;
  return `${s.kind ?? ''} ${JSON.stringify(s.name ?? '')}`;
}

/**
 * The decision and, when allowed, RBAC's reason (`RBAC: allowed by ClusterRoleBinding "x" of
 * ClusterRole "y" to User "alice"`). A denial's reason is empty unless a binding that applies to the
 * user names a missing role (`RBAC: clusterrole.rbac.authorization.k8s.io "x" not found`), as there.
 */
export function authorizeRbac(src: RbacSource, a: Attributes): Decision {
  const errors: string[] = [];
  const check = (binding: Binding, kindOfBinding: 'ClusterRoleBinding' | 'RoleBinding'): Decision | undefined => {
    const ns = binding.metadata?.namespace ?? '';
    const subject = (binding.subjects ?? []).find((s) => subjectMatches(a.user, s, ns));
    if (!subject || !binding.roleRef) return undefined;
    const ref = binding.roleRef;
    const name = ref.name ?? '';
    const cluster = ref.kind === 'ClusterRole';
    const role = cluster ? src.clusterRole(name) : ref.kind === 'Role' && kindOfBinding === 'RoleBinding' ? src.role(ns, name) : undefined;
    if (!role) {
      errors.push(`${cluster ? 'clusterrole' : 'role'}.rbac.authorization.k8s.io ${JSON.stringify(name)} not found`);
      return undefined;
    }
    if (!(role.rules ?? []).some((r) => ruleAllows(a, r))) return undefined;
    const where = kindOfBinding === 'RoleBinding'
      ? `RoleBinding ${JSON.stringify(`${binding.metadata?.name ?? ''}/${ns}`)}` : `ClusterRoleBinding ${JSON.stringify(binding.metadata?.name ?? '')}`;
    return { allowed: true, reason: `RBAC: allowed by ${where} of ${ref.kind} ${JSON.stringify(name)} to ${describeSubject(subject, ns)}` };
  };
  for (const b of src.clusterRoleBindings()) {
    const d = check(b, 'ClusterRoleBinding');
    if (d) return d;
  }
  if (a.resourceRequest && a.namespace) {
    for (const b of src.roleBindings(a.namespace)) {
      const d = check(b, 'RoleBinding');
      if (d) return d;
    }
  }
  if (errors.length === 0) return { allowed: false, reason: '' };
  return { allowed: false, reason: `RBAC: ${errors.length === 1 ? errors[0] : `[${errors.join(', ')}]`}` };
}
