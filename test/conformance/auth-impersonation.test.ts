import { describe, expect, it } from 'vitest';
import { useCluster } from '../harness/cluster.js';
import { impersonating, uniqueUser, withToken } from './auth-support.js';
import { expectStatus, ok, statusOf } from './support.js';

// User impersonation: Impersonate-User / Impersonate-Group make a request act as another user when
// the caller may `impersonate` users and groups (the admin may; a plain user may not).
const cluster = useCluster();
const SSR_PATH = '/apis/authentication.k8s.io/v1/selfsubjectreviews';
const SSR = { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' };

describe('impersonation', () => {
  it('the admin acting as a user and group is that user, with system:authenticated added', async () => {
    const user = uniqueUser('imp');
    const review = ok(await cluster.request({ method: 'POST', path: SSR_PATH, body: SSR, headers: impersonating(user, 'agentlab-test-team') }));
    expect(review).toMatchObject({ kind: 'SelfSubjectReview', apiVersion: 'authentication.k8s.io/v1' });
    expect(review.status.userInfo.username).toBe(user);
    expect(review.status.userInfo.groups).toEqual(['agentlab-test-team', 'system:authenticated']);
  });

  it('kubectl --as shows the impersonated user in auth whoami', async () => {
    const user = uniqueUser('as');
    const out = await cluster.kubectl(['auth', 'whoami', `--as=${user}`, '-o', 'json']);
    expect(JSON.parse(out.stdout).status.userInfo).toEqual({ username: user, groups: ['system:authenticated'] });
  });

  it('a service account user gets its service account groups', async () => {
    const review = ok(await cluster.request({ method: 'POST', path: SSR_PATH, body: SSR, headers: impersonating('system:serviceaccount:default:agentlab-test-sa') }));
    expect(review.status.userInfo.groups).toEqual(['system:serviceaccounts', 'system:serviceaccounts:default', 'system:authenticated']);
  });

  it('an impersonated user has only its own permissions: 403 with RBAC\'s message', async () => {
    const user = uniqueUser('noperm');
    const res = await cluster.request({ path: '/api/v1/namespaces/default/secrets', headers: impersonating(user) });
    expectStatus(res, 403);
    expect(statusOf(res)).toMatchObject({
      reason: 'Forbidden', code: 403, details: { kind: 'secrets' },
      message: `secrets is forbidden: User "${user}" cannot list resource "secrets" in API group "" in the namespace "default"`,
    });
  });

  it.runIf(cluster.tokenUsers.length > 0)('a user without the impersonate verb is refused', async () => {
    const [, bob] = cluster.tokenUsers;
    const res = await cluster.request({ path: '/api/v1/namespaces', headers: { ...withToken(bob!.token), 'Impersonate-User': 'admin' } });
    expectStatus(res, 403);
    expect(statusOf(res)).toMatchObject({
      reason: 'Forbidden', details: { name: 'admin', kind: 'users' },
      message: `users "admin" is forbidden: User "${bob!.name}" cannot impersonate resource "users" in API group "" at the cluster scope`,
    });
  });
});
