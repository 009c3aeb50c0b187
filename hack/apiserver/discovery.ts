/**
 * Discovery: the legacy documents (/api, /apis, /apis/<g>, /apis/<g>/<v>) and, for clients that
 * ask for it in Accept, aggregated discovery (apidiscovery.k8s.io/v2 APIGroupDiscoveryList), which
 * lets kubectl learn every resource in two requests.
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
  eviction: { kind: 'Eviction', verbs: ['create'], group: 'policy', version: 'v1' },
  log: { kind: 'Pod', verbs: ['get'] },
  proxy: { kind: 'ServiceProxyOptions', verbs: ['create', 'delete', 'get', 'patch', 'update'] },
  finalize: { kind: 'Namespace', verbs: ['update'] },
  token: { kind: 'TokenRequest', verbs: ['create'], group: 'authentication.k8s.io', version: 'v1' },
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

export const AGGREGATED_MEDIA_TYPE = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList';

/** Whether the Accept header asks for aggregated discovery v2 (before any plain JSON it also accepts). */
export function wantsAggregated(accept: string | undefined): boolean {
  for (const part of (accept ?? '').split(',')) {
    const [type = '', ...params] = part.split(';').map((x) => x.trim());
    const p = Object.fromEntries(params.map((kv) => kv.split('=').map((x) => x.trim())));
    if ((type === 'application/json' || type === '*/*') && p.as === 'APIGroupDiscoveryList' && p.g === 'apidiscovery.k8s.io' && p.v === 'v2') return true;
    if (type === 'application/json' && !p.as) return false;
  }
  return false;
}

function resourceDiscovery(r: ResourceInfo): Record<string, unknown> {
  const doc: Record<string, unknown> = {
    resource: r.resource, responseKind: { group: r.group, version: r.version, kind: r.kind },
    scope: r.namespaced ? 'Namespaced' : 'Cluster', singularResource: r.singular, verbs: r.verbs,
  };
  if (r.shortNames.length) doc.shortNames = r.shortNames;
  if (r.categories.length) doc.categories = r.categories;
  const subs = [...(r.status ? ['status'] : []), ...(r.scale ? ['scale'] : []), ...r.extra];
  if (subs.length) {
    doc.subresources = subs.map((sub) => {
      const d = SUBRESOURCE_DOCS[sub]!;
      return { subresource: sub, responseKind: { group: d.group ?? r.group, version: d.version ?? r.version, kind: d.kind || r.kind }, verbs: d.verbs };
    });
  }
  return doc;
}

/** APIGroupDiscoveryList for /api (legacy: true, the core group) or /apis (every named group). */
export function aggregatedDiscovery(registry: Registry, legacy: boolean): object {
  const groups = legacy ? [{ name: '', versions: ['v1'] }]
    : (apiGroupList(registry) as { groups: { name: string; versions: { version: string }[] }[] }).groups
      .map((g) => ({ name: g.name, versions: g.versions.map((v) => v.version) }));
  const items = groups.map((g) => ({
    metadata: { name: g.name, creationTimestamp: null },
    versions: g.versions.map((version) => ({
      version,
      resources: registry.all().filter((r) => r.group === g.name && r.version === version)
        .sort((a, b) => a.resource.localeCompare(b.resource)).map(resourceDiscovery),
      freshness: 'Current',
    })),
  }));
  return { kind: 'APIGroupDiscoveryList', apiVersion: 'apidiscovery.k8s.io/v2', metadata: {}, items };
}
