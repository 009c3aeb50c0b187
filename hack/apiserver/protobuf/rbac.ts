/** k8s.io/api/rbac/v1 messages (generated.proto). */
import { NULLABLE, REP, message } from './descriptor.js';
import { LabelSelector, ObjectMeta } from './meta.js';

const RBAC = 'k8s.io.api.rbac.v1';

export const PolicyRule = message(`${RBAC}.PolicyRule`, {
  1: ['verbs', 'string', REP, NULLABLE], 2: ['apiGroups', 'string', REP], 3: ['resources', 'string', REP],
  4: ['resourceNames', 'string', REP], 5: ['nonResourceURLs', 'string', REP],
});

export const Role = message(`${RBAC}.Role`, { 1: ['metadata', ObjectMeta], 2: ['rules', PolicyRule, REP, NULLABLE] });

export const ClusterRole = message(`${RBAC}.ClusterRole`, {
  1: ['metadata', ObjectMeta], 2: ['rules', PolicyRule, REP, NULLABLE],
  3: ['aggregationRule', message(`${RBAC}.AggregationRule`, { 1: ['clusterRoleSelectors', LabelSelector, REP] })],
});

const Subject = message(`${RBAC}.Subject`, { 1: ['kind', 'string'], 2: ['apiGroup', 'string'], 3: ['name', 'string'], 4: ['namespace', 'string'] });
const RoleRef = message(`${RBAC}.RoleRef`, { 1: ['apiGroup', 'string'], 2: ['kind', 'string'], 3: ['name', 'string'] });

export const RoleBinding = message(`${RBAC}.RoleBinding`, {
  1: ['metadata', ObjectMeta], 2: ['subjects', Subject, REP], 3: ['roleRef', RoleRef],
});

export const ClusterRoleBinding = message(`${RBAC}.ClusterRoleBinding`, {
  1: ['metadata', ObjectMeta], 2: ['subjects', Subject, REP], 3: ['roleRef', RoleRef],
});
