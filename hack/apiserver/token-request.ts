/**
 * serviceaccounts/token (authentication.k8s.io/v1 TokenRequest, create), as kube-apiserver's
 * TokenREST: the ServiceAccount must exist, spec.expirationSeconds defaults to an hour and may not
 * be under 10 minutes, spec.boundObjectRef (a Pod or Secret of the namespace) must exist and the
 * token dies with it. The answer is the TokenRequest with status.token and expirationTimestamp.
 */
import type { ServerContext } from './context.js';
import { badRequest, conflict, fieldCause, invalid, notFound } from './errors.js';
import { DEFAULT_EXPIRATION_SECONDS, MIN_EXPIRATION_SECONDS, type BoundObject, type ServiceAccountTokens } from './auth/service-account-tokens.js';
import { isRecord } from './types.js';

const rfc3339 = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

export function createTokenRequest(ctx: ServerContext, tokens: ServiceAccountTokens, ns: string, name: string, body: unknown): Record<string, unknown> {
  if (body !== undefined && body !== null && (!isRecord(body) || (body.kind !== undefined && body.kind !== 'TokenRequest'))) throw badRequest('the body must be a TokenRequest object');
  const spec = isRecord(body) && isRecord(body.spec) ? body.spec : {};
  const sa = ctx.store.getEntry('serviceaccounts.', ns, name);
  if (!sa) throw notFound({ group: '', resource: 'serviceaccounts' }, name);
  const expirationSeconds = spec.expirationSeconds === undefined ? DEFAULT_EXPIRATION_SECONDS : Number(spec.expirationSeconds);
  if (!Number.isInteger(expirationSeconds) || expirationSeconds < MIN_EXPIRATION_SECONDS) {
    throw invalid('TokenRequest', 'authentication.k8s.io', name, [fieldCause('FieldValueInvalid', 'spec.expirationSeconds', 'may not specify a duration less than 10 minutes', spec.expirationSeconds)]);
  }
  let bound: BoundObject | undefined;
  if (isRecord(spec.boundObjectRef)) {
    const ref = spec.boundObjectRef;
    const kind = String(ref.kind ?? '');
    const storage = kind === 'Pod' ? 'pods.' : kind === 'Secret' ? 'secrets.' : undefined;
    if (!storage) throw badRequest(`cannot bind token to object of type ${kind}`);
    const target = ctx.store.getEntry(storage, ns, String(ref.name ?? ''));
    if (!target) throw notFound({ group: '', resource: kind === 'Pod' ? 'pods' : 'secrets' }, String(ref.name ?? ''));
    if (ref.uid !== undefined && ref.uid !== target.uid) {
      throw conflict({ group: '', resource: kind }, target.name, `the UID in the bound object reference (${String(ref.uid)}) does not match the UID in record. The object might have been deleted and then recreated`);
    }
    bound = { kind, name: target.name, uid: target.uid };
  }
  const now = Date.now();
  const { token, expires } = tokens.issue({ namespace: ns, name, uid: sa.uid }, expirationSeconds, now, bound);
  return {
    kind: 'TokenRequest', apiVersion: 'authentication.k8s.io/v1',
    metadata: { name, namespace: ns, creationTimestamp: rfc3339(now) },
    spec: { audiences: Array.isArray(spec.audiences) ? spec.audiences : [], expirationSeconds, boundObjectRef: isRecord(spec.boundObjectRef) ? spec.boundObjectRef : null },
    status: { token, expirationTimestamp: rfc3339(expires) },
  };
}
