import { describe, expect, it } from 'vitest';
import type { Attributes } from './attributes.js';
import { authorizeRbac, nonResourceURLMatches, resourceMatches, type RbacSource, type Role, type Binding } from './rbac.js';

const alice = { username: 'alice', groups: ['dev', 'system:authenticated'] };
const get = (resource: string, extra: Partial<Attributes> = {}): Attributes => ({
  user: alice, resourceRequest: true, verb: 'get', apiGroup: '', apiVersion: 'v1', namespace: 'ns', resource, subresource: '', name: 'x', ...extra,
} as Attributes);

function source(roles: Record<string, Role>, crbs: Binding[], rbs: Binding[] = []): RbacSource {
  return {
    clusterRoleBindings: () => crbs,
    roleBindings: (ns) => rbs.filter((b) => b.metadata?.namespace === ns),
    clusterRole: (n) => roles[n],
    role: (ns, n) => roles[`${ns}/${n}`],
  };
}

describe('RBAC rule matching', () => {
  it.each([
    [['*'], 'pods', '', true], [['pods'], 'pods', '', true], [['pods'], 'pods', 'log', false], [['pods/log'], 'pods', 'log', true],
    [['*/log'], 'pods', 'log', true], [['*/log'], 'pods', '', false], [['*'], 'pods', 'status', true],
  ])('resources %j vs %s/%s -> %s', (resources, resource, sub, want) => {
    expect(resourceMatches({ resources }, resource, sub)).toBe(want);
  });

  it('matches non-resource URLs exactly or by a trailing *', () => {
    expect(nonResourceURLMatches({ nonResourceURLs: ['/healthz/*'] }, '/healthz/etcd')).toBe(true);
    expect(nonResourceURLMatches({ nonResourceURLs: ['/healthz'] }, '/healthz/etcd')).toBe(false);
  });
});

describe('authorizeRbac', () => {
  const reader: Role = { rules: [{ verbs: ['get'], apiGroups: [''], resources: ['configmaps'], resourceNames: ['x'] }] };

  it('allows through a group subject and says which binding did', () => {
    const src = source({ reader }, [{ metadata: { name: 'b' }, roleRef: { kind: 'ClusterRole', name: 'reader' }, subjects: [{ kind: 'Group', name: 'dev' }] }]);
    expect(authorizeRbac(src, get('configmaps'))).toEqual({ allowed: true, reason: 'RBAC: allowed by ClusterRoleBinding "b" of ClusterRole "reader" to Group "dev"' });
    expect(authorizeRbac(src, get('configmaps', { name: 'y' })).allowed).toBe(false);
    expect(authorizeRbac(src, get('secrets')).allowed).toBe(false);
  });

  it('applies a RoleBinding only in its namespace', () => {
    const src = source({ 'ns/r': reader }, [], [{ metadata: { name: 'rb', namespace: 'ns' }, roleRef: { kind: 'Role', name: 'r' }, subjects: [{ kind: 'User', name: 'alice' }] }]);
    expect(authorizeRbac(src, get('configmaps')).reason).toBe('RBAC: allowed by RoleBinding "rb/ns" of Role "r" to User "alice"');
    expect(authorizeRbac(src, get('configmaps', { namespace: 'other' })).allowed).toBe(false);
  });

  it('reports a missing role of a binding that applies', () => {
    const src = source({}, [{ metadata: { name: 'b' }, roleRef: { kind: 'ClusterRole', name: 'gone' }, subjects: [{ kind: 'User', name: 'alice' }] }]);
    expect(authorizeRbac(src, get('configmaps'))).toEqual({ allowed: false, reason: 'RBAC: clusterrole.rbac.authorization.k8s.io "gone" not found' });
  });
});
