// The endpoints controller as a pure function: a Service's selector and its pods in, the
// core/v1 Endpoints the API server's service proxy reads out.
import type { V1EndpointAddress, CoreV1EndpointPort, V1EndpointSubset, V1Endpoints, V1Pod, V1Service } from '@kubernetes/client-node';

export const MANAGED_ANNOTATION = 'sim.agentlab.dev/managed-endpoints';

export interface Backend {
  pod: V1Pod;
  ready: boolean;
  /** Where each declared container port really listens (a fake server's loopback port). */
  listening: Map<number, number>;
  /** The port of the pod's only local server, used when a target port is not declared. */
  soleListener?: number;
}

export function selectorMatches(selector: Record<string, string> | undefined, labels: Record<string, string> | undefined): boolean {
  if (!selector || Object.keys(selector).length === 0) return false;
  return Object.entries(selector).every(([k, v]) => labels?.[k] === v);
}

/** Resolves a service port's targetPort (number or container port name) to the real listening port. */
export function resolveTargetPort(b: Backend, targetPort: number | string | undefined, servicePort: number): number | undefined {
  let declared: number | undefined;
  if (typeof targetPort === 'string' && !/^\d+$/.test(targetPort)) {
    for (const c of b.pod.spec?.containers ?? []) for (const p of c.ports ?? []) if (p.name === targetPort) declared = p.containerPort;
    if (declared === undefined) return undefined; // the real controller skips pods without the named port
  } else {
    declared = targetPort === undefined ? servicePort : Number(targetPort);
  }
  return b.listening.get(declared) ?? b.soleListener ?? declared;
}

/** The Endpoints object for a Service with a selector, or undefined when the Service has none. */
export function desiredEndpoints(svc: V1Service, backends: Backend[], ip: string): V1Endpoints | undefined {
  if (!svc.spec?.selector || Object.keys(svc.spec.selector).length === 0) return undefined;
  const groups = new Map<string, V1EndpointSubset>();
  const servicePorts = svc.spec.ports ?? [];
  for (const b of backends) {
    if (!selectorMatches(svc.spec.selector, b.pod.metadata?.labels)) continue;
    const ports: CoreV1EndpointPort[] = [];
    for (const sp of servicePorts) {
      const port = resolveTargetPort(b, sp.targetPort as number | string | undefined, sp.port);
      if (port === undefined) continue;
      ports.push({ ...(sp.name ? { name: sp.name } : {}), port, protocol: sp.protocol ?? 'TCP', ...(sp.appProtocol ? { appProtocol: sp.appProtocol } : {}) });
    }
    if (servicePorts.length > 0 && ports.length === 0) continue;
    const key = JSON.stringify(ports);
    const subset = groups.get(key) ?? { ports };
    const address: V1EndpointAddress = {
      ip,
      nodeName: b.pod.spec?.nodeName,
      targetRef: { kind: 'Pod', namespace: b.pod.metadata?.namespace, name: b.pod.metadata?.name, uid: b.pod.metadata?.uid },
    };
    if (b.ready || svc.spec.publishNotReadyAddresses) subset.addresses = [...(subset.addresses ?? []), address];
    else subset.notReadyAddresses = [...(subset.notReadyAddresses ?? []), address];
    groups.set(key, subset);
  }
  const byName = (a: V1EndpointAddress, b: V1EndpointAddress) => (a.targetRef?.name ?? '').localeCompare(b.targetRef?.name ?? '');
  const subsets = [...groups.values()].map((s) => ({
    ...(s.addresses ? { addresses: s.addresses.sort(byName) } : {}),
    ...(s.notReadyAddresses ? { notReadyAddresses: s.notReadyAddresses.sort(byName) } : {}),
    ...(s.ports && s.ports.length ? { ports: s.ports } : {}),
  }));
  return {
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: {
      name: svc.metadata?.name,
      namespace: svc.metadata?.namespace,
      labels: { ...(svc.metadata?.labels ?? {}) },
      annotations: { [MANAGED_ANNOTATION]: 'true' },
    },
    subsets,
  };
}

/** True when two Endpoints carry the same addresses and ports (ignores server-set metadata). */
export function sameEndpoints(a: V1Endpoints | undefined, b: V1Endpoints | undefined): boolean {
  const norm = (e: V1Endpoints | undefined) => JSON.stringify({ subsets: e?.subsets ?? [], labels: e?.metadata?.labels ?? {} });
  return norm(a) === norm(b);
}
