// The kubernetes tool: get or list objects of the listed resources in the listed namespaces,
// with the run's own ServiceAccount. What it may read is enforced by RBAC (the Role the AgentRun
// controller binds to that ServiceAccount), not here: the allow-list below only shapes what the
// model is offered, and a refusal by the API server comes back as Forbidden.
import type { AgentTool } from '../../../api/generated/agentrun.js';
import { KubeApiError, resourcePath, type KubeObject, type Query, type ResourceRef } from '../../../runtime/kube.js';
import { ToolError } from './errors.js';

export interface KubernetesPolicy {
  /** `plural` (core group) or `plural.group`, as in spec.tools[].kubernetes.resources. */
  resources: string[];
  namespaces: string[];
}

/** The part of operators/runtime's KubeClient the tool uses. */
export interface KubeReader {
  request<T = unknown>(path: string, opts?: { query?: Query }): Promise<T>;
}

export const DEFAULT_LIST_LIMIT = 50;
export const MAX_LIST_LIMIT = 500;
/** Results larger than this (as JSON) keep only the first items that fit. */
export const MAX_RESULT_BYTES = 256 * 1024;

const RESOURCE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export function kubernetesPolicy(spec: NonNullable<AgentTool['kubernetes']>, runNamespace: string): KubernetesPolicy {
  for (const r of spec.resources) if (!RESOURCE.test(r)) throw new Error(`kubernetes.resources: ${JSON.stringify(r)} is not a resource name (plural or plural.group, e.g. pods or deployments.apps)`);
  return { resources: [...new Set(spec.resources)], namespaces: spec.namespaces?.length ? [...new Set(spec.namespaces)] : [runNamespace] };
}

interface DiscoveredResource { name: string; namespaced: boolean; kind: string; verbs?: string[] }

/** Finds where a resource lives (API discovery, cached): `pods` in the core group, `deployments.apps` in apps' preferred version. */
export class ResourceResolver {
  private readonly cache = new Map<string, Promise<ResourceRef>>();
  constructor(private readonly api: KubeReader) {}

  resolve(resource: string): Promise<ResourceRef> {
    let p = this.cache.get(resource);
    if (!p) {
      p = this.discover(resource);
      p.catch(() => this.cache.delete(resource)); // a failed discovery is retried on the next call
      this.cache.set(resource, p);
    }
    return p;
  }

  private async discover(resource: string): Promise<ResourceRef> {
    const dot = resource.indexOf('.');
    const plural = dot < 0 ? resource : resource.slice(0, dot);
    const group = dot < 0 ? '' : resource.slice(dot + 1);
    let version = 'v1';
    if (group) {
      const g = await this.api.request<{ preferredVersion?: { version?: string } }>(`/apis/${group}`).catch((e: unknown) => {
        throw e instanceof KubeApiError && e.code === 404 ? new ToolError('NotFound', `the API group ${group} is not served by this cluster`) : e;
      });
      version = g.preferredVersion?.version ?? version;
    }
    const list = await this.api.request<{ resources?: DiscoveredResource[] }>(group ? `/apis/${group}/${version}` : '/api/v1');
    const found = list.resources?.find((r) => r.name === plural);
    if (!found) throw new ToolError('NotFound', `the resource ${resource} is not served by this cluster`);
    return { group, version, plural, kind: found.kind, namespaced: found.namespaced };
  }
}

/** Without managedFields and last-applied-configuration; a Secret's values replaced by their sizes. */
function clean(obj: KubeObject, kind: string): KubeObject {
  const { managedFields: _m, ...metadata } = obj.metadata ?? {};
  if (metadata.annotations?.['kubectl.kubernetes.io/last-applied-configuration'] !== undefined) {
    metadata.annotations = { ...metadata.annotations, 'kubectl.kubernetes.io/last-applied-configuration': '<omitted>' };
  }
  const out: KubeObject & { data?: Record<string, string>; stringData?: unknown } = { ...obj, metadata };
  // Secret values never reach the model, whatever RBAC allows (they would also land in the transcript).
  if (kind === 'Secret') {
    if (out.data) out.data = Object.fromEntries(Object.entries(out.data).map(([k, v]) => [k, `<redacted: ${Buffer.from(String(v), 'base64').length} bytes>`]));
    delete out.stringData;
  }
  return out;
}

function apiFailure(e: unknown, what: string): never {
  if (e instanceof ToolError) throw e;
  if (e instanceof KubeApiError) {
    const message = `${what}: ${e.status?.message ?? e.message}`;
    if (e.code === 403) throw new ToolError('Forbidden', `${message} (the run's ServiceAccount may only read what spec.tools lists)`);
    if (e.code === 404) throw new ToolError('NotFound', message);
    throw new ToolError('Failed', message);
  }
  throw new ToolError('Failed', `${what}: ${(e as Error)?.message ?? String(e)}`);
}

export interface KubernetesArgs {
  resource: string;
  namespace: string;
  name?: string;
  labelSelector?: string;
  limit?: number;
}

/** Gets one object by name, or lists the namespace's objects of the resource (at most `limit`). */
export async function readObjects(policy: KubernetesPolicy, resolver: ResourceResolver, api: KubeReader, a: KubernetesArgs): Promise<unknown> {
  if (!policy.resources.includes(a.resource)) throw new ToolError('Forbidden', `resource ${a.resource} is not in this run's list (${policy.resources.join(', ')})`);
  if (!policy.namespaces.includes(a.namespace)) throw new ToolError('Forbidden', `namespace ${a.namespace} is not in this run's list (${policy.namespaces.join(', ')})`);
  const what = a.name ? `${a.resource} ${a.namespace}/${a.name}` : `${a.resource} in ${a.namespace}`;
  try {
    const ref = await resolver.resolve(a.resource);
    if (!ref.namespaced) throw new ToolError('Forbidden', `${a.resource} is cluster-scoped; the kubernetes tool reads namespaced resources only`);
    if (a.name) return clean(await api.request<KubeObject>(resourcePath(ref, a.namespace, a.name)), ref.kind);
    const limit = Math.min(a.limit ?? DEFAULT_LIST_LIMIT, MAX_LIST_LIMIT);
    const list = await api.request<{ items?: KubeObject[]; metadata?: { continue?: string } }>(resourcePath(ref, a.namespace), { query: { limit, ...(a.labelSelector ? { labelSelector: a.labelSelector } : {}) } });
    const items: KubeObject[] = [];
    let bytes = 0;
    for (const item of list.items ?? []) {
      const c = clean(item, ref.kind);
      bytes += Buffer.byteLength(JSON.stringify(c));
      if (bytes > MAX_RESULT_BYTES) break;
      items.push(c);
    }
    const truncated = items.length < (list.items?.length ?? 0) || Boolean(list.metadata?.continue);
    return { kind: `${ref.kind}List`, items, ...(truncated ? { truncated: true } : {}) };
  } catch (e) {
    return apiFailure(e, what);
  }
}
