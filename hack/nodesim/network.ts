// The simulator's "network": every simulated container listens on a random local port, so a
// Service is reached by following it to a ready Pod and that Pod's published local endpoints
// (the `sim.agentlab.dev/endpoints` annotation). Pure functions; the API reads live in
// service-access.ts.
import type { V1Pod, V1Service } from '@kubernetes/client-node';
import { selectorMatches } from './endpoints.js';

/** JSON object on each running simulated Pod: container port -> local base URL. */
export const ENDPOINTS_ANNOTATION = 'sim.agentlab.dev/endpoints';

/** A fake server standing in for a container, and the port it really listens on. */
export interface LocalListener {
  container: string;
  port: number;
}

export class ServiceAccessError extends Error {}

function hostPort(ip: string, port: number): string {
  return `${ip.includes(':') ? `[${ip}]` : ip}:${port}`;
}

/**
 * The Pod's local endpoints, keyed by declared container port. A container that declares no
 * ports is keyed by the port it listens on (declaring ports is informational in Kubernetes).
 */
export function podEndpoints(pod: V1Pod, listeners: LocalListener[], ip: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const l of listeners) {
    const url = `http://${hostPort(ip, l.port)}`;
    const declared = pod.spec?.containers.find((c) => c.name === l.container)?.ports ?? [];
    if (declared.length === 0) out[String(l.port)] = url;
    for (const p of declared) out[String(p.containerPort)] = url;
  }
  return out;
}

/** The annotation value for `podEndpoints`, or undefined when nothing listens. */
export function endpointsAnnotation(endpoints: Record<string, string>): string | undefined {
  const keys = Object.keys(endpoints).sort((a, b) => Number(a) - Number(b));
  return keys.length ? JSON.stringify(Object.fromEntries(keys.map((k) => [k, endpoints[k]]))) : undefined;
}

function isReady(pod: V1Pod): boolean {
  if (pod.metadata?.deletionTimestamp || pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') return false;
  return pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

function publishedEndpoints(pod: V1Pod): Record<string, string> | undefined {
  const raw = pod.metadata?.annotations?.[ENDPOINTS_ANNOTATION];
  if (!raw) return undefined;
  try {
    const parsed = JSON.parse(raw) as unknown;
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
      return Object.fromEntries(Object.entries(parsed).filter((e): e is [string, string] => typeof e[1] === 'string'));
    }
  } catch {
    // a hand-edited annotation: treated as not published
  }
  return undefined;
}

/** The container port a Service port's targetPort means on this Pod (a name is looked up in the Pod's ports). */
function containerPort(pod: V1Pod, targetPort: number | string | undefined, servicePort: number): number | undefined {
  if (typeof targetPort === 'string' && !/^\d+$/.test(targetPort)) {
    for (const c of pod.spec?.containers ?? []) for (const p of c.ports ?? []) if (p.name === targetPort) return p.containerPort;
    return undefined;
  }
  return targetPort === undefined ? servicePort : Number(targetPort);
}

/**
 * Follows Service -> port (by name) -> targetPort -> ready Pods (already selected by the
 * Service's selector) -> the Pod's published URL, as kube-proxy would. `pick` chooses among
 * several ready Pods (default: the first by name, for reproducible tests).
 */
export function resolveServiceUrl(svc: V1Service, pods: V1Pod[], portName: string, pick: (n: number) => number = () => 0): string {
  const id = `${svc.metadata?.namespace}/${svc.metadata?.name}`;
  if (!svc.spec?.selector || Object.keys(svc.spec.selector).length === 0) throw new ServiceAccessError(`service ${id} has no selector, so no simulated pod backs it`);
  const sp = (svc.spec.ports ?? []).find((p) => (p.name ?? '') === portName);
  if (!sp) throw new ServiceAccessError(`service ${id} has no port named ${JSON.stringify(portName)} (ports: ${(svc.spec.ports ?? []).map((p) => p.name || String(p.port)).join(', ') || 'none'})`);
  const candidates: string[] = [];
  for (const pod of [...pods].sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''))) {
    if (!isReady(pod) || !selectorMatches(svc.spec.selector, pod.metadata?.labels)) continue;
    const published = publishedEndpoints(pod);
    if (!published) continue;
    const port = containerPort(pod, sp.targetPort as number | string | undefined, sp.port);
    if (port === undefined) continue;
    // Like the simulator's Endpoints: a pod with a single local server answers on any target port.
    const urls = [...new Set(Object.values(published))];
    const url = published[String(port)] ?? (urls.length === 1 ? urls[0] : undefined);
    if (url) candidates.push(url);
  }
  if (candidates.length === 0) throw new ServiceAccessError(`service ${id} has no ready simulated pod serving port ${JSON.stringify(portName)}`);
  return candidates[Math.min(candidates.length - 1, Math.max(0, pick(candidates.length)))];
}
