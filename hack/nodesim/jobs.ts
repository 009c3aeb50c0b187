// The Job controller as a pure function: pods to create or delete and the status to report.
import type { V1Job, V1JobCondition, V1JobStatus, V1Pod } from '@kubernetes/client-node';
import { isActivePod, isPodReady, type WorkloadPlan } from './deployments.js';

export interface JobPlan extends WorkloadPlan {
  status: V1JobStatus;
}

export function jobPodLabels(job: V1Job): Record<string, string> {
  const uid = job.metadata?.uid ?? '';
  const name = job.metadata?.name ?? '';
  return { 'batch.kubernetes.io/controller-uid': uid, 'batch.kubernetes.io/job-name': name, 'controller-uid': uid, 'job-name': name };
}

function isTrue(conds: V1JobCondition[] | undefined, type: string): boolean {
  return conds?.some((c) => c.type === type && c.status === 'True') ?? false;
}

function cond(type: string, reason: string, message: string, now: Date): V1JobCondition {
  return { type, status: 'True', reason, message, lastProbeTime: now, lastTransitionTime: now };
}

/** Next step for a Job given the pods it owns (restartPolicy handling stays inside each pod). */
export function planJob(job: V1Job, owned: V1Pod[], now: Date): JobPlan {
  const prev = job.status ?? {};
  const conditions = [...(prev.conditions ?? [])];
  const active = owned.filter(isActivePod);
  const succeeded = Math.max(prev.succeeded ?? 0, owned.filter((p) => p.status?.phase === 'Succeeded').length);
  const failed = Math.max(prev.failed ?? 0, owned.filter((p) => p.status?.phase === 'Failed').length);
  const base: V1JobStatus = {
    ...prev,
    active: active.length,
    succeeded,
    failed,
    ready: active.filter(isPodReady).length,
  };
  if (isTrue(conditions, 'Complete') || isTrue(conditions, 'Failed')) {
    // A finished Job reports no active pods (kube-apiserver rejects active>0 on finished Jobs).
    return { create: 0, delete: active, status: { ...base, active: 0, ready: 0 } };
  }
  if (job.spec?.suspend) {
    const status = { ...base, conditions: isTrue(conditions, 'Suspended') ? conditions : [...conditions.filter((c) => c.type !== 'Suspended'), cond('Suspended', 'JobSuspended', 'Job suspended', now)] };
    return { create: 0, delete: active, status };
  }
  const startTime = prev.startTime ?? now;
  const completions = job.spec?.completions ?? 1;
  const parallelism = job.spec?.parallelism ?? 1;
  const backoffLimit = job.spec?.backoffLimit ?? 6;
  const deadline = job.spec?.activeDeadlineSeconds;
  const resumed = conditions.filter((c) => !(c.type === 'Suspended' && c.status === 'True'));
  const fail = (reason: string, message: string): JobPlan => ({
    create: 0,
    delete: active,
    status: { ...base, startTime, active: 0, ready: 0, conditions: [...resumed, cond('FailureTarget', reason, message, now), cond('Failed', reason, message, now)] },
  });
  if (failed > backoffLimit) return fail('BackoffLimitExceeded', 'Job has reached the specified backoff limit');
  if (deadline !== undefined && now.getTime() - new Date(startTime).getTime() >= deadline * 1000) {
    return fail('DeadlineExceeded', 'Job was active longer than specified deadline');
  }
  if (succeeded >= completions) {
    const message = 'Reached expected number of succeeded pods';
    return {
      create: 0,
      delete: active,
      status: { ...base, startTime, active: 0, ready: 0, completionTime: now, conditions: [...resumed, cond('SuccessCriteriaMet', 'CompletionsReached', message, now), cond('Complete', 'CompletionsReached', message, now)] },
    };
  }
  const want = Math.min(parallelism, completions - succeeded);
  return { create: Math.max(0, want - active.length), delete: [], status: { ...base, startTime, conditions: resumed } };
}
