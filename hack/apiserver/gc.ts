/**
 * The garbage collector's observable behaviour: dependents whose owners are all gone are
 * deleted in the background; `orphan` and `foregroundDeletion` finalizers are honoured.
 */
import { ApiError } from './errors.js';
import { defer, type ServerContext } from './context.js';
import { internalWrite, type ObjectService } from './objects.js';
import type { ResourceInfo } from './registry.js';
import type { StoredObject } from './types.js';

const MANAGER = 'generic-garbage-collector';

export function installGarbageCollector(ctx: ServerContext, svc: ObjectService): void {
  const resourceOf = (gr: string): ResourceInfo | undefined => ctx.registry.forStorage(gr);
  const ignoreGone = (fn: () => void): void => {
    try { fn(); } catch (err) {
      if (err instanceof ApiError && (err.code === 404 || err.code === 409)) return;
      throw err;
    }
  };

  /** Whether an owner still holds its dependents (exists and is not being deleted in the foreground). */
  const ownerState = (uid: string): 'absent' | 'foreground' | 'present' => {
    const loc = ctx.store.locateUid(uid);
    if (!loc) return 'absent';
    const e = ctx.store.getByKey(loc.gr, loc.key);
    if (!e) return 'absent';
    if (e.deleting && (JSON.parse(e.json) as StoredObject).metadata.finalizers?.includes('foregroundDeletion')) return 'foreground';
    return 'present';
  };

  const processDependent = (gr: string, key: string): void => {
    const e = ctx.store.getByKey(gr, key);
    const r = resourceOf(gr);
    if (!e || !r || !e.owners) return;
    // The entry's owner uids are its ownerReferences' in order: the common case, every owner
    // there, is decided without parsing the object (3 children per ModelServer in a burst).
    const states = e.owners.map(ownerState);
    if (states.every((s) => s === 'present')) return;
    const obj = JSON.parse(e.json) as StoredObject;
    const refs = obj.metadata.ownerReferences ?? [];
    if (states.every((s) => s !== 'present')) {
      if (!e.deleting) ignoreGone(() => svc.delete(r, e.ns, e.name, { dryRun: false, propagationPolicy: 'Background' }));
      return;
    }
    if (states.includes('absent')) {
      obj.metadata.ownerReferences = refs.filter((_, i) => states[i] !== 'absent');
      if (obj.metadata.ownerReferences.length === 0) delete obj.metadata.ownerReferences;
      ignoreGone(() => svc.update(r, e.ns, e.name, obj, internalWrite(MANAGER), undefined));
    }
  };

  const removeFinalizer = (r: ResourceInfo, obj: StoredObject, finalizer: string): void => {
    const fresh = ctx.store.get(`${r.resource}.${r.group}`, obj.metadata.namespace ?? '', obj.metadata.name);
    if (!fresh || fresh.metadata.uid !== obj.metadata.uid) return;
    fresh.metadata.finalizers = (fresh.metadata.finalizers ?? []).filter((f) => f !== finalizer);
    ignoreGone(() => svc.update(r, fresh.metadata.namespace ?? '', fresh.metadata.name, fresh, internalWrite(MANAGER), undefined));
  };

  const processDeletingOwner = (r: ResourceInfo, obj: StoredObject): void => {
    const finalizers = obj.metadata.finalizers ?? [];
    const uid = obj.metadata.uid;
    if (finalizers.includes('orphan')) {
      for (const d of ctx.store.dependentsOf(uid)) {
        const e = ctx.store.getByKey(d.gr, d.key); const dr = resourceOf(d.gr);
        if (!e || !dr) continue;
        const dep = JSON.parse(e.json) as StoredObject;
        dep.metadata.ownerReferences = (dep.metadata.ownerReferences ?? []).filter((o) => o.uid !== uid);
        if (dep.metadata.ownerReferences.length === 0) delete dep.metadata.ownerReferences;
        ignoreGone(() => svc.update(dr, e.ns, e.name, dep, internalWrite(MANAGER), undefined));
      }
      removeFinalizer(r, obj, 'orphan');
    } else if (finalizers.includes('foregroundDeletion')) {
      const deps = ctx.store.dependentsOf(uid);
      for (const d of deps) {
        const e = ctx.store.getByKey(d.gr, d.key); const dr = resourceOf(d.gr);
        if (e && dr && !e.deleting) ignoreGone(() => svc.delete(dr, e.ns, e.name, { dryRun: false, propagationPolicy: 'Foreground' }));
      }
      if (ctx.store.dependentsOf(uid).length === 0) removeFinalizer(r, obj, 'foregroundDeletion');
    }
  };

  svc.onCommit((r, type, obj) => {
    const gr = `${r.resource}.${r.group}`;
    if (type === 'DELETED') {
      const uid = obj.metadata.uid;
      const deps = ctx.store.dependentsOf(uid);
      const owners = obj.metadata.ownerReferences ?? [];
      if (deps.length === 0 && owners.length === 0) return;
      defer(ctx, () => {
        for (const d of deps) processDependent(d.gr, d.key);
        // A foreground-deleting owner waits for its last dependent.
        for (const o of owners) {
          const loc = ctx.store.locateUid(o.uid);
          const or = loc && resourceOf(loc.gr);
          const e = loc && ctx.store.getByKey(loc.gr, loc.key);
          if (or && e?.deleting) processDeletingOwner(or, JSON.parse(e.json) as StoredObject);
        }
      });
      return;
    }
    const fins = obj.metadata.finalizers ?? [];
    if (obj.metadata.deletionTimestamp && (fins.includes('orphan') || fins.includes('foregroundDeletion'))) {
      defer(ctx, () => processDeletingOwner(r, obj));
    }
    if (type === 'ADDED' && obj.metadata.ownerReferences?.length) {
      const key = obj.metadata.namespace ? `${obj.metadata.namespace}/${obj.metadata.name}` : obj.metadata.name;
      defer(ctx, () => processDependent(gr, key));
    }
  });
}
