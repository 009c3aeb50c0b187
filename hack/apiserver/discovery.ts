/**
 * Legacy discovery documents (/api, /apis, /apis/<g>, /apis/<g>/<v>). Aggregated discovery
 * (apidiscovery.k8s.io/v2) is not served: clients that ask for it get the legacy documents
 * with Content-Type application/json, which client-go treats as "not aggregated" and uses.
 */
import { apiVersionOf, sortVersions, type Registry, type ResourceInfo } from './registry.js';

export const SERVER_VERSION = {
  major: '1', minor: '32', gitVersion: 'v1.32.0', gitCommit: '0000000000000000000000000000000000000000',
  gitTreeState: 'clean', buildDate: '2024-12-11T00:00:00Z', goVersion: 'go1.23.3', compiler: 'gc', platform: 'linux/amd64',
};

export function apiVersions(serverAddress: string): object {
  return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }] };
}

function groupDoc(name: string, versions: string[]): object {
  const vs = sortVersions(versions).map((version) => ({ groupVersion: `${name}/${version}`, version }));
  return { name, versions: vs, preferredVersion: vs[0] };
}

/** Groups in the order kube-apiserver lists them: built-in groups first, then CRD groups by name. */
export function apiGroupList(registry: Registry): object {
  const groups = registry.groups().filter((g) => g.group !== '');
  const builtin = (g: string): boolean => registry.all().some((r) => r.group === g && !r.custom);
  groups.sort((a, b) => Number(builtin(b.group)) - Number(builtin(a.group)) || (builtin(a.group) ? 0 : a.group.localeCompare(b.group)));
  return { kind: 'APIGroupList', apiVersion: 'v1', groups: groups.map((g) => groupDoc(g.group, g.versions)) };
}

export function apiGroup(registry: Registry, group: string): object | undefined {
  const g = registry.groups().find((x) => x.group === group);
  return g ? { kind: 'APIGroup', apiVersion: 'v1', ...groupDoc(g.group, g.versions) } : undefined;
}

const SUBRESOURCE_DOCS: Record<string, { kind: string; verbs: string[]; group?: string; version?: string }> = {
  status: { kind: '', verbs: ['get', 'patch', 'update'] },
  scale: { kind: 'Scale', verbs: ['get', 'patch', 'update'], group: 'autoscaling', version: 'v1' },
  binding: { kind: 'Binding', verbs: ['create'] },
  log: { kind: 'Pod', verbs: ['get'] },
  proxy: { kind: 'ServiceProxyOptions', verbs: ['create', 'delete', 'get', 'patch', 'update'] },
  finalize: { kind: 'Namespace', verbs: ['update'] },
};

function resourceDocs(r: ResourceInfo): object[] {
  const main: Record<string, unknown> = { name: r.resource, singularName: r.singular, namespaced: r.namespaced, kind: r.kind, verbs: r.verbs };
  if (r.shortNames.length) main.shortNames = r.shortNames;
  if (r.categories.length) main.categories = r.categories;
  const subs = [...(r.status ? ['status'] : []), ...(r.scale ? ['scale'] : []), ...r.extra];
  return [main, ...subs.map((s) => {
    const d = SUBRESOURCE_DOCS[s]!;
    const doc: Record<string, unknown> = { name: `${r.resource}/${s}`, singularName: '', namespaced: r.namespaced, kind: d.kind || r.kind, verbs: d.verbs };
    if (d.group) { doc.group = d.group; doc.version = d.version; }
    return doc;
  })];
}

export function apiResourceList(registry: Registry, group: string, version: string): object | undefined {
  const rs = registry.all().filter((r) => r.group === group && r.version === version);
  if (rs.length === 0) return undefined;
  rs.sort((a, b) => a.resource.localeCompare(b.resource));
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: apiVersionOf({ group, version }), resources: rs.flatMap(resourceDocs) };
}
