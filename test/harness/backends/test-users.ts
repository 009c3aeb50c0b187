/**
 * Users with their own bearer tokens, for tests that must authenticate as someone other than the
 * admin (a token, not impersonation). Backends that start their own API server (embedded, envtest)
 * put them in the server's token file (--token-auth-file); on a developer's cluster there are none,
 * and tests that need them say so and use impersonation only.
 */
import { randomBytes } from 'node:crypto';

export interface TestUser { name: string; token: string; groups: string[] }

/** Two plain users; neither has any RBAC role beyond what every authenticated user gets. */
export function makeTestUsers(): TestUser[] {
  return [
    { name: 'agentlab-test-alice', token: randomBytes(24).toString('hex'), groups: ['agentlab-test-people'] },
    { name: 'agentlab-test-bob', token: randomBytes(24).toString('hex'), groups: [] },
  ];
}

/** kube-apiserver's token file line: token,user,uid,"group1,group2". */
export function tokenFileLines(users: TestUser[]): string {
  return users.map((u) => `${u.token},${u.name},${u.name}${u.groups.length ? `,"${u.groups.join(',')}"` : ''}\n`).join('');
}
