import { beforeAll, describe, expect, it } from 'vitest';
import { useCluster } from '../harness/cluster.js';
import { impersonating, roleBinding, roleBindingsPath, rolesPath, uniqueUser, userSubject } from './auth-support.js';
import { ok } from './support.js';

// SelfSubjectAccessReview (kubectl auth can-i) and SubjectAccessReview answer from the authorizer.
const cluster = useCluster();

describe('access reviews', () => {
  let ns: string;
  const carol = uniqueUser('carol');

  beforeAll(async () => {
    ns = await cluster.newNamespace('can-i');
    ok(await cluster.request({ method: 'POST', path: rolesPath(ns), body: { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'svc-editor' },
      rules: [{ apiGroups: [''], resources: ['services'], verbs: ['get', 'update'] }] } }));
    ok(await cluster.request({ method: 'POST', path: roleBindingsPath(ns), body: roleBinding('carol', 'Role', 'svc-editor', [userSubject(carol)]) }));
    await cluster.waitFor(async () => (await cluster.request({ path: `/api/v1/namespaces/${ns}/services/x`, headers: impersonating(carol) })).status === 404,
      { what: 'the RoleBinding to take effect' });
  });

  it('SelfSubjectAccessReview answers for the caller, with RBAC\'s reason when allowed', async () => {
    const ask = (verb: string) => cluster.request({ method: 'POST', path: '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', headers: impersonating(carol),
      body: { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec: { resourceAttributes: { namespace: ns, verb, resource: 'services' } } } });
    const yes = ok(await ask('update'));
    expect(yes.kind).toBe('SelfSubjectAccessReview');
    expect(yes.status).toEqual({ allowed: true, reason: `RBAC: allowed by RoleBinding "carol/${ns}" of Role "svc-editor" to User "${carol}"` });
    expect(ok(await ask('delete')).status).toEqual({ allowed: false });
  });

  it('kubectl auth can-i prints yes/no and exits 0/1', async () => {
    const yes = await cluster.kubectl(['auth', 'can-i', 'get', 'services', '-n', ns, `--as=${carol}`]);
    expect(yes.stdout.trim()).toBe('yes');
    const no = await cluster.kubectl(['auth', 'can-i', 'delete', 'services', '-n', ns, `--as=${carol}`], { allowFailure: true });
    expect(no.code).toBe(1);
    expect(no.stdout.trim()).toBe('no');
  });

  it('SubjectAccessReview asks about another user, and needs a user or group', async () => {
    const sar = (spec: Record<string, unknown>) => cluster.request({ method: 'POST', path: '/apis/authorization.k8s.io/v1/subjectaccessreviews',
      body: { apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview', spec } });
    expect(ok(await sar({ user: carol, resourceAttributes: { namespace: ns, verb: 'get', resource: 'services' } })).status.allowed).toBe(true);
    expect(ok(await sar({ user: carol, resourceAttributes: { namespace: 'default', verb: 'get', resource: 'services' } })).status.allowed).toBe(false);
    const missing = await sar({ resourceAttributes: { verb: 'get', resource: 'services' } });
    expect(missing.status).toBe(422);
    expect(missing.json().message).toContain('spec.user: Invalid value: "": at least one of user or group must be specified');
  });
});
