/**
 * The kubernetes tool's way out to the API server. A NetworkPolicy is enforced after the
 * Service's DNAT, so a rule naming the `kubernetes` Service's ClusterIP never matches: the rule
 * must name the API server's own endpoint addresses and port, as the EndpointSlices of Service
 * `default/kubernetes` list them (kube-apiserver keeps them current).
 */

/** The fields of a discovery.k8s.io/v1 EndpointSlice this needs. */
export interface EndpointSliceLike {
  addressType?: string;
  endpoints?: { addresses?: string[]; conditions?: { ready?: boolean | null } }[] | null;
  ports?: { port?: number | null; protocol?: string | null }[] | null;
}

export interface EgressRule {
  to: { ipBlock: { cidr: string } }[];
  ports: { protocol: string; port: number }[];
}

/** Label kube-apiserver puts on the slices of Service `kubernetes`. */
export const API_SERVER_SLICE_SELECTOR = 'kubernetes.io/service-name=kubernetes';
export const API_SERVER_SLICE_NAMESPACE = 'default';

const hostCidr = (addressType: string, address: string): string => `${address}/${addressType === 'IPv6' ? 128 : 32}`;

/**
 * One egress rule per distinct port set: every ready endpoint address of the slices as a host
 * ipBlock (/32, /128 for IPv6) and the slice's ports. FQDN slices and endpoints marked not
 * ready are left out (a nil ready counts as ready, as the API documents). Empty when the
 * slices name no address or no port.
 */
export function apiServerEgressRules(slices: EndpointSliceLike[]): EgressRule[] {
  const byPorts = new Map<string, { ports: EgressRule['ports']; cidrs: Set<string> }>();
  for (const slice of slices) {
    const type = slice.addressType ?? '';
    if (type !== 'IPv4' && type !== 'IPv6') continue;
    const ports = (slice.ports ?? [])
      .filter((p): p is { port: number; protocol?: string | null } => typeof p.port === 'number' && p.port > 0)
      .map((p) => ({ protocol: p.protocol || 'TCP', port: p.port }))
      .sort((a, b) => a.port - b.port || a.protocol.localeCompare(b.protocol));
    if (ports.length === 0) continue;
    const cidrs = (slice.endpoints ?? []).filter((e) => e.conditions?.ready !== false).flatMap((e) => e.addresses ?? []).map((a) => hostCidr(type, a));
    if (cidrs.length === 0) continue;
    const key = JSON.stringify(ports);
    const entry = byPorts.get(key) ?? { ports, cidrs: new Set<string>() };
    for (const c of cidrs) entry.cidrs.add(c);
    byPorts.set(key, entry);
  }
  return [...byPorts.entries()].sort(([a], [b]) => a.localeCompare(b))
    .map(([, e]) => ({ to: [...e.cidrs].sort().map((cidr) => ({ ipBlock: { cidr } })), ports: e.ports }));
}
