/**
 * Bearer token authentication: the admin token (user `admin` in system:masters, like a
 * cluster's admin kubeconfig) and the users of a token file. Every authenticated user also gets
 * system:authenticated, as kube-apiserver's authenticator chain adds it.
 */
import { timingSafeEqual } from 'node:crypto';
import { withAuthenticatedGroup } from './token-file.js';
import { MASTERS_GROUP, type UserInfo } from './user.js';

export const ADMIN_USER: UserInfo = { username: 'admin', uid: 'admin', groups: [MASTERS_GROUP] };

function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export class Authenticator {
  constructor(
    private readonly adminToken: string,
    private readonly users: ReadonlyMap<string, UserInfo>,
    /** ServiceAccount tokens (TokenRequest), checked after the static ones. */
    private readonly serviceAccounts?: (token: string) => UserInfo | undefined,
  ) {}

  /** The user a request's Authorization header names, or undefined (401). */
  authenticate(header: string | undefined): UserInfo | undefined {
    if (!header?.startsWith('Bearer ')) return undefined;
    const token = header.slice('Bearer '.length).trim();
    if (token === '') return undefined;
    if (sameToken(token, this.adminToken)) return withAuthenticatedGroup(ADMIN_USER);
    const user = this.users.get(token) ?? this.serviceAccounts?.(token);
    return user ? withAuthenticatedGroup(user) : undefined;
  }
}
