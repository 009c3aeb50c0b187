import type { KubeClient } from '../runtime/kube.js';
import { KubeApiError } from '../runtime/kube.js';

/** The field manager of objects a kubernetes step applies (not the operator's own: the task's ServiceAccount owns them). */
export const STEP_FIELD_MANAGER = 'agentlab-hardwaretask-step';

export interface Manifest {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string };
  [k: string]: unknown;
}

/** Problems of the manifests that no API server is needed to see, with field paths. */
export function manifestProblems(manifests: Manifest[], base: string): string[] {
  const out: string[] = [];
  manifests.forEach((m, i) => {
    const f = `${base}.kubernetes.manifests[${i}]`;
    if (typeof m.apiVersion !== 'string' || m.apiVersion === '') out.push(`${f}.apiVersion is required`);
    if (typeof m.kind !== 'string' || m.kind === '') out.push(`${f}.kind is required`);
    if (typeof m.metadata?.name !== 'string' || m.metadata.name === '') out.push(`${f}.metadata.name is required`);
  });
  return out;
}

/** The username a ServiceAccount is impersonated as. */
export const serviceAccountUser = (namespace: string, name: string) => `system:serviceaccount:${namespace}:${name}`;

export interface ApplyOutcome { ok: boolean; done: string[]; message: string }

interface ApiResource { name: string; kind: string; namespaced: boolean }

/**
 * Applies (server-side, field manager agentlab-hardwaretask-step, forced) or deletes the manifests
 * as the ServiceAccount, one after the other; stops at the first refusal and returns the API
 * server's message. Kinds are resolved through discovery, also as the ServiceAccount. A namespaced
 * object without a namespace goes to the task's. Deleting an object that is gone counts as done.
 */
export async function runManifests(client: KubeClient, action: 'Apply' | 'Delete', manifests: Manifest[], ns: string, serviceAccount: string): Promise<ApplyOutcome> {
  const user = serviceAccountUser(ns, serviceAccount);
  const headers = { 'Impersonate-User': user };
  const done: string[] = [];
  const discovery = new Map<string, ApiResource[]>();
  for (const m of manifests) {
    const id = `${m.kind}/${m.metadata!.name}`;
    try {
      const gv = m.apiVersion!;
      if (!discovery.has(gv)) {
        const list = await client.request<{ resources: ApiResource[] }>(gv.includes('/') ? `/apis/${gv}` : `/api/${gv}`, { headers });
        discovery.set(gv, list.resources.filter((r) => !r.name.includes('/')));
      }
      const res = discovery.get(gv)!.find((r) => r.kind === m.kind);
      if (!res) return { ok: false, done, message: `${id}: the API server serves no kind ${m.kind} in ${gv}` };
      const namespace = res.namespaced ? m.metadata!.namespace ?? ns : undefined;
      const prefix = gv.includes('/') ? `/apis/${gv}` : `/api/${gv}`;
      const path = `${prefix}${namespace ? `/namespaces/${namespace}` : ''}/${res.name}/${m.metadata!.name}`;
      const body = namespace ? { ...m, metadata: { ...m.metadata, namespace } } : m;
      if (action === 'Apply') {
        await client.request(path, { method: 'PATCH', body, contentType: 'application/apply-patch+yaml', query: { fieldManager: STEP_FIELD_MANAGER, force: true }, headers });
      } else {
        try {
          await client.request(path, { method: 'DELETE', headers });
        } catch (err) {
          if (!(err instanceof KubeApiError && err.code === 404)) throw err;
        }
      }
      done.push(namespace ? `${id} (namespace ${namespace})` : id);
    } catch (err) {
      const msg = err instanceof KubeApiError ? `${err.code} ${err.reason}: ${err.status?.message ?? err.message}` : (err as Error).message;
      return { ok: false, done, message: `${action === 'Apply' ? 'applying' : 'deleting'} ${id} as ${user}: ${msg}` };
    }
  }
  return { ok: true, done, message: `${action === 'Apply' ? 'applied' : 'deleted'} ${done.join(', ')} as ${user}` };
}
