import { describe, expect, it } from 'vitest';
import type { V1Pod } from '@kubernetes/client-node';
import { containedIn, toWire } from './compare.js';
import { podPhase, podStatus, qosClass, unschedulableCondition, type ContainerRun, type PodRun } from './podstatus.js';

const t0 = new Date('2026-01-01T00:00:00Z');
const pod: V1Pod = { metadata: { name: 'p', namespace: 'ns' }, spec: { restartPolicy: 'Always', containers: [{ name: 'a' }, { name: 'b' }] } };
const ips = { hostIP: '127.0.0.1', podIP: '127.0.0.1' };

function c(name: string, state: ContainerRun['state'], ready = false, restartCount = 0): ContainerRun {
  return { name, image: 'img', imageID: 'img@sha256:0', state, ready, restartCount };
}
const running = { running: { startedAt: t0 } };
const done = (exitCode: number) => ({ terminated: { exitCode, reason: exitCode ? 'Error' : 'Completed', startedAt: t0, finishedAt: t0, containerID: 'containerd://x' } });
const run = (containers: ContainerRun[], initContainers: ContainerRun[] = []): PodRun => ({ startTime: t0, containers, initContainers });

describe('pod phase', () => {
  it.each<[string, PodRun, V1Pod['spec'], string]>([
    ['creating', run([c('a', { waiting: { reason: 'ContainerCreating' } }), c('b', { waiting: { reason: 'ContainerCreating' } })]), pod.spec, 'Pending'],
    ['one running', run([c('a', running), c('b', { waiting: { reason: 'ContainerCreating' } })]), pod.spec, 'Running'],
    ['restarting', run([c('a', { waiting: { reason: 'CrashLoopBackOff' } }, false, 1), c('b', done(0))]), pod.spec, 'Running'],
    ['all succeeded', run([c('a', done(0)), c('b', done(0))]), pod.spec, 'Succeeded'],
    ['one failed', run([c('a', done(0)), c('b', done(1))]), pod.spec, 'Failed'],
    ['init running', run([c('a', { waiting: { reason: 'PodInitializing' } })], [c('i', running)]), pod.spec, 'Pending'],
    ['init failed, Never', run([c('a', { waiting: { reason: 'PodInitializing' } })], [c('i', done(1))]), { ...pod.spec!, restartPolicy: 'Never' }, 'Failed'],
  ])('%s', (_name, r, spec, phase) => expect(podPhase({ ...pod, spec }, r)).toBe(phase));
});

describe('pod status', () => {
  it('reports conditions, IPs and container states like the kubelet', () => {
    const s = podStatus(pod, run([c('a', running, true), c('b', running, false)]), ips, t0);
    expect(s.phase).toBe('Running');
    expect(s.podIPs).toEqual([{ ip: '127.0.0.1' }]);
    expect(s.conditions?.map((x) => [x.type, x.status])).toEqual([
      ['PodReadyToStartContainers', 'True'], ['Initialized', 'True'], ['Ready', 'False'], ['ContainersReady', 'False'], ['PodScheduled', 'True'],
    ]);
    expect(s.conditions?.find((x) => x.type === 'Ready')?.message).toBe('containers with unready status: [b]');
    expect(s.containerStatuses?.[0]).toMatchObject({ name: 'a', ready: true, started: true, restartCount: 0, state: running });
  });

  it('keeps transition times of unchanged conditions and conditions owned by others', () => {
    const first = podStatus(pod, run([c('a', running, true), c('b', running, true)]), ips, t0);
    const later = new Date(t0.getTime() + 60_000);
    const gate = { type: 'example.com/gate', status: 'True' };
    const second = podStatus({ ...pod, status: { ...first, conditions: [...first.conditions!, gate] } }, run([c('a', running, true), c('b', running, true)]), ips, later);
    expect(second.conditions?.find((x) => x.type === 'Ready')?.lastTransitionTime).toEqual(t0);
    expect(second.conditions).toContainEqual(gate);
  });

  it('assigns QoS classes', () => {
    expect(qosClass(pod)).toBe('BestEffort');
    expect(qosClass({ spec: { containers: [{ name: 'a', resources: { limits: { cpu: '1', memory: '1Gi' } } }] } })).toBe('Guaranteed');
    expect(qosClass({ spec: { containers: [{ name: 'a', resources: { requests: { cpu: '1' } } }] } })).toBe('Burstable');
    expect(qosClass({ spec: { containers: [{ name: 'a', resources: { limits: { 'nvidia.com/gpu': '1' } } }] } })).toBe('BestEffort');
  });

  it('keeps the Unschedulable transition time while the reason stays', () => {
    const first = unschedulableCondition(pod, 'Unschedulable', 'm1', t0);
    const again = unschedulableCondition({ ...pod, status: { conditions: [first] } }, 'Unschedulable', 'm2', new Date(t0.getTime() + 5000));
    expect(again).toMatchObject({ reason: 'Unschedulable', message: 'm2', lastTransitionTime: t0 });
  });
});

describe('write decisions', () => {
  it('treats server-added fields and second precision as equal, real changes as different', () => {
    const desired = toWire({ phase: 'Running', startTime: new Date('2026-01-01T00:00:00.123Z'), lastProbeTime: null, list: [{ a: 1 }] });
    expect(desired.startTime).toBe('2026-01-01T00:00:00.123Z');
    expect(containedIn(desired, { phase: 'Running', startTime: '2026-01-01T00:00:00Z', qosClass: 'BestEffort', list: [{ a: 1, b: 2 }] })).toBe(true);
    expect(containedIn(desired, { phase: 'Pending', startTime: '2026-01-01T00:00:00Z', list: [{ a: 1 }] })).toBe(false);
    expect(containedIn(desired, { phase: 'Running', startTime: '2026-01-01T00:00:00Z', list: [] })).toBe(false);
    // A real API server omits zero counts (omitempty); they must not cause endless rewrites.
    expect(containedIn({ replicas: 2, readyReplicas: 0, conditions: [] }, { replicas: 2 })).toBe(true);
    expect(containedIn({ readyReplicas: 1 }, {})).toBe(false);
  });
});
