/**
 * Namespace lifecycle as the namespace and service-account controllers run it: every new
 * namespace gets a `default` ServiceAccount; a deleted namespace is emptied (honouring each
 * object's finalizers), then its `kubernetes` finalizer is removed and it disappears.
 */
import { defer, type ServerContext } from './context.js';
import { ApiError } from './errors.js';
import { internalWrite, NAMESPACE_GR, type ObjectService } from './objects.js';
import { isRecord } from './types.js';

export const DEFAULT_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

export function installNamespaceController(ctx: ServerContext, svc: ObjectService): void {
  const pending = new Set<string>();

  const ensureServiceAccount = (ns: string): void => {
    const sa = ctx.registry.get('', 'v1', 'serviceaccounts')!;
    if (ctx.store.getEntry('serviceaccounts.', ns, 'default')) return;
    try {
      svc.create(sa, ns, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default' } }, internalWrite('kube-controller-manager'));
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
    }
  };

  const cleanup = (ns: string): void => {
    pending.delete(ns);
    const nsObj = ctx.store.get(NAMESPACE_GR, '', ns);
    if (!nsObj || !nsObj.metadata.deletionTimestamp) return;
    for (const gr of ctx.store.resourcesWithObjectsIn(ns)) {
      const r = ctx.registry.forStorage(gr);
      if (!r) continue;
      for (const e of ctx.store.list(gr, ns)) {
        if (e.deleting) continue;
        try { svc.delete(r, ns, e.name, { dryRun: false, propagationPolicy: 'Background', gracePeriodSeconds: 0 }); } catch (err) {
          if (!(err instanceof ApiError)) throw err;
        }
      }
    }
    if (ctx.store.resourcesWithObjectsIn(ns).length > 0) return;
    const fresh = ctx.store.get(NAMESPACE_GR, '', ns);
    if (!fresh) return;
    const specFinalizers = isRecord(fresh.spec) && Array.isArray(fresh.spec.finalizers) ? fresh.spec.finalizers as string[] : [];
    const nsResource = ctx.registry.forStorage(NAMESPACE_GR)!;
    svc.finalizeNamespace(nsResource, ns, { ...fresh, spec: { ...fresh.spec as object, finalizers: specFinalizers.filter((f) => f !== 'kubernetes') } },
      internalWrite('kube-controller-manager'));
  };

  const schedule = (ns: string): void => {
    if (pending.has(ns)) return;
    pending.add(ns);
    defer(ctx, () => cleanup(ns));
  };

  svc.onCommit((r, type, obj) => {
    const gr = `${r.resource}.${r.group}`;
    if (gr === NAMESPACE_GR) {
      if (type === 'ADDED') { const ns = obj.metadata.name; defer(ctx, () => ensureServiceAccount(ns)); }
      if (type === 'MODIFIED' && obj.metadata.deletionTimestamp) schedule(obj.metadata.name);
      return;
    }
    const ns = obj.metadata.namespace;
    if (type === 'DELETED' && ns && ctx.store.getEntry(NAMESPACE_GR, '', ns)?.deleting) schedule(ns);
  });
}

/** The namespaces every cluster starts with. */
export function createDefaultNamespaces(svc: ObjectService, ctx: ServerContext): void {
  const r = ctx.registry.get('', 'v1', 'namespaces')!;
  for (const name of DEFAULT_NAMESPACES) {
    svc.create(r, '', { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { 'kubernetes.io/metadata.name': name } } },
      internalWrite('kube-apiserver'));
  }
}
