/** The authenticated user of a request, as k8s.io/apiserver/pkg/authentication/user.Info. */
import type { IncomingMessage } from 'node:http';

export interface UserInfo {
  username: string;
  uid?: string;
  groups: string[];
  extra?: Record<string, string[]>;
}

export const MASTERS_GROUP = 'system:masters';
export const AUTHENTICATED_GROUP = 'system:authenticated';
export const SERVICE_ACCOUNT_PREFIX = 'system:serviceaccount:';

/** A service account user name's namespace and name, or undefined for any other user. */
export function serviceAccountOf(username: string): { namespace: string; name: string } | undefined {
  if (!username.startsWith(SERVICE_ACCOUNT_PREFIX)) return undefined;
  const parts = username.slice(SERVICE_ACCOUNT_PREFIX.length).split(':');
  if (parts.length !== 2 || !parts[0] || !parts[1]) return undefined;
  return { namespace: parts[0], name: parts[1] };
}

const users = new WeakMap<IncomingMessage, UserInfo>();

/** Records who a request is (after authentication and impersonation). */
export function setRequestUser(req: IncomingMessage, user: UserInfo): void {
  users.set(req, user);
}

/** Who a request is; undefined only for public paths, which never reach a handler that asks. */
export function requestUser(req: IncomingMessage): UserInfo | undefined {
  return users.get(req);
}
