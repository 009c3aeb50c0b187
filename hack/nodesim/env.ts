// A container's environment as the kubelet builds it: envFrom, then env in order, with
// Secret/ConfigMap keys, downward-API fields and $(VAR) expansion. Lookups are injected.
import type { V1ConfigMap, V1Container, V1Pod, V1Secret } from '@kubernetes/client-node';
import { expandVars } from './podstatus.js';

export interface EnvLookups {
  secret(namespace: string, name: string): Promise<V1Secret | undefined>;
  configMap(namespace: string, name: string): Promise<V1ConfigMap | undefined>;
}

/** The kubelet's CreateContainerConfigError: the container stays waiting with this message. */
export class ContainerConfigError extends Error {
  readonly reason = 'CreateContainerConfigError';
}

function secretValues(s: V1Secret): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(s.data ?? {})) out[k] = Buffer.from(v, 'base64').toString('utf8');
  for (const [k, v] of Object.entries(s.stringData ?? {})) out[k] = v;
  return out;
}

function configMapValues(c: V1ConfigMap): Record<string, string> {
  const out: Record<string, string> = { ...(c.data ?? {}) };
  for (const [k, v] of Object.entries(c.binaryData ?? {})) out[k] = Buffer.from(v, 'base64').toString('utf8');
  return out;
}

/** Downward API fieldRef paths the kubelet supports for env. */
export function fieldRefValue(pod: V1Pod, path: string): string {
  const m = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(path);
  if (m) return (m[1] === 'labels' ? pod.metadata?.labels : pod.metadata?.annotations)?.[m[2]] ?? '';
  switch (path) {
    case 'metadata.name': return pod.metadata?.name ?? '';
    case 'metadata.namespace': return pod.metadata?.namespace ?? '';
    case 'metadata.uid': return pod.metadata?.uid ?? '';
    case 'spec.nodeName': return pod.spec?.nodeName ?? '';
    case 'spec.serviceAccountName': return pod.spec?.serviceAccountName ?? 'default';
    case 'status.podIP': return pod.status?.podIP ?? '';
    case 'status.hostIP': return pod.status?.hostIP ?? '';
    case 'status.podIPs': return (pod.status?.podIPs ?? []).map((p) => p.ip).join(',');
    case 'status.hostIPs': return (pod.status?.hostIPs ?? []).map((p) => p.ip).join(',');
    default: throw new ContainerConfigError(`unsupported fieldRef path ${JSON.stringify(path)}`);
  }
}

export async function resolveEnv(pod: V1Pod, container: V1Container, lookups: EnvLookups, ips: { podIP: string; hostIP: string }): Promise<Record<string, string>> {
  const ns = pod.metadata?.namespace ?? 'default';
  const withIps: V1Pod = { ...pod, status: { ...(pod.status ?? {}), podIP: ips.podIP, hostIP: ips.hostIP, podIPs: [{ ip: ips.podIP }], hostIPs: [{ ip: ips.hostIP }] } };
  const env: Record<string, string> = {};
  for (const from of container.envFrom ?? []) {
    const prefix = from.prefix ?? '';
    if (from.configMapRef) {
      const cm = await lookups.configMap(ns, from.configMapRef.name ?? '');
      if (!cm) {
        if (from.configMapRef.optional) continue;
        throw new ContainerConfigError(`configmap "${from.configMapRef.name}" not found`);
      }
      for (const [k, v] of Object.entries(configMapValues(cm))) env[prefix + k] = v;
    }
    if (from.secretRef) {
      const s = await lookups.secret(ns, from.secretRef.name ?? '');
      if (!s) {
        if (from.secretRef.optional) continue;
        throw new ContainerConfigError(`secret "${from.secretRef.name}" not found`);
      }
      for (const [k, v] of Object.entries(secretValues(s))) env[prefix + k] = v;
    }
  }
  for (const e of container.env ?? []) {
    const vf = e.valueFrom;
    if (!vf) {
      env[e.name] = expandVars(e.value ?? '', env);
    } else if (vf.secretKeyRef) {
      const ref = vf.secretKeyRef;
      const s = await lookups.secret(ns, ref.name ?? '');
      const value = s ? secretValues(s)[ref.key] : undefined;
      if (value === undefined) {
        if (ref.optional) continue;
        throw new ContainerConfigError(s ? `couldn't find key ${ref.key} in Secret ${ns}/${ref.name}` : `secret "${ref.name}" not found`);
      }
      env[e.name] = value;
    } else if (vf.configMapKeyRef) {
      const ref = vf.configMapKeyRef;
      const cm = await lookups.configMap(ns, ref.name ?? '');
      const value = cm ? configMapValues(cm)[ref.key] : undefined;
      if (value === undefined) {
        if (ref.optional) continue;
        throw new ContainerConfigError(cm ? `couldn't find key ${ref.key} in ConfigMap ${ns}/${ref.name}` : `configmap "${ref.name}" not found`);
      }
      env[e.name] = value;
    } else if (vf.fieldRef) {
      env[e.name] = fieldRefValue(withIps, vf.fieldRef.fieldPath);
    } else if (vf.resourceFieldRef) {
      const [kind, resource] = vf.resourceFieldRef.resource.split('.', 2) as ['limits' | 'requests', string];
      const target = container.name === (vf.resourceFieldRef.containerName ?? container.name) ? container : pod.spec?.containers.find((c) => c.name === vf.resourceFieldRef!.containerName);
      env[e.name] = String(target?.resources?.[kind]?.[resource] ?? '0');
    }
  }
  return env;
}
