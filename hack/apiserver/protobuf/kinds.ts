/** Which top-level kinds this decoder knows, by apiVersion and kind. */
import type { MessageDesc } from './descriptor.js';
import { ConfigMap, Namespace, Pod, ResourceQuota, Secret, Service, ServiceAccount } from './core.js';
import { Ingress } from './ingress.js';
import { DeleteOptions } from './meta.js';
import { ClusterRole, ClusterRoleBinding, Role, RoleBinding } from './rbac.js';
import { LocalSubjectAccessReview, SelfSubjectAccessReview, SelfSubjectReview, SubjectAccessReview } from './reviews.js';
import { Eviction, PodDisruptionBudget, PriorityClass } from './scheduling.js';
import { CronJob, Deployment, Job, Scale } from './workloads.js';

const KINDS: ReadonlyMap<string, MessageDesc> = new Map([
  ['v1/ConfigMap', ConfigMap],
  ['v1/Secret', Secret],
  ['v1/Namespace', Namespace],
  ['v1/ServiceAccount', ServiceAccount],
  ['v1/Service', Service],
  ['v1/Pod', Pod],
  ['apps/v1/Deployment', Deployment],
  ['batch/v1/Job', Job],
  ['batch/v1/CronJob', CronJob],
  ['autoscaling/v1/Scale', Scale],
  ['v1/ResourceQuota', ResourceQuota],
  ['rbac.authorization.k8s.io/v1/Role', Role],
  ['rbac.authorization.k8s.io/v1/ClusterRole', ClusterRole],
  ['rbac.authorization.k8s.io/v1/RoleBinding', RoleBinding],
  ['rbac.authorization.k8s.io/v1/ClusterRoleBinding', ClusterRoleBinding],
  ['scheduling.k8s.io/v1/PriorityClass', PriorityClass],
  ['policy/v1/PodDisruptionBudget', PodDisruptionBudget],
  ['policy/v1/Eviction', Eviction],
  ['networking.k8s.io/v1/Ingress', Ingress],
  ['authentication.k8s.io/v1/SelfSubjectReview', SelfSubjectReview],
  ['authorization.k8s.io/v1/SelfSubjectAccessReview', SelfSubjectAccessReview],
  ['authorization.k8s.io/v1/SubjectAccessReview', SubjectAccessReview],
  ['authorization.k8s.io/v1/LocalSubjectAccessReview', LocalSubjectAccessReview],
  // client-go sends DeleteOptions as the body of typed deletes, tagged with the resource's group
  // version or meta.k8s.io/v1; both carry the same message.
  ['v1/DeleteOptions', DeleteOptions],
  ['meta.k8s.io/v1/DeleteOptions', DeleteOptions],
  ['apps/v1/DeleteOptions', DeleteOptions],
  ['batch/v1/DeleteOptions', DeleteOptions],
]);

export function descriptorFor(apiVersion: string, kind: string): MessageDesc | undefined {
  return KINDS.get(`${apiVersion}/${kind}`);
}

export function supportedKinds(): string[] {
  return [...KINDS.keys()];
}
