/**
 * The review APIs, which answer a question instead of storing an object:
 * authentication.k8s.io/v1 SelfSubjectReview (`kubectl auth whoami`) and authorization.k8s.io/v1
 * SelfSubjectAccessReview (`kubectl auth can-i`), SubjectAccessReview and LocalSubjectAccessReview,
 * answered by the server's authorizer.
 */
import { badRequest, invalid } from '../errors.js';
import { apiVersionOf, groupResourceKey, type ResourceInfo } from '../registry.js';
import { isRecord } from '../types.js';
import type { Attributes } from './attributes.js';
import type { Authorizer } from './authorizer.js';
import type { UserInfo } from './user.js';

export const REVIEW_RESOURCES = new Set([
  'selfsubjectreviews.authentication.k8s.io', 'selfsubjectaccessreviews.authorization.k8s.io',
  'subjectaccessreviews.authorization.k8s.io', 'localsubjectaccessreviews.authorization.k8s.io',
]);

const str = (v: unknown): string => (typeof v === 'string' ? v : '');

function userInfoJson(u: UserInfo): Record<string, unknown> {
  const out: Record<string, unknown> = { username: u.username };
  if (u.uid) out.uid = u.uid;
  if (u.groups.length) out.groups = u.groups;
  if (u.extra && Object.keys(u.extra).length) out.extra = u.extra;
  return out;
}

/** The attributes a review asks about, or the 422 kube-apiserver gives for a malformed spec. */
function reviewAttributes(r: ResourceInfo, spec: Record<string, unknown>, user: UserInfo): Attributes {
  const ra = isRecord(spec.resourceAttributes) ? spec.resourceAttributes : undefined;
  const nra = isRecord(spec.nonResourceAttributes) ? spec.nonResourceAttributes : undefined;
  if ((ra === undefined) === (nra === undefined)) {
    throw invalid(r.kind, r.group, '', [{ reason: 'FieldValueInvalid', field: 'spec.resourceAttributes',
      message: `Invalid value: "null": exactly one of nonResourceAttributes or resourceAttributes must be specified` }]);
  }
  if (nra) return { user, resourceRequest: false, verb: str(nra.verb), path: str(nra.path) };
  return { user, resourceRequest: true, verb: str(ra!.verb), apiGroup: str(ra!.group), apiVersion: str(ra!.version),
    namespace: str(ra!.namespace), resource: str(ra!.resource), subresource: str(ra!.subresource), name: str(ra!.name) };
}

/** Answers a review POSTed by `requester`; the body was decoded and checked to be of the resource's kind. */
export function review(r: ResourceInfo, namespace: string, body: unknown, requester: UserInfo, authorize: Authorizer): Record<string, unknown> {
  const obj = isRecord(body) ? body : {};
  const metadata = isRecord(obj.metadata) ? { ...obj.metadata } : {};
  metadata.creationTimestamp ??= null;
  const head = { kind: r.kind, apiVersion: apiVersionOf(r), metadata };
  const key = groupResourceKey(r);
  if (key === 'selfsubjectreviews.authentication.k8s.io') return { ...head, status: { userInfo: userInfoJson(requester) } };
  const spec = isRecord(obj.spec) ? { ...obj.spec } : {};
  let subject = requester;
  if (key === 'subjectaccessreviews.authorization.k8s.io' || key === 'localsubjectaccessreviews.authorization.k8s.io') {
    const groups = Array.isArray(spec.groups) ? spec.groups.filter((g): g is string => typeof g === 'string') : [];
    if (!str(spec.user) && groups.length === 0) {
      throw invalid(r.kind, r.group, '', [{ reason: 'FieldValueInvalid', field: 'spec.user', message: 'Invalid value: "": at least one of user or group must be specified' }]);
    }
    subject = { username: str(spec.user), groups, uid: str(spec.uid) || undefined,
      extra: isRecord(spec.extra) ? spec.extra as Record<string, string[]> : undefined };
  }
  if (key === 'localsubjectaccessreviews.authorization.k8s.io') {
    const ra = isRecord(spec.resourceAttributes) ? spec.resourceAttributes : undefined;
    if (!ra) throw badRequest('spec.resourceAttributes: Required value: must be specified for a LocalSubjectAccessReview');
    if (!str(ra.namespace)) spec.resourceAttributes = { ...ra, namespace };
    else if (ra.namespace !== namespace) throw badRequest(`spec.resourceAttributes.namespace must match namespace: ${namespace}`);
  }
  const decision = authorize(reviewAttributes(r, spec, subject));
  const status: Record<string, unknown> = { allowed: decision.allowed };
  if (decision.reason) status.reason = decision.reason;
  return { ...head, spec, status };
}
