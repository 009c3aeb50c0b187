/** k8s.io/api/authentication/v1 and authorization/v1 review messages (generated.proto), as `kubectl auth whoami|can-i` send them. */
import { MAP, REP, message } from './descriptor.js';
import { ObjectMeta } from './meta.js';

const AUTHN = 'k8s.io.api.authentication.v1';
const AUTHZ = 'k8s.io.api.authorization.v1';

const ExtraValue = message(`${AUTHN}.ExtraValue`, { 1: ['items', 'string', REP] });

const UserInfo = message(`${AUTHN}.UserInfo`, {
  1: ['username', 'string'], 2: ['uid', 'string'], 3: ['groups', 'string', REP], 4: ['extra', ExtraValue, MAP],
});

export const SelfSubjectReview = message(`${AUTHN}.SelfSubjectReview`, {
  1: ['metadata', ObjectMeta], 2: ['status', message(`${AUTHN}.SelfSubjectReviewStatus`, { 1: ['userInfo', UserInfo] })],
});

const FieldSelectorRequirement = message('k8s.io.apimachinery.pkg.apis.meta.v1.FieldSelectorRequirement', {
  1: ['key', 'string'], 2: ['operator', 'string'], 3: ['values', 'string', REP],
});
const LabelSelectorRequirement = message('k8s.io.apimachinery.pkg.apis.meta.v1.LabelSelectorRequirement', {
  1: ['key', 'string'], 2: ['operator', 'string'], 3: ['values', 'string', REP],
});

const ResourceAttributes = message(`${AUTHZ}.ResourceAttributes`, {
  1: ['namespace', 'string'], 2: ['verb', 'string'], 3: ['group', 'string'], 4: ['version', 'string'],
  5: ['resource', 'string'], 6: ['subresource', 'string'], 7: ['name', 'string'],
  8: ['fieldSelector', message(`${AUTHZ}.FieldSelectorAttributes`, { 1: ['rawSelector', 'string'], 2: ['requirements', FieldSelectorRequirement, REP] })],
  9: ['labelSelector', message(`${AUTHZ}.LabelSelectorAttributes`, { 1: ['rawSelector', 'string'], 2: ['requirements', LabelSelectorRequirement, REP] })],
});

const NonResourceAttributes = message(`${AUTHZ}.NonResourceAttributes`, { 1: ['path', 'string'], 2: ['verb', 'string'] });

const SubjectAccessReviewStatus = message(`${AUTHZ}.SubjectAccessReviewStatus`, {
  1: ['allowed', 'bool'], 2: ['reason', 'string'], 3: ['evaluationError', 'string'], 4: ['denied', 'bool'],
});

export const SelfSubjectAccessReview = message(`${AUTHZ}.SelfSubjectAccessReview`, {
  1: ['metadata', ObjectMeta],
  2: ['spec', message(`${AUTHZ}.SelfSubjectAccessReviewSpec`, { 1: ['resourceAttributes', ResourceAttributes], 2: ['nonResourceAttributes', NonResourceAttributes] })],
  3: ['status', SubjectAccessReviewStatus],
});

const SubjectAccessReviewSpec = message(`${AUTHZ}.SubjectAccessReviewSpec`, {
  1: ['resourceAttributes', ResourceAttributes], 2: ['nonResourceAttributes', NonResourceAttributes], 3: ['user', 'string'],
  4: ['groups', 'string', REP], 5: ['extra', ExtraValue, MAP], 6: ['uid', 'string'],
});

export const SubjectAccessReview = message(`${AUTHZ}.SubjectAccessReview`, {
  1: ['metadata', ObjectMeta], 2: ['spec', SubjectAccessReviewSpec], 3: ['status', SubjectAccessReviewStatus],
});

export const LocalSubjectAccessReview = message(`${AUTHZ}.LocalSubjectAccessReview`, {
  1: ['metadata', ObjectMeta], 2: ['spec', SubjectAccessReviewSpec], 3: ['status', SubjectAccessReviewStatus],
});
