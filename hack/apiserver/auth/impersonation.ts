/**
 * User impersonation (k8s.io/apiserver/pkg/endpoints/filters/impersonation.go): the Impersonate-User,
 * Impersonate-Group, Impersonate-Uid and Impersonate-Extra-<key> headers turn the request into one
 * made by that user, when the authenticated user may `impersonate` each of them. The headers are
 * trusted only through that check.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { badRequest, forbidden } from '../errors.js';
import { forbiddenMessage, type Attributes } from './attributes.js';
import type { Authorizer } from './authorizer.js';
import { AUTHENTICATED_GROUP, serviceAccountOf, type UserInfo } from './user.js';

const EXTRA_PREFIX = 'impersonate-extra-';

function headerValues(h: IncomingHttpHeaders, name: string): string[] {
  const v = h[name];
  if (v === undefined) return [];
  // Node joins repeated headers with ", " except for a few; kubectl sends one header per group.
  return (Array.isArray(v) ? v : v.split(',')).map((s) => s.trim()).filter((s) => s !== '');
}

function impersonateAttributes(user: UserInfo, resource: string, name: string, namespace = '', subresource = '', apiGroup = ''): Attributes {
  return { user, resourceRequest: true, verb: 'impersonate', apiGroup, apiVersion: '', namespace, resource, subresource, name };
}

/** The effective user of a request, or the authenticated one when no impersonation header is set. */
export function impersonate(user: UserInfo, headers: IncomingHttpHeaders, authorize: Authorizer): UserInfo {
  const name = headers['impersonate-user'];
  const target = Array.isArray(name) ? name[0] : name;
  const groups = headerValues(headers, 'impersonate-group');
  const uidHeader = headers['impersonate-uid'];
  const uid = Array.isArray(uidHeader) ? uidHeader[0] : uidHeader;
  const extra: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(headers)) {
    if (!k.startsWith(EXTRA_PREFIX) || v === undefined) continue;
    extra[decodeURIComponent(k.slice(EXTRA_PREFIX.length))] = Array.isArray(v) ? v : v.split(',').map((s) => s.trim());
  }
  if (target === undefined || target === '') {
    if (groups.length || uid !== undefined || Object.keys(extra).length) {
      throw badRequest('requested impersonation of groups, a UID or extras without impersonating a user');
    }
    return user;
  }
  const checks: Attributes[] = [];
  const sa = serviceAccountOf(target);
  checks.push(sa ? impersonateAttributes(user, 'serviceaccounts', sa.name, sa.namespace) : impersonateAttributes(user, 'users', target));
  for (const g of groups) checks.push(impersonateAttributes(user, 'groups', g));
  if (uid !== undefined) checks.push(impersonateAttributes(user, 'uids', uid, '', '', 'authentication.k8s.io'));
  for (const [k, vs] of Object.entries(extra)) for (const v of vs) checks.push(impersonateAttributes(user, 'userextras', v, '', k, 'authentication.k8s.io'));
  for (const a of checks) {
    const d = authorize(a);
    if (!d.allowed) {
      const r = a as Attributes & { resource: string; name: string; apiGroup: string };
      const message = d.reason ? `${forbiddenMessage(a)}: ${d.reason}` : forbiddenMessage(a);
      throw forbidden({ group: r.apiGroup, resource: r.resource }, r.name, message);
    }
  }
  const outGroups = [...groups];
  // A service account's groups are a fixed mapping, added when no group was asked for.
  if (sa && groups.length === 0) outGroups.push('system:serviceaccounts', `system:serviceaccounts:${sa.namespace}`);
  if (target !== 'system:anonymous' && !outGroups.includes(AUTHENTICATED_GROUP)) outGroups.push(AUTHENTICATED_GROUP);
  const out: UserInfo = { username: target, groups: outGroups };
  if (uid !== undefined) out.uid = uid;
  if (Object.keys(extra).length) out.extra = extra;
  return out;
}
