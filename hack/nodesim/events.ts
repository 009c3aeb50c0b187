// Events as the scheduler and the kubelet record them (core/v1, what `kubectl describe` shows).
import type { CoreV1Event, V1ObjectReference, V1Pod } from '@kubernetes/client-node';
import { randomBytes } from 'node:crypto';

export interface EventSource {
  component: 'default-scheduler' | 'kubelet';
  host?: string;
}

/** A pod-related Event; `fieldPath` points at a container (`spec.containers{name}`). */
export function podEvent(pod: V1Pod, source: EventSource, type: 'Normal' | 'Warning', reason: string, message: string, now: Date, fieldPath?: string): CoreV1Event {
  const involvedObject: V1ObjectReference = {
    apiVersion: 'v1',
    kind: 'Pod',
    namespace: pod.metadata?.namespace,
    name: pod.metadata?.name,
    uid: pod.metadata?.uid,
    ...(fieldPath ? { fieldPath } : {}),
  };
  return {
    apiVersion: 'v1',
    kind: 'Event',
    // Same naming as client-go's recorder: <object>.<unique hex>.
    metadata: { name: `${pod.metadata?.name}.${randomBytes(8).toString('hex')}`, namespace: pod.metadata?.namespace },
    involvedObject,
    type,
    reason,
    message,
    source: { component: source.component, ...(source.host ? { host: source.host } : {}) },
    reportingComponent: source.component,
    reportingInstance: source.host ?? source.component,
    firstTimestamp: now,
    lastTimestamp: now,
    count: 1,
  };
}
