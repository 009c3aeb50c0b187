/**
 * Defaulting and pruning on read, as apiextensions-apiserver's storage codec does for custom resources
 * (crConversionRESTOptionsGetter: the unstructured defaulter and schema coercer run on every object
 * decoded from etcd, with the storage version's structural schema). An object stored before a default
 * was added to the CRD is served with that default by get, list and watch, without being rewritten.
 *
 * Every write here already prunes and defaults, so only objects written before the CRD's current
 * schema (a resourceVersion older than the CRD's) need it; the others keep their fast path.
 */
import type { Registry, ResourceInfo } from './registry.js';
import type { KObject } from './types.js';

/** The storage version of a custom resource when objects older than `rv` must be coerced on read. */
function storageSchemaFor(registry: Registry, r: ResourceInfo, rv: number) {
  if (!r.custom) return undefined;
  const sv = r.custom.storage ? r : registry.versionsOf(r.group, r.resource).find((x) => x.custom?.storage);
  const schema = sv?.custom?.schema;
  if (!schema || rv >= (sv.custom?.schemaRv ?? 0)) return undefined;
  return schema;
}

/** Whether a resource's objects are served in the form they are stored (no conversion to another version). */
export function storedAsServed(r: ResourceInfo): boolean {
  return !r.storage && (!r.custom || r.custom.storage);
}

/** Whether an object last written at `rv` is served differently from how it is stored. */
export function needsReadDefaults(registry: Registry, r: ResourceInfo, rv: number): boolean {
  return storageSchemaFor(registry, r, rv) !== undefined;
}

/** The stored object pruned and defaulted with the storage version's schema (a copy), or the object itself. */
export function readDefaults<T extends KObject>(registry: Registry, r: ResourceInfo, obj: T): T {
  const schema = storageSchemaFor(registry, r, Number(obj.metadata?.resourceVersion ?? 0));
  if (!schema) return obj;
  return schema.applyDefaults(schema.prune(obj).object) as T;
}
