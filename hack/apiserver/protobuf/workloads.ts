/** apps/v1 Deployment, batch/v1 Job and CronJob, autoscaling/v1 Scale (generated.proto). */
import { KEEP, REP, message, object } from './descriptor.js';
import { LabelSelector, ObjectMeta } from './meta.js';
import { ObjectReference, PodTemplateSpec } from './core.js';

const APPS = 'k8s.io.api.apps.v1';
const BATCH = 'k8s.io.api.batch.v1';
const AUTOSCALING = 'k8s.io.api.autoscaling.v1';

export const DeploymentStrategy = message(`${APPS}.DeploymentStrategy`, {
  1: ['type', 'string'],
  2: ['rollingUpdate', message(`${APPS}.RollingUpdateDeployment`, {
    1: ['maxUnavailable', 'intstr', KEEP], 2: ['maxSurge', 'intstr', KEEP],
  })],
});

export const DeploymentSpec = message(`${APPS}.DeploymentSpec`, {
  1: ['replicas', 'int32', KEEP], 2: ['selector', LabelSelector], 3: ['template', PodTemplateSpec],
  4: ['strategy', DeploymentStrategy], 5: ['minReadySeconds', 'int32'], 6: ['revisionHistoryLimit', 'int32', KEEP],
  7: ['paused', 'bool'], 9: ['progressDeadlineSeconds', 'int32', KEEP],
});

const DeploymentCondition = message(`${APPS}.DeploymentCondition`, {
  1: ['type', 'string'], 2: ['status', 'string'], 4: ['reason', 'string'], 5: ['message', 'string'],
  6: ['lastUpdateTime', 'time'], 7: ['lastTransitionTime', 'time'],
});

export const DeploymentStatus = message(`${APPS}.DeploymentStatus`, {
  1: ['observedGeneration', 'int64'], 2: ['replicas', 'int32'], 3: ['updatedReplicas', 'int32'], 4: ['availableReplicas', 'int32'],
  5: ['unavailableReplicas', 'int32'], 6: ['conditions', DeploymentCondition, REP], 7: ['readyReplicas', 'int32'],
  8: ['collisionCount', 'int32', KEEP], 9: ['terminatingReplicas', 'int32', KEEP],
});

export const Deployment = object(`${APPS}.Deployment`, ObjectMeta, DeploymentSpec, DeploymentStatus);

export const JobSpec = message(`${BATCH}.JobSpec`, {
  1: ['parallelism', 'int32', KEEP], 2: ['completions', 'int32', KEEP], 3: ['activeDeadlineSeconds', 'int64', KEEP],
  4: ['selector', LabelSelector], 5: ['manualSelector', 'bool', KEEP], 6: ['template', PodTemplateSpec],
  7: ['backoffLimit', 'int32', KEEP], 8: ['ttlSecondsAfterFinished', 'int32', KEEP], 9: ['completionMode', 'string', KEEP],
  10: ['suspend', 'bool', KEEP], 12: ['backoffLimitPerIndex', 'int32', KEEP], 13: ['maxFailedIndexes', 'int32', KEEP],
});

const JobCondition = message(`${BATCH}.JobCondition`, {
  1: ['type', 'string'], 2: ['status', 'string'], 3: ['lastProbeTime', 'time'], 4: ['lastTransitionTime', 'time'],
  5: ['reason', 'string'], 6: ['message', 'string'],
});

export const JobStatus = message(`${BATCH}.JobStatus`, {
  1: ['conditions', JobCondition, REP], 2: ['startTime', 'time'], 3: ['completionTime', 'time'], 4: ['active', 'int32'],
  5: ['succeeded', 'int32'], 6: ['failed', 'int32'], 7: ['completedIndexes', 'string'], 9: ['ready', 'int32', KEEP],
});

export const Job = object(`${BATCH}.Job`, ObjectMeta, JobSpec, JobStatus);

export const JobTemplateSpec = message(`${BATCH}.JobTemplateSpec`, { 1: ['metadata', ObjectMeta], 2: ['spec', JobSpec] });

export const CronJobSpec = message(`${BATCH}.CronJobSpec`, {
  1: ['schedule', 'string'], 2: ['startingDeadlineSeconds', 'int64', KEEP], 3: ['concurrencyPolicy', 'string'],
  4: ['suspend', 'bool', KEEP], 5: ['jobTemplate', JobTemplateSpec], 6: ['successfulJobsHistoryLimit', 'int32', KEEP],
  7: ['failedJobsHistoryLimit', 'int32', KEEP], 8: ['timeZone', 'string', KEEP],
});

export const CronJobStatus = message(`${BATCH}.CronJobStatus`, {
  1: ['active', ObjectReference, REP], 4: ['lastScheduleTime', 'time'], 5: ['lastSuccessfulTime', 'time'],
});

export const CronJob = object(`${BATCH}.CronJob`, ObjectMeta, CronJobSpec, CronJobStatus);

// ScaleSpec.replicas is a plain int32 with omitempty; it is kept at zero because "absent" and 0
// mean the same to the apiserver, and the Scale handlers read the field.
export const Scale = object(`${AUTOSCALING}.Scale`, ObjectMeta,
  message(`${AUTOSCALING}.ScaleSpec`, { 1: ['replicas', 'int32', KEEP] }),
  message(`${AUTOSCALING}.ScaleStatus`, { 1: ['replicas', 'int32', KEEP], 2: ['selector', 'string'] }));

