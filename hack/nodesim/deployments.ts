// The Deployment controller without ReplicaSets, as pure functions: which pods to create or
// delete for a rollout, and the status the real controller would report.
import { createHash } from 'node:crypto';
import type { V1Deployment, V1DeploymentCondition, V1DeploymentStatus, V1ObjectMeta, V1Pod, V1PodTemplateSpec } from '@kubernetes/client-node';

const SAFE = 'bcdfghjklmnpqrstvwxz2456789'; // k8s.io/apimachinery/pkg/util/rand: no vowels, no look-alikes

/** A stable, name-safe hash of a pod template (stands in for pod-template-hash). */
export function templateHash(template: V1PodTemplateSpec | undefined): string {
  const digest = createHash('sha256').update(stableJson(template ?? {})).digest();
  let out = '';
  for (let i = 0; i < 10; i++) out += SAFE[digest[i] % SAFE.length];
  return out;
}

export function randomSuffix(n = 5, random: () => number = Math.random): string {
  let out = '';
  for (let i = 0; i < n; i++) out += SAFE[Math.floor(random() * SAFE.length)];
  return out;
}

function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  if (v && typeof v === 'object' && !(v instanceof Date)) {
    return `{${Object.keys(v).sort().filter((k) => (v as Record<string, unknown>)[k] !== undefined).map((k) => `${JSON.stringify(k)}:${stableJson((v as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(v instanceof Date ? v.toISOString() : v);
}

export function isPodReady(p: V1Pod): boolean {
  return p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

/** Ready for at least minReadySeconds. */
export function isPodAvailable(p: V1Pod, minReadySeconds: number, now: Date): boolean {
  const ready = p.status?.conditions?.find((c) => c.type === 'Ready' && c.status === 'True');
  if (!ready) return false;
  if (minReadySeconds <= 0) return true;
  const since = ready.lastTransitionTime ? new Date(ready.lastTransitionTime).getTime() : 0;
  return now.getTime() - since >= minReadySeconds * 1000;
}

export function isActivePod(p: V1Pod): boolean {
  return !p.metadata?.deletionTimestamp && p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed';
}

/** Resolves an int-or-percent against a total (maxSurge rounds up, maxUnavailable down). */
export function resolveIntOrPercent(v: number | string | undefined, fallback: string, total: number, roundUp: boolean): number {
  const value = v ?? fallback;
  if (typeof value === 'number') return value;
  const m = /^(\d+)%$/.exec(value);
  if (!m) return Number(value) || 0;
  const exact = (Number(m[1]) * total) / 100;
  return roundUp ? Math.ceil(exact) : Math.floor(exact);
}

function rollingBounds(d: V1Deployment, replicas: number): { surge: number; unavailable: number } {
  const ru = d.spec?.strategy?.rollingUpdate;
  const surge = resolveIntOrPercent(ru?.maxSurge as number | string | undefined, '25%', replicas, true);
  let unavailable = resolveIntOrPercent(ru?.maxUnavailable as number | string | undefined, '25%', replicas, false);
  if (surge === 0 && unavailable === 0) unavailable = 1;
  return { surge, unavailable };
}

export interface WorkloadPlan {
  create: number;
  delete: V1Pod[];
}

/** Orders pods the way the ReplicaSet controller deletes them: unready first, then newest first. */
function deletionOrder(pods: V1Pod[]): V1Pod[] {
  return [...pods].sort((a, b) => {
    const ra = isPodReady(a) ? 1 : 0;
    const rb = isPodReady(b) ? 1 : 0;
    if (ra !== rb) return ra - rb;
    return new Date(b.metadata?.creationTimestamp ?? 0).getTime() - new Date(a.metadata?.creationTimestamp ?? 0).getTime();
  });
}

/** What to do next for a Deployment, given the pods it owns. */
export function planDeployment(d: V1Deployment, owned: V1Pod[]): WorkloadPlan {
  const replicas = d.spec?.replicas ?? 1;
  const hash = templateHash(d.spec?.template);
  const finished = owned.filter((p) => !p.metadata?.deletionTimestamp && !isActivePod(p));
  const active = owned.filter(isActivePod);
  const current = active.filter((p) => p.metadata?.labels?.['pod-template-hash'] === hash);
  const old = active.filter((p) => p.metadata?.labels?.['pod-template-hash'] !== hash);
  const remove: V1Pod[] = [...finished]; // failed/evicted pods are replaced, as the ReplicaSet controller does
  if (d.spec?.paused) return { create: 0, delete: remove };
  if (old.length === 0) {
    if (current.length < replicas) return { create: replicas - current.length, delete: remove };
    return { create: 0, delete: [...remove, ...deletionOrder(current).slice(0, current.length - replicas)] };
  }
  if (d.spec?.strategy?.type === 'Recreate') {
    return { create: 0, delete: [...remove, ...old] };
  }
  const { surge, unavailable } = rollingBounds(d, replicas);
  const create = Math.max(0, Math.min(replicas - current.length, replicas + surge - active.length));
  const minAvailable = replicas - unavailable;
  const readyTotal = active.filter(isPodReady).length;
  const oldUnready = old.filter((p) => !isPodReady(p));
  const oldReady = deletionOrder(old.filter(isPodReady));
  const readyToDelete = Math.max(0, readyTotal - minAvailable);
  const extraCurrent = current.length > replicas ? deletionOrder(current).slice(0, current.length - replicas) : [];
  return { create, delete: [...remove, ...oldUnready, ...oldReady.slice(0, readyToDelete), ...extraCurrent] };
}

/** The pod the controller creates from a template (labels, owner reference, name). */
export function podFromTemplate(
  owner: { apiVersion: string; kind: string; metadata?: V1ObjectMeta },
  template: V1PodTemplateSpec | undefined,
  name: string,
  extraLabels: Record<string, string>,
): V1Pod {
  const meta = template?.metadata ?? {};
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: owner.metadata?.namespace,
      labels: { ...(meta.labels ?? {}), ...extraLabels },
      ...(meta.annotations ? { annotations: meta.annotations } : {}),
      ownerReferences: [{ apiVersion: owner.apiVersion, kind: owner.kind, name: owner.metadata?.name ?? '', uid: owner.metadata?.uid ?? '', controller: true, blockOwnerDeletion: true }],
    },
    spec: structuredClone(template?.spec ?? { containers: [] }),
  };
}

function setCondition(
  prev: V1DeploymentCondition[] | undefined,
  next: { type: string; status: string; reason: string; message: string },
  now: Date,
  progressed: boolean,
): V1DeploymentCondition {
  const before = prev?.find((c) => c.type === next.type);
  const same = before && before.status === next.status;
  const unchanged = same && before.reason === next.reason && before.message === next.message;
  return {
    ...next,
    lastTransitionTime: same && before.lastTransitionTime ? before.lastTransitionTime : now,
    lastUpdateTime: unchanged && !progressed && before.lastUpdateTime ? before.lastUpdateTime : now,
  };
}

/** Deployment status from the pods it owns (syncRolloutStatus in the deployment controller). */
export function deploymentStatus(d: V1Deployment, owned: V1Pod[], now: Date): V1DeploymentStatus {
  const replicas = d.spec?.replicas ?? 1;
  const hash = templateHash(d.spec?.template);
  const rsName = `${d.metadata?.name}-${hash}`;
  const active = owned.filter(isActivePod);
  const updated = active.filter((p) => p.metadata?.labels?.['pod-template-hash'] === hash);
  const ready = active.filter(isPodReady).length;
  const available = active.filter((p) => isPodAvailable(p, d.spec?.minReadySeconds ?? 0, now)).length;
  const prev = d.status;
  const progressed = prev?.updatedReplicas !== updated.length || prev?.readyReplicas !== ready || prev?.availableReplicas !== available || prev?.replicas !== active.length;
  const { unavailable } = rollingBounds(d, replicas);
  const minAvailable = d.spec?.strategy?.type === 'Recreate' ? replicas : replicas - unavailable;
  const availableCond = available >= minAvailable
    ? { type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable', message: 'Deployment has minimum availability.' }
    : { type: 'Available', status: 'False', reason: 'MinimumReplicasUnavailable', message: 'Deployment does not have minimum availability.' };
  const complete = updated.length === replicas && active.length === replicas && available === replicas;
  const prevProgressing = prev?.conditions?.find((c) => c.type === 'Progressing');
  const deadline = d.spec?.progressDeadlineSeconds ?? 600;
  let progressing: { type: string; status: string; reason: string; message: string };
  if (d.spec?.paused) progressing = { type: 'Progressing', status: 'Unknown', reason: 'DeploymentPaused', message: 'Deployment is paused' };
  else if (complete) progressing = { type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable', message: `ReplicaSet "${rsName}" has successfully progressed.` };
  else if (!prevProgressing) progressing = { type: 'Progressing', status: 'True', reason: 'NewReplicaSetCreated', message: `Created new replica set "${rsName}"` };
  else if (
    !progressed &&
    prevProgressing.reason !== 'NewReplicaSetAvailable' &&
    prevProgressing.lastUpdateTime &&
    now.getTime() - new Date(prevProgressing.lastUpdateTime).getTime() > deadline * 1000
  ) progressing = { type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message: `ReplicaSet "${rsName}" has timed out progressing.` };
  else if (prevProgressing.reason === 'ProgressDeadlineExceeded' && !progressed) progressing = { type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message: prevProgressing.message ?? '' };
  else progressing = { type: 'Progressing', status: 'True', reason: 'ReplicaSetUpdated', message: `ReplicaSet "${rsName}" is progressing.` };
  const others = (prev?.conditions ?? []).filter((c) => c.type !== 'Available' && c.type !== 'Progressing');
  return {
    observedGeneration: d.metadata?.generation,
    replicas: active.length,
    updatedReplicas: updated.length,
    readyReplicas: ready,
    availableReplicas: available,
    unavailableReplicas: Math.max(0, replicas - available), // 0 is sent so a merge patch clears an old count
    conditions: [setCondition(prev?.conditions, availableCond, now, false), setCondition(prev?.conditions, progressing, now, progressed), ...others],
  };
}
