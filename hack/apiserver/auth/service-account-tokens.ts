/**
 * ServiceAccount tokens from the TokenRequest API (`POST .../serviceaccounts/<name>/token`, what
 * a kubelet asks for to mount a pod's projected token), and their authentication as kube-apiserver's
 * service account authenticator does it: `system:serviceaccount:<ns>:<name>` in the groups
 * system:serviceaccounts and system:serviceaccounts:<ns>, valid until it expires and only while the
 * ServiceAccount (same UID) and the object it is bound to (a pod) still exist.
 *
 * The tokens are opaque random strings rather than signed JWTs: clients never look inside them.
 */
import { randomBytes } from 'node:crypto';
import { SERVICE_ACCOUNT_PREFIX, type UserInfo } from './user.js';

/** kube-apiserver refuses shorter tokens (ValidateTokenRequest). */
export const MIN_EXPIRATION_SECONDS = 600;
export const DEFAULT_EXPIRATION_SECONDS = 3600;

export interface BoundObject { kind: string; name: string; uid?: string }

interface Issued { namespace: string; name: string; uid: string; expires: number; bound?: BoundObject }

/** What authentication needs to know about the cluster now: the ServiceAccount's UID, a bound object's UID. */
export interface Lookup {
  serviceAccountUid(namespace: string, name: string): string | undefined;
  objectUid(namespace: string, kind: string, name: string): string | undefined;
}

export class ServiceAccountTokens {
  private readonly tokens = new Map<string, Issued>();

  issue(sa: { namespace: string; name: string; uid: string }, expirationSeconds: number, now: number, bound?: BoundObject): { token: string; expires: number } {
    const token = `sat-${randomBytes(32).toString('base64url')}`;
    const expires = now + expirationSeconds * 1000;
    this.tokens.set(token, { ...sa, expires, ...(bound ? { bound } : {}) });
    return { token, expires };
  }

  authenticate(token: string, lookup: Lookup, now: number): UserInfo | undefined {
    const t = this.tokens.get(token);
    if (!t) return undefined;
    const boundUid = t.bound ? lookup.objectUid(t.namespace, t.bound.kind, t.bound.name) : undefined;
    const boundOk = !t.bound || (boundUid !== undefined && (t.bound.uid === undefined || boundUid === t.bound.uid));
    if (now >= t.expires || lookup.serviceAccountUid(t.namespace, t.name) !== t.uid || !boundOk) {
      this.tokens.delete(token);
      return undefined;
    }
    return { username: `${SERVICE_ACCOUNT_PREFIX}${t.namespace}:${t.name}`, uid: t.uid, groups: ['system:serviceaccounts', `system:serviceaccounts:${t.namespace}`] };
  }
}
