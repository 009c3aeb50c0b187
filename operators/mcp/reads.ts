/**
 * The API reads behind the tools, all made with the caller's credentials (the KubeClient of the
 * session), so RBAC decides what each person sees. A list the caller may not read is reported, not
 * fatal: explain_not_ready still answers from what is readable.
 */
import { KubeApiError, resourcePath, type KubeClient, type KubeObject } from '../runtime/kube.js';
import type { EventLike, Snapshot } from './explain.js';
import { resolveKind, type KindRef } from './kinds.js';
import { knownSecrets, type KnownSecret } from './mask.js';

export const TABLE_ACCEPT = 'application/json;as=Table;v=v1;g=meta.k8s.io, application/json';
const MAX_CHILDREN = 50;

/** The children each AgentLab kind creates, and the label that finds those not owned directly (pods of a Deployment). */
const CHILD_KINDS: Record<string, { kinds: string[]; label?: (name: string) => string }> = {
  ModelServer: { kinds: ['Deployment', 'Service', 'PersistentVolumeClaim', 'Pod'], label: (n) => `agentlab.dev/modelserver=${n}` },
  AgentRun: { kinds: ['Pod', 'ConfigMap', 'Secret', 'ServiceAccount', 'Role', 'RoleBinding', 'NetworkPolicy'], label: (n) => `agentlab.dev/run=${n}` },
  Flow: { kinds: ['AgentRun', 'Pod', 'ConfigMap', 'Secret'] },
  HardwareTask: { kinds: ['Pod', 'ConfigMap'] },
  Deployment: { kinds: ['Pod'] },
};

export interface ReadNote { what: string; error: string }

async function tolerant<T>(what: string, notes: ReadNote[], fn: () => Promise<T>, fallback: T): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof KubeApiError && (err.code === 403 || err.code === 404)) {
      notes.push({ what, error: err.code === 403 ? `forbidden: ${err.status?.message ?? err.message}` : `not found: ${err.status?.message ?? err.message}` });
      return fallback;
    }
    throw err;
  }
}

export async function getObject(kube: KubeClient, kind: KindRef, namespace: string | undefined, name: string): Promise<KubeObject> {
  const obj = await kube.request<KubeObject>(resourcePath(kind, kind.namespaced ? namespace : undefined, name));
  return obj;
}

/** Events about an object, newest last, at most `limit`. Cluster-scoped objects' events live in default. */
export async function eventsFor(kube: KubeClient, obj: KubeObject, notes: ReadNote[], limit = 10): Promise<EventLike[]> {
  const ns = obj.metadata?.namespace ?? 'default';
  const uid = obj.metadata?.uid;
  const selector = uid ? `involvedObject.uid=${uid}` : `involvedObject.name=${obj.metadata?.name},involvedObject.kind=${obj.kind}`;
  const list = await tolerant(`events in ${ns}`, notes, () => kube.request<{ items: EventLike[] }>(`/api/v1/namespaces/${encodeURIComponent(ns)}/events`, { query: { fieldSelector: selector, limit: 200 } }), { items: [] });
  const time = (e: EventLike) => Date.parse(e.lastTimestamp ?? e.eventTime ?? '') || 0;
  return list.items.sort((a, b) => time(a) - time(b)).slice(-limit).map((e) => ({
    type: e.type, reason: e.reason, message: e.message, count: e.count, lastTimestamp: e.lastTimestamp ?? e.eventTime, involvedObject: e.involvedObject,
  }));
}

const ownedBy = (o: KubeObject, uid: string | undefined) => Boolean(uid && o.metadata?.ownerReferences?.some((r) => r.uid === uid));

