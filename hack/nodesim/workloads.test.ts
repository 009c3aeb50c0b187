import { describe, expect, it } from 'vitest';
import type { V1Deployment, V1Job, V1Pod } from '@kubernetes/client-node';
import { deploymentStatus, planDeployment, podFromTemplate, resolveIntOrPercent, templateHash } from './deployments.js';
import { jobPodLabels, planJob } from './jobs.js';

const now = new Date('2026-01-01T00:10:00Z');
const template = { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx:1' }] } };

function deployment(replicas: number, extra: Partial<NonNullable<V1Deployment['spec']>> = {}, tpl = template): V1Deployment {
  return {
    apiVersion: 'apps/v1', kind: 'Deployment',
    metadata: { name: 'web', namespace: 'ns', uid: 'd-uid', generation: 3 },
    spec: { replicas, selector: { matchLabels: { app: 'web' } }, template: tpl, ...extra },
  };
}

let seq = 0;
function pod(hash: string, ready: boolean, extra: Partial<V1Pod['status']> = {}): V1Pod {
  seq += 1;
  return {
    metadata: { name: `web-${hash}-${seq}`, labels: { app: 'web', 'pod-template-hash': hash }, creationTimestamp: new Date(1_000 * seq) },
    status: { phase: 'Running', conditions: [{ type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: new Date(0) }], ...extra },
  };
}

describe('deployment planning', () => {
  const d = deployment(3);
  const hash = templateHash(d.spec!.template);

  it('hashes templates stably and name-safely', () => {
    expect(hash).toMatch(/^[bcdfghjklmnpqrstvwxz2456789]{10}$/);
    expect(templateHash(structuredClone(template))).toBe(hash);
    expect(templateHash({ ...template, spec: { containers: [{ name: 'c', image: 'nginx:2' }] } })).not.toBe(hash);
  });

  it('scales up and down', () => {
    expect(planDeployment(d, [pod(hash, true)])).toEqual({ create: 2, delete: [] });
    const pods = [pod(hash, true), pod(hash, false), pod(hash, true), pod(hash, true)];
    const plan = planDeployment(d, pods);
    expect(plan.create).toBe(0);
    expect(plan.delete).toEqual([pods[1]]); // the unready one goes first
  });

  it('rolls out with maxSurge and maxUnavailable (25% of 4: surge 1, unavailable 1)', () => {
    const d4 = deployment(4, {}, { ...template, spec: { containers: [{ name: 'c', image: 'nginx:2' }] } });
    const old = [pod('old', true), pod('old', true), pod('old', true), pod('old', true)];
    const first = planDeployment(d4, old);
    expect(first.create).toBe(1);
    expect(first.delete).toHaveLength(1);
  });

  it('recreates: deletes old pods first and creates nothing until they are gone', () => {
    const d2 = deployment(2, { strategy: { type: 'Recreate' } }, { ...template, spec: { containers: [{ name: 'c', image: 'x' }] } });
    const old = [pod('old', true), pod('old', true)];
    expect(planDeployment(d2, old)).toEqual({ create: 0, delete: old });
  });

  it('replaces failed pods', () => {
    const failed = pod(hash, false, { phase: 'Failed' });
    expect(planDeployment(deployment(1), [failed])).toEqual({ create: 1, delete: [failed] });
  });

  it('builds pods from the template with a controller owner reference', () => {
    const p = podFromTemplate(d as { apiVersion: string; kind: string }, d.spec!.template, 'web-x-y', { 'pod-template-hash': hash });
    expect(p.metadata?.labels).toEqual({ app: 'web', 'pod-template-hash': hash });
    expect(p.metadata?.ownerReferences).toEqual([{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: 'd-uid', controller: true, blockOwnerDeletion: true }]);
  });

  it('resolves int-or-percent like the controller', () => {
    expect(resolveIntOrPercent('25%', '25%', 3, true)).toBe(1);
    expect(resolveIntOrPercent('25%', '25%', 3, false)).toBe(0);
    expect(resolveIntOrPercent(2, '25%', 3, true)).toBe(2);
  });
});

describe('deployment status', () => {
  const d = deployment(2);
  const hash = templateHash(d.spec!.template);

  it('reports a complete rollout as Available and NewReplicaSetAvailable', () => {
    const s = deploymentStatus(d, [pod(hash, true), pod(hash, true)], now);
    expect(s).toMatchObject({ observedGeneration: 3, replicas: 2, updatedReplicas: 2, readyReplicas: 2, availableReplicas: 2 });
    expect(s.unavailableReplicas).toBe(0);
    expect(s.conditions?.map((c) => [c.type, c.status, c.reason])).toEqual([
      ['Available', 'True', 'MinimumReplicasAvailable'],
      ['Progressing', 'True', 'NewReplicaSetAvailable'],
    ]);
    expect(s.conditions?.[1].message).toBe(`ReplicaSet "web-${hash}" has successfully progressed.`);
  });

  it('reports a fresh deployment as progressing and unavailable', () => {
    const s = deploymentStatus(d, [pod(hash, false)], now);
    expect(s.conditions?.map((c) => [c.type, c.status, c.reason])).toEqual([
      ['Available', 'False', 'MinimumReplicasUnavailable'],
      ['Progressing', 'True', 'NewReplicaSetCreated'],
    ]);
    expect(s.unavailableReplicas).toBe(2);
  });

  it('times out progressing after progressDeadlineSeconds without progress', () => {
    const pods = [pod(hash, false)];
    const before = deploymentStatus(d, pods, new Date(0));
    const stalled = deploymentStatus({ ...d, status: before }, pods, new Date(700_000));
    expect(stalled.conditions?.find((c) => c.type === 'Progressing')).toMatchObject({ status: 'False', reason: 'ProgressDeadlineExceeded' });
  });

  it('keeps transition times when nothing changed', () => {
    const pods = [pod(hash, true), pod(hash, true)];
    const first = deploymentStatus(d, pods, new Date(0));
    const second = deploymentStatus({ ...d, status: first }, pods, now);
    expect(second.conditions?.[0].lastTransitionTime).toEqual(new Date(0));
    expect(second.conditions?.[1].lastUpdateTime).toEqual(new Date(0));
  });
});

describe('job planning', () => {
  const job: V1Job = { metadata: { name: 'j', namespace: 'ns', uid: 'j-uid' }, spec: { completions: 2, parallelism: 2, backoffLimit: 1, template: { spec: { containers: [] } } } };
  const phase = (p: string): V1Pod => ({ metadata: { name: `j-${p}-${Math.random()}` }, status: { phase: p } });

  it('creates pods up to parallelism and sets startTime', () => {
    const plan = planJob(job, [], now);
    expect(plan.create).toBe(2);
    expect(plan.status).toMatchObject({ active: 0, succeeded: 0, failed: 0, startTime: now });
  });

  it('completes once enough pods succeeded, with SuccessCriteriaMet before Complete', () => {
    const plan = planJob(job, [phase('Succeeded'), phase('Succeeded')], now);
    expect(plan.status.completionTime).toEqual(now);
    expect(plan.status.conditions?.map((c) => c.type)).toEqual(['SuccessCriteriaMet', 'Complete']);
    expect(plan.status.succeeded).toBe(2);
  });

  it('fails after backoffLimit failures and deletes the active pods', () => {
    const running = phase('Running');
    const plan = planJob(job, [phase('Failed'), phase('Failed'), running], now);
    expect(plan.status.conditions?.map((c) => [c.type, c.reason])).toEqual([['FailureTarget', 'BackoffLimitExceeded'], ['Failed', 'BackoffLimitExceeded']]);
    expect(plan.delete).toEqual([running]);
    expect(plan.status.completionTime).toBeUndefined();
  });

  it('fails on activeDeadlineSeconds', () => {
    const plan = planJob({ ...job, spec: { ...job.spec!, activeDeadlineSeconds: 60 }, status: { startTime: new Date(0) } }, [], now);
    expect(plan.status.conditions?.at(-1)).toMatchObject({ type: 'Failed', reason: 'DeadlineExceeded' });
  });

  it('does nothing more once finished, and suspends', () => {
    const done = { ...job, status: { conditions: [{ type: 'Complete', status: 'True' }] } };
    const leftover = phase('Running');
    const finished = planJob(done, [leftover], now);
    expect(finished).toMatchObject({ create: 0, delete: [leftover], status: { active: 0, ready: 0 } });
    const suspended = planJob({ ...job, spec: { ...job.spec!, suspend: true } }, [], now);
    expect(suspended.create).toBe(0);
    expect(suspended.status.conditions?.[0]).toMatchObject({ type: 'Suspended', reason: 'JobSuspended' });
  });

  it('labels pods like the Job controller', () => {
    expect(jobPodLabels(job)).toEqual({ 'batch.kubernetes.io/controller-uid': 'j-uid', 'batch.kubernetes.io/job-name': 'j', 'controller-uid': 'j-uid', 'job-name': 'j' });
  });
});
