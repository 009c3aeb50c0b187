/**
 * Pod-specific behaviour of kube-apiserver: the binding subresource the scheduler uses. Graceful
 * deletion is ObjectService.delete's (a pod bound to a node gets a deletionTimestamp and stays
 * until its kubelet deletes it with grace 0; an unbound or finished pod goes at once). As on a
 * real server, nothing removes a Terminating pod by time alone: without a kubelet it stays.
 */
import { badRequest, conflict, notFound, successStatus, type Status } from './errors.js';
import { nowRfc3339 } from './duration.js';
import type { ObjectService, WriteOptions } from './objects.js';
import type { ResourceInfo } from './registry.js';
import { isRecord } from './types.js';

export function bindPod(svc: ObjectService, r: ResourceInfo, ns: string, name: string, body: unknown, opts: WriteOptions): Status {
  if (!isRecord(body) || body.kind !== 'Binding') throw badRequest('the body must be a Binding object');
  const target = isRecord(body.target) ? body.target : {};
  if (typeof target.name !== 'string' || target.name === '') throw badRequest('Binding.target.name is required');
  const pod = svc.tryGet(r, ns, name);
  if (!pod) throw notFound(r, name);
  const gr = { group: '', resource: 'pods/binding' };
  if (pod.metadata.deletionTimestamp) throw conflict(gr, name, `pod ${name} is being deleted, cannot be assigned to a host`);
  const spec = isRecord(pod.spec) ? pod.spec : {};
  if (spec.nodeName) throw conflict(gr, name, `pod ${name} is already assigned to node "${String(spec.nodeName)}"`);
  spec.nodeName = target.name;
  pod.spec = spec;
  const status = isRecord(pod.status) ? pod.status : {};
  const conditions = (Array.isArray(status.conditions) ? status.conditions : []).filter((c) => !(isRecord(c) && c.type === 'PodScheduled'));
  conditions.push({ type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: nowRfc3339() });
  const scheduledStatus = { ...status, conditions };
  // Binding writes spec and status together, which the main resource and /status alone cannot.
  const afterSpec = svc.update(r, ns, name, pod, opts, undefined).object;
  svc.update(r, ns, name, { ...afterSpec, status: scheduledStatus }, opts, 'status');
  return { ...successStatus(r, name), code: 201 };
}
