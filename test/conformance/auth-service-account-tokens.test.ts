import { beforeAll, describe, expect, it } from 'vitest';
import { useCluster } from '../harness/cluster.js';
import { roleBinding, roleBindingsPath, rolesPath, withToken } from './auth-support.js';
import { configMapsPath, expectStatus, ok, statusOf } from './support.js';

// The TokenRequest API (serviceaccounts/<name>/token, what a kubelet asks for to mount a pod's
// projected token) and authentication with those tokens: the user is
// system:serviceaccount:<ns>:<name>, RBAC decides, and the token dies with the ServiceAccount
// or the pod it is bound to.
const cluster = useCluster();

describe('ServiceAccount tokens (TokenRequest)', () => {
  let ns: string;
  const tokenPath = (sa: string) => `/api/v1/namespaces/${ns}/serviceaccounts/${sa}/token`;
  const newSa = async (name: string) => ok(await cluster.request({ method: 'POST', path: `/api/v1/namespaces/${ns}/serviceaccounts`, body: { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name } } }));
  const request = async (sa: string, spec: Record<string, unknown> = {}) => cluster.request({ method: 'POST', path: tokenPath(sa), body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec } });

  beforeAll(async () => {
    ns = await cluster.newNamespace('satoken');
    await newSa('reader');
    ok(await cluster.request({ method: 'POST', path: rolesPath(ns), body: { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'cm-reader' }, rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list'] }] } }));
    ok(await cluster.request({ method: 'POST', path: roleBindingsPath(ns), body: roleBinding('reader', 'Role', 'cm-reader', [{ kind: 'ServiceAccount', name: 'reader', namespace: ns }]) }));
  });

  it('issues a token for a ServiceAccount: 201 TokenRequest with status.token and expirationTimestamp', async () => {
    const res = await request('reader', { expirationSeconds: 600 });
    expectStatus(res, 201);
    const tr = res.json() as { kind: string; apiVersion: string; spec: { expirationSeconds: number }; status: { token: string; expirationTimestamp: string } };
    expect(tr).toMatchObject({ kind: 'TokenRequest', apiVersion: 'authentication.k8s.io/v1', spec: { expirationSeconds: 600 } });
    expect(tr.status.token.length).toBeGreaterThan(20);
    const ttl = Date.parse(tr.status.expirationTimestamp) - Date.now();
    expect(ttl).toBeGreaterThan(500_000);
    expect(ttl).toBeLessThanOrEqual(601_000);
  });

  it('authenticates as system:serviceaccount:<ns>:<name>; RBAC allows what its Role grants and refuses the rest with the real message', async () => {
    const token = (ok(await request('reader')) as { status: { token: string } }).status.token;
    await cluster.waitFor(async () => (await cluster.request({ path: configMapsPath(ns), headers: withToken(token) })).status === 200, { what: 'the RoleBinding to take effect' });
    const review = ok(await cluster.request({ method: 'POST', path: '/apis/authentication.k8s.io/v1/selfsubjectreviews', headers: withToken(token), body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' } }));
    expect(review.status.userInfo).toMatchObject({ username: `system:serviceaccount:${ns}:reader` });
    expect(review.status.userInfo.groups).toEqual(expect.arrayContaining(['system:serviceaccounts', `system:serviceaccounts:${ns}`, 'system:authenticated']));
    const secrets = await cluster.request({ path: `/api/v1/namespaces/${ns}/secrets`, headers: withToken(token) });
    expectStatus(secrets, 403);
    expect(statusOf(secrets).message).toBe(`secrets is forbidden: User "system:serviceaccount:${ns}:reader" cannot list resource "secrets" in API group "" in the namespace "${ns}"`);
  });

  it('refuses a ServiceAccount that does not exist (404) and a lifetime under 10 minutes (422)', async () => {
    const missing = await request('nobody');
    expectStatus(missing, 404);
    expect(statusOf(missing)).toMatchObject({ reason: 'NotFound', message: 'serviceaccounts "nobody" not found' });
    const short = await request('reader', { expirationSeconds: 60 });
    expectStatus(short, 422);
    expect(statusOf(short).message).toContain('spec.expirationSeconds');
    expect(statusOf(short).message).toContain('may not specify a duration less than 10 minutes');
  });

  it('a token stops working when its ServiceAccount is deleted, or the pod it is bound to', async () => {
    await newSa('short-lived');
    const token = (ok(await request('short-lived')) as { status: { token: string } }).status.token;
    expectStatus(await cluster.request({ path: '/apis/authentication.k8s.io/v1', headers: withToken(token) }), 200);
    ok(await cluster.request({ method: 'DELETE', path: `/api/v1/namespaces/${ns}/serviceaccounts/short-lived` }));
    await cluster.waitFor(async () => (await cluster.request({ path: '/apis/authentication.k8s.io/v1', headers: withToken(token) })).status === 401, { what: 'the token to be rejected' });

    const pod = ok(await cluster.request({ method: 'POST', path: `/api/v1/namespaces/${ns}/pods`, body: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'holder' }, spec: { serviceAccountName: 'reader', nodeName: 'no-such-node', containers: [{ name: 'c', image: 'busybox' }] } } }));
    const bound = (ok(await request('reader', { boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'holder', uid: pod.metadata.uid } })) as { status: { token: string } }).status.token;
    expectStatus(await cluster.request({ path: configMapsPath(ns), headers: withToken(bound) }), 200);
    ok(await cluster.request({ method: 'DELETE', path: `/api/v1/namespaces/${ns}/pods/holder`, body: { gracePeriodSeconds: 0 } }));
    await cluster.waitFor(async () => (await cluster.request({ path: configMapsPath(ns), headers: withToken(bound) })).status === 401, { what: 'the bound token to be rejected' });
  });
});
