import { beforeAll, describe, expect, it } from 'vitest';
import { useCluster } from '../harness/cluster.js';
import { CLUSTER_ROLE_BINDINGS, CLUSTER_ROLES, clusterScoped, impersonating, roleBinding, roleBindingsPath, rolesPath, uniqueUser, userSubject } from './auth-support.js';
import { configMap, configMapsPath, expectStatus, ok, statusOf } from './support.js';

// RBAC authorization: Roles and ClusterRoles bound by RoleBindings (in their namespace) and
// ClusterRoleBindings; verbs, resources, subresources, resourceNames, wildcards and non-resource URLs.
const cluster = useCluster();
const create = clusterScoped(cluster);

describe('RBAC', () => {
  let ns: string;
  const alice = uniqueUser('alice');
  const bob = uniqueUser('bob');
  const group = uniqueUser('group');

  beforeAll(async () => {
    ns = await cluster.newNamespace('rbac');
    ok(await cluster.request({ method: 'POST', path: rolesPath(ns), body: { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'cm-reader' },
      rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list'] }, { apiGroups: [''], resources: ['configmaps'], resourceNames: ['only-this'], verbs: ['update', 'patch'] }] } }));
    ok(await cluster.request({ method: 'POST', path: roleBindingsPath(ns), body: roleBinding('alice-reads', 'Role', 'cm-reader', [userSubject(alice)]) }));
    ok(await cluster.request({ method: 'POST', path: roleBindingsPath(ns), body: roleBinding('group-pods', 'ClusterRole', `${group}-pods`, [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: group }]) }));
    await create(CLUSTER_ROLES, { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: `${group}-pods` },
      rules: [{ apiGroups: ['*'], resources: ['pods', '*/log'], verbs: ['*'] }] });
    await create(CLUSTER_ROLES, { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: `${bob}-paths` },
      rules: [{ nonResourceURLs: ['/metrics-agentlab-test/*'], verbs: ['get'] }] });
    await create(CLUSTER_ROLE_BINDINGS, { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: `${bob}-paths` },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: `${bob}-paths` }, subjects: [userSubject(bob)] });
    ok(await cluster.request({ method: 'POST', path: configMapsPath(ns), body: configMap('only-this') }));
    ok(await cluster.request({ method: 'POST', path: configMapsPath(ns), body: configMap('other') }));
    // RBAC changes reach a real server's authorizer through an informer: wait until the grant shows.
    await cluster.waitFor(async () => (await cluster.request({ path: configMapsPath(ns), headers: impersonating(alice) })).status === 200,
      { what: 'the RoleBinding to take effect' });
  });

  it('a Role bound in the namespace allows its verbs there', async () => {
    const list = ok(await cluster.request({ path: configMapsPath(ns), headers: impersonating(alice) }));
    const names = list.items.map((i: any) => i.metadata.name);
    expect(names).toContain('only-this');
    expect(names).toContain('other');
  });

  it('refuses another verb with the real message, naming the resource when there is one', async () => {
    const res = await cluster.request({ method: 'DELETE', path: configMapsPath(ns, 'other'), headers: impersonating(alice) });
    expectStatus(res, 403);
    expect(statusOf(res)).toMatchObject({
      status: 'Failure', reason: 'Forbidden', code: 403, details: { name: 'other', kind: 'configmaps' },
      message: `configmaps "other" is forbidden: User "${alice}" cannot delete resource "configmaps" in API group "" in the namespace "${ns}"`,
    });
  });

  it('resourceNames limit a rule to the named objects', async () => {
    const patch = { method: 'PATCH', body: { metadata: { labels: { touched: 'yes' } } }, contentType: 'application/merge-patch+json', headers: impersonating(alice) };
    expect((await cluster.request({ ...patch, path: configMapsPath(ns, 'only-this') })).status).toBe(200);
    const res = await cluster.request({ ...patch, path: configMapsPath(ns, 'other') });
    expectStatus(res, 403);
    expect(statusOf(res).message).toBe(`configmaps "other" is forbidden: User "${alice}" cannot patch resource "configmaps" in API group "" in the namespace "${ns}"`);
  });

  it('a RoleBinding grants nothing in another namespace', async () => {
    const res = await cluster.request({ path: configMapsPath('default'), headers: impersonating(alice) });
    expectStatus(res, 403);
    expect(statusOf(res).message).toBe(`configmaps is forbidden: User "${alice}" cannot list resource "configmaps" in API group "" in the namespace "default"`);
  });

  it('a group subject, wildcard verbs and a */log rule; the subresource shows in the message when refused', async () => {
    const as = impersonating(uniqueUser('member'), group);
    expect((await cluster.request({ path: `/api/v1/namespaces/${ns}/pods`, headers: as })).status).toBe(200);
    const status = await cluster.request({ path: `/api/v1/namespaces/${ns}/pods/nope/status`, headers: as });
    expectStatus(status, 403);
    expect(statusOf(status).message).toMatch(/^pods "nope" is forbidden: User "agentlab-test-member-\w+" cannot get resource "pods\/status" in API group "" in the namespace "/);
  });

  it('non-resource URLs: a matching prefix rule lets the request through authorization; others are refused with the path', async () => {
    // The path does not exist: past authorization it is 404; refused, 403.
    expect((await cluster.request({ path: '/metrics-agentlab-test/x', headers: impersonating(bob) })).status).toBe(404);
    const res = await cluster.request({ path: '/metrics-agentlab-other', headers: impersonating(bob) });
    expectStatus(res, 403);
    expect(statusOf(res)).toMatchObject({ reason: 'Forbidden', message: `forbidden: User "${bob}" cannot get path "/metrics-agentlab-other"` });
  });

  it('a cluster-scoped refusal says "at the cluster scope"', async () => {
    const res = await cluster.request({ path: '/api/v1/nodes', headers: impersonating(alice) });
    expectStatus(res, 403);
    expect(statusOf(res).message).toBe(`nodes is forbidden: User "${alice}" cannot list resource "nodes" in API group "" at the cluster scope`);
  });
});