/** Objects the AgentLab object made: owned by it, or labelled for it (its Deployment's pods). */
export async function childrenOf(kube: KubeClient, obj: KubeObject, notes: ReadNote[]): Promise<KubeObject[]> {
  const m = obj.metadata ?? {};
  if (obj.kind === 'LanePolicy') {
    const nps = await tolerant('networkpolicies', notes, () => kube.request<{ items: KubeObject[] }>('/apis/networking.k8s.io/v1/networkpolicies', { query: { labelSelector: `agentlab.dev/lane=${m.name}`, limit: MAX_CHILDREN } }), { items: [] });
    return nps.items.map((i) => ({ ...i, kind: 'NetworkPolicy', apiVersion: 'networking.k8s.io/v1' }));
  }
  const spec = CHILD_KINDS[obj.kind ?? ''];
  if (!spec || !m.namespace) return [];
  const out: KubeObject[] = [];
  for (const kindName of spec.kinds) {
    const kind = resolveKind(kindName);
    const query = { limit: 500, ...(spec.label && kindName !== 'AgentRun' ? { labelSelector: spec.label(m.name ?? '') } : {}) };
    const list = await tolerant(`${kind.plural} in ${m.namespace}`, notes, () => kube.request<{ items: KubeObject[] }>(resourcePath(kind, m.namespace), { query }), { items: [] });
    for (const item of list.items) {
      const labelled = Boolean(spec.label);
      if (ownedBy(item, m.uid) || (labelled && kindName === 'Pod')) out.push({ ...item, kind: kind.kind, apiVersion: kind.group ? `${kind.group}/${kind.version}` : kind.version });
    }
  }
  return out.slice(0, MAX_CHILDREN);
}

/** Whether a Secret exists and has the key, never reading out its value. */
export async function secretState(kube: KubeClient, namespace: string, name: string, key: string): Promise<'found' | 'missing' | 'forbidden' | 'missingKey'> {
  try {
    const s = await kube.request<{ data?: Record<string, string> }>(`/api/v1/namespaces/${encodeURIComponent(namespace)}/secrets/${encodeURIComponent(name)}`);
    return s.data?.[key] !== undefined ? 'found' : 'missingKey';
  } catch (err) {
    if (err instanceof KubeApiError && err.code === 404) return 'missing';
    if (err instanceof KubeApiError && err.code === 403) return 'forbidden';
    throw err;
  }
}

/** Everything explain_not_ready needs about one object, and about the ModelServers and Secrets a lane uses. */
export async function snapshotOf(kube: KubeClient, obj: KubeObject, notes: ReadNote[], depth = 0): Promise<Snapshot> {
  const [events, children] = await Promise.all([eventsFor(kube, obj, notes), childrenOf(kube, obj, notes)]);
  const snap: Snapshot = { object: obj, events, children };
  if (obj.kind === 'LanePolicy' && depth === 0) {
    const providers = ((obj.spec ?? {}) as { providers?: { modelServerRef?: { name: string; namespace: string }; cloud?: { secretRef?: { name: string; namespace: string; key?: string } } }[] }).providers ?? [];
    snap.secrets = {};
    snap.related = [];
    const ms = resolveKind('ModelServer');
    for (const p of providers) {
      const ref = p.cloud?.secretRef;
      if (ref) snap.secrets[`${ref.namespace}/${ref.name}`] = await secretState(kube, ref.namespace, ref.name, ref.key ?? 'apiKey');
      if (p.modelServerRef) {
        const target = await tolerant(`ModelServer ${p.modelServerRef.namespace}/${p.modelServerRef.name}`, notes, () => getObject(kube, ms, p.modelServerRef!.namespace, p.modelServerRef!.name), undefined);
        if (target) snap.related.push(await snapshotOf(kube, { ...target, kind: 'ModelServer' }, notes, depth + 1));
      }
    }
  }
  return snap;
}

/**
 * The values of the Secrets in `namespaces` (undefined: all) the caller may read, to mask them in
 * what the tools return (an event or a pod message can quote a key). A person who may not read
 * Secrets gets nothing here, and sees such messages as kubectl get events shows them.
 */
export async function secretsToMask(kube: KubeClient, namespaces: (string | undefined)[]): Promise<KnownSecret[]> {
  const unique = namespaces.includes(undefined) ? [undefined] : [...new Set(namespaces)];
  const lists = await Promise.all(unique.map(async (ns) => {
    try {
      return (await kube.request<{ items: { metadata?: { namespace?: string; name?: string }; data?: Record<string, string> }[] }>(ns ? `/api/v1/namespaces/${encodeURIComponent(ns)}/secrets` : '/api/v1/secrets', { query: { limit: 1000 } })).items;
    } catch (err) {
      if (err instanceof KubeApiError && (err.code === 403 || err.code === 404)) return [];
      throw err;
    }
  }));
  return knownSecrets(lists.flat());
}
