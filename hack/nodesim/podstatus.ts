// The kubelet's view of a pod, as pure functions: container states in, PodStatus out.
import type { V1ContainerStatus, V1Pod, V1PodCondition, V1PodStatus } from '@kubernetes/client-node';
import { qosClass as computeQos, type QosClass } from '../apiserver/qos.js';
import { toWire } from './compare.js';

export interface Terminated {
  exitCode: number;
  reason: string;
  message?: string;
  startedAt: Date;
  finishedAt: Date;
  containerID: string;
}

export type ContainerState =
  | { waiting: { reason: string; message?: string } }
  | { running: { startedAt: Date } }
  | { terminated: Terminated };

export interface ContainerRun {
  name: string;
  image: string;
  imageID: string;
  containerID?: string;
  state: ContainerState;
  lastTerminated?: Terminated;
  ready: boolean;
  restartCount: number;
}

export interface PodRun {
  startTime: Date;
  /** activeDeadlineSeconds passed and the kubelet failed the pod. */
  deadlineExceeded?: boolean;
  initContainers: ContainerRun[];
  containers: ContainerRun[];
}

export function isTerminated(c: ContainerRun): c is ContainerRun & { state: { terminated: Terminated } } {
  return 'terminated' in c.state;
}

/** Pod phase as the kubelet computes it (getPhase in pkg/kubelet/kubelet_pods.go, simplified). */
export function podPhase(pod: V1Pod, run: PodRun): 'Pending' | 'Running' | 'Succeeded' | 'Failed' {
  const policy = pod.spec?.restartPolicy ?? 'Always';
  if (run.deadlineExceeded) return 'Failed';
  for (const c of run.initContainers) {
    if (isTerminated(c) && c.state.terminated.exitCode === 0) continue;
    if (isTerminated(c) && policy === 'Never') return 'Failed';
    return 'Pending';
  }
  const cs = run.containers;
  if (cs.length === 0) return 'Pending';
  const running = cs.filter((c) => 'running' in c.state).length;
  const restarting = cs.filter((c) => 'waiting' in c.state && c.restartCount > 0).length;
  const terminated = cs.filter(isTerminated);
  if (terminated.length === cs.length) return terminated.every((c) => c.state.terminated.exitCode === 0) ? 'Succeeded' : 'Failed';
  if (running > 0 || restarting > 0 || terminated.length > 0) {
    // Containers that exited but will not run again still count towards Running while others run.
    return running > 0 || restarting > 0 ? 'Running' : 'Pending';
  }
  return 'Pending';
}

export function containerStatus(c: ContainerRun): V1ContainerStatus {
  return {
    name: c.name,
    image: c.image,
    imageID: c.imageID,
    ...(c.containerID ? { containerID: c.containerID } : {}),
    ready: c.ready,
    started: 'running' in c.state,
    restartCount: c.restartCount,
    state: c.state,
    lastState: c.lastTerminated ? { terminated: c.lastTerminated } : {},
  } as V1ContainerStatus;
}

function condition(type: string, ok: boolean, reason: string | undefined, message: string | undefined, prev: V1PodCondition[] | undefined, now: Date): V1PodCondition {
  const status = ok ? 'True' : 'False';
  const before = prev?.find((c) => c.type === type);
  const lastTransitionTime = before && before.status === status && before.lastTransitionTime ? before.lastTransitionTime : now;
  return { type, status, lastProbeTime: null as unknown as undefined, lastTransitionTime, ...(reason ? { reason } : {}), ...(message ? { message } : {}) };
}

/** The full status the kubelet would report for this run. */
export function podStatus(pod: V1Pod, run: PodRun, ip: { hostIP: string; podIP: string }, now: Date): V1PodStatus {
  const prev = pod.status?.conditions;
  const phase = podPhase(pod, run);
  const terminal = phase === 'Succeeded' || phase === 'Failed';
  const initPending = run.initContainers.filter((c) => !(isTerminated(c) && c.state.terminated.exitCode === 0)).map((c) => c.name);
  const unready = run.containers.filter((c) => !c.ready).map((c) => c.name);
  const initialized = initPending.length === 0;
  const containersReady = unready.length === 0 && !terminal;
  const readyReason = terminal ? 'PodCompleted' : containersReady ? undefined : 'ContainersNotReady';
  const readyMessage = !terminal && !containersReady ? `containers with unready status: [${unready.join(' ')}]` : undefined;
  const conditions: V1PodCondition[] = [
    condition('PodReadyToStartContainers', !terminal, undefined, undefined, prev, now),
    condition('Initialized', initialized, initialized ? (terminal && run.initContainers.length ? 'PodCompleted' : undefined) : 'ContainersNotInitialized',
      initialized ? undefined : `containers with incomplete status: [${initPending.join(' ')}]`, prev, now),
    condition('Ready', containersReady, readyReason, readyMessage, prev, now),
    condition('ContainersReady', containersReady, readyReason, readyMessage, prev, now),
    condition('PodScheduled', true, undefined, undefined, prev, now),
  ];
  // Keep conditions other writers own (readiness gates, DisruptionTarget, ...).
  const ours = new Set(conditions.map((c) => c.type));
  for (const c of prev ?? []) if (!ours.has(c.type)) conditions.push(c);
  return {
    phase,
    ...(run.deadlineExceeded ? { reason: 'DeadlineExceeded', message: 'Pod was active on the node longer than the specified deadline' } : {}),
    conditions,
    hostIP: ip.hostIP,
    hostIPs: [{ ip: ip.hostIP }],
    podIP: ip.podIP,
    podIPs: [{ ip: ip.podIP }],
    startTime: run.startTime,
    qosClass: pod.status?.qosClass ?? qosClass(pod),
    ...(run.initContainers.length ? { initContainerStatuses: run.initContainers.map(containerStatus) } : {}),
    containerStatuses: run.containers.map(containerStatus),
  };
}

/** QoS class as the API server assigns it (only used when the server did not set one). */
export function qosClass(pod: V1Pod): QosClass {
  return computeQos(toWire(pod.spec ?? {}) as Record<string, unknown>);
}

/** The PodScheduled=False condition the scheduler writes (reason Unschedulable or SchedulingGated). */
export function unschedulableCondition(pod: V1Pod, reason: string, message: string, now: Date): V1PodCondition {
  const before = pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
  const same = before?.status === 'False' && before.reason === reason;
  return { type: 'PodScheduled', status: 'False', reason, message, lastProbeTime: null as unknown as undefined, lastTransitionTime: same && before?.lastTransitionTime ? before.lastTransitionTime : now };
}

/** Kubernetes' `$(VAR)` expansion in command/args: `$$` escapes, unknown references stay verbatim. */
export function expandVars(s: string, env: Record<string, string>): string {
  return s.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (m, name: string | undefined) => {
    if (m === '$$') return '$';
    return name !== undefined && Object.prototype.hasOwnProperty.call(env, name) ? env[name] : m;
  });
}
