/**
 * The server's authorizer: the system:masters group is allowed everything (kube-apiserver's
 * privileged-groups authorizer, which runs before the configured modes), then RBAC over the store.
 * `AlwaysAllow` is the --authorization-mode of that name.
 */
import type { Store } from '../store.js';
import type { Attributes } from './attributes.js';
import { authorizeRbac, type Binding, type Decision, type RbacSource, type Role } from './rbac.js';
import { MASTERS_GROUP } from './user.js';

export type AuthorizationMode = 'RBAC' | 'AlwaysAllow';

export type Authorizer = (a: Attributes) => Decision;

const RBAC_GROUP = 'rbac.authorization.k8s.io';

/** RBAC objects read straight from the store (every request sees the latest roles, as a synced informer would). */
export function storeRbacSource(store: Store): RbacSource {
  const parse = <T>(json: string): T => JSON.parse(json) as T;
  return {
    clusterRoleBindings: () => store.list(`clusterrolebindings.${RBAC_GROUP}`).map((e) => parse<Binding>(e.json)),
    roleBindings: (ns) => store.list(`rolebindings.${RBAC_GROUP}`, ns).map((e) => parse<Binding>(e.json)),
    clusterRole: (name) => store.get(`clusterroles.${RBAC_GROUP}`, '', name) as Role | undefined,
    role: (ns, name) => store.get(`roles.${RBAC_GROUP}`, ns, name) as Role | undefined,
  };
}

export function makeAuthorizer(mode: AuthorizationMode, src: RbacSource): Authorizer {
  return (a) => {
    if (mode === 'AlwaysAllow' || a.user.groups.includes(MASTERS_GROUP)) return { allowed: true, reason: '' };
    return authorizeRbac(src, a);
  };
}
