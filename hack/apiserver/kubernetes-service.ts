/**
 * Service `default/kubernetes` as kube-apiserver keeps it (pkg/controlplane/reconcilers): a
 * ClusterIP Service on port 443 named https, and the server's own address and secure port as
 * its Endpoints and its EndpointSlice `kubernetes` (label kubernetes.io/service-name=kubernetes),
 * which clients read to reach the server directly (a NetworkPolicy allowing the API server names
 * these addresses, not the ClusterIP).
 */
import { isIP } from 'node:net';
import type { ServerContext } from './context.js';
import { ApiError } from './errors.js';
import { internalWrite, type ObjectService } from './objects.js';

const NAME = 'kubernetes';
const NAMESPACE = 'default';

/** The address other hosts would reach the server at: a wildcard bind is advertised as loopback. */
export function advertisedAddress(host: string): string {
  if (host === '0.0.0.0' || host === '') return '127.0.0.1';
  if (host === '::') return '::1';
  return host;
}

export function createKubernetesService(svc: ObjectService, ctx: ServerContext, host: string, port: number): void {
  const address = advertisedAddress(host);
  const addressType = isIP(address) === 6 ? 'IPv6' : 'IPv4';
  const labels = { component: 'apiserver', provider: 'kubernetes' };
  const objects: [string, string, string, Record<string, unknown>][] = [
    ['', 'v1', 'services', {
      apiVersion: 'v1', kind: 'Service', metadata: { name: NAME, labels },
      spec: { type: 'ClusterIP', sessionAffinity: 'None', ports: [{ name: 'https', protocol: 'TCP', port: 443, targetPort: port }] },
    }],
    ['', 'v1', 'endpoints', {
      apiVersion: 'v1', kind: 'Endpoints', metadata: { name: NAME, labels: { 'endpointslice.kubernetes.io/skip-mirror': 'true' } },
      subsets: [{ addresses: [{ ip: address }], ports: [{ name: 'https', port, protocol: 'TCP' }] }],
    }],
    ['discovery.k8s.io', 'v1', 'endpointslices', {
      apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: { name: NAME, labels: { 'kubernetes.io/service-name': NAME } },
      addressType, endpoints: [{ addresses: [address], conditions: { ready: true } }], ports: [{ name: 'https', port, protocol: 'TCP' }],
    }],
  ];
  for (const [group, version, resource, body] of objects) {
    try {
      svc.create(ctx.registry.get(group, version, resource)!, NAMESPACE, body, internalWrite('kube-apiserver'));
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      ctx.logger.warn({ err, kind: body.kind, namespace: NAMESPACE, name: NAME }, 'could not create the kubernetes Service object');
    }
  }
}
