import { describe, expect, it } from 'vitest';
import { useCluster } from '../harness/cluster.js';
import { withToken } from './auth-support.js';
import { expectStatus, ok, statusOf } from './support.js';

// Static token users (kube-apiserver --token-auth-file): each token authenticates its user, with its
// groups plus system:authenticated; a token nobody has is 401. Only where the harness wrote the file.
const cluster = useCluster();
const SSR = { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' };

describe.runIf(cluster.tokenUsers.length > 0)('static token users', () => {
  it('a token authenticates its user with the groups of its line and system:authenticated', async () => {
    const [alice] = cluster.tokenUsers;
    const review = ok(await cluster.request({ method: 'POST', path: '/apis/authentication.k8s.io/v1/selfsubjectreviews', body: SSR, headers: withToken(alice!.token) }));
    expect(review.status.userInfo.username).toBe(alice!.name);
    expect(review.status.userInfo.uid).toBe(alice!.name);
    expect(review.status.userInfo.groups).toEqual([...alice!.groups, 'system:authenticated']);
  });

  it('an unknown token is 401 Unauthorized', async () => {
    const res = await cluster.request({ path: '/api/v1/namespaces', headers: withToken('not-a-token-anyone-has') });
    expectStatus(res, 401);
    expect(statusOf(res)).toMatchObject({ reason: 'Unauthorized', message: 'Unauthorized', code: 401 });
  });

  it('kubectl auth whoami --token shows the token\'s user', async () => {
    const [, bob] = cluster.tokenUsers;
    const out = await cluster.kubectl(['auth', 'whoami', `--token=${bob!.token}`]);
    expect(out.stdout).toMatch(new RegExp(`Username\\s+${bob!.name}\\n`));
    expect(out.stdout).toMatch(/Groups\s+\[system:authenticated\]/);
  });
});
