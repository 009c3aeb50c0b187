import { FieldSet } from './fieldpath.js';
import { isObject, show, type JsonObject } from './values.js';

export type Operation = 'Apply' | 'Update';

/** One metav1.ManagedFieldsEntry, with its fieldsV1 decoded. */
export interface ManagerEntry {
  manager: string;
  operation: Operation;
  apiVersion: string;
  subresource?: string;
  time?: string;
  set: FieldSet;
}

/** metadata.managedFields as stored. */
export interface ManagedFieldsEntry {
  manager: string;
  operation: Operation;
  apiVersion: string;
  time?: string;
  fieldsType: 'FieldsV1';
  fieldsV1: JsonObject;
  subresource?: string;
}

/**
 * The identity of a manager, as managedfields.BuildManagerIdentifier builds it: name, operation,
 * subresource, and the apiVersion for Update entries only (an applier keeps one entry across versions).
 */
export function managerIdentity(e: Pick<ManagerEntry, 'manager' | 'operation' | 'apiVersion' | 'subresource'>): string {
  const id: Record<string, string> = { manager: e.manager, operation: e.operation };
  if (e.operation === 'Update') id.apiVersion = e.apiVersion;
  if (e.subresource) id.subresource = e.subresource;
  return JSON.stringify(id);
}

/** How kube-apiserver names a manager in a conflict: `"kubectl" with subresource "status" using v1`. */
export function describeManager(e: Pick<ManagerEntry, 'manager' | 'operation' | 'apiVersion' | 'subresource'>): string {
  let s = JSON.stringify(e.manager);
  if (e.subresource) s += ` with subresource ${JSON.stringify(e.subresource)}`;
  if (e.operation === 'Update') s += ` using ${e.apiVersion}`;
  return s;
}

/** Decodes metadata.managedFields; throws an Error naming the bad entry. A later duplicate wins. */
export function decodeManagedFields(entries: unknown): Map<string, ManagerEntry> {
  const out = new Map<string, ManagerEntry>();
  if (entries === undefined || entries === null) return out;
  if (!Array.isArray(entries)) throw new Error(`metadata.managedFields: expected a list, got ${show(entries)}`);
  entries.forEach((raw, i) => {
    const where = `metadata.managedFields[${i}]`;
    if (!isObject(raw)) throw new Error(`${where}: expected an object`);
    if (raw.operation !== 'Apply' && raw.operation !== 'Update') throw new Error(`${where}.operation: must be Apply or Update, got ${show(raw.operation)}`);
    if (raw.fieldsType !== undefined && raw.fieldsType !== 'FieldsV1') throw new Error(`${where}.fieldsType: must be FieldsV1, got ${show(raw.fieldsType)}`);
    let set: FieldSet;
    try {
      set = FieldSet.fromFieldsV1(raw.fieldsV1 ?? {});
    } catch (e) {
      throw new Error(`${where}.fieldsV1: ${(e as Error).message}`);
    }
    const entry: ManagerEntry = {
      manager: typeof raw.manager === 'string' ? raw.manager : '',
      operation: raw.operation,
      apiVersion: typeof raw.apiVersion === 'string' ? raw.apiVersion : '',
      set,
    };
    if (typeof raw.subresource === 'string' && raw.subresource) entry.subresource = raw.subresource;
    if (typeof raw.time === 'string') entry.time = raw.time;
    out.set(managerIdentity(entry), entry);
  });
  return out;
}

/** Decodes, treating unreadable managedFields as none (kube-apiserver's emptyManagedFieldsOnErr). */
export function decodeManagedFieldsOrEmpty(entries: unknown): Map<string, ManagerEntry> {
  try {
    return decodeManagedFields(entries);
  } catch {
    return new Map();
  }
}

function seconds(t: string | undefined): number {
  const ms = t ? Date.parse(t) : NaN;
  return Number.isNaN(ms) ? 0 : Math.floor(ms / 1000);
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Encodes non-empty entries in kube-apiserver's order: operation, time, manager, apiVersion, subresource. */
export function encodeManagedFields(managers: Map<string, ManagerEntry>): ManagedFieldsEntry[] {
  return [...managers.values()]
    .filter((e) => !e.set.isEmpty())
    .sort(
      (p, q) =>
        cmp(p.operation, q.operation) ||
        seconds(p.time) - seconds(q.time) ||
        cmp(p.manager, q.manager) ||
        cmp(p.apiVersion, q.apiVersion) ||
        cmp(p.subresource ?? '', q.subresource ?? ''),
    )
    .map((e) => {
      const out: ManagedFieldsEntry = { manager: e.manager, operation: e.operation, apiVersion: e.apiVersion } as ManagedFieldsEntry;
      if (e.time !== undefined) out.time = e.time;
      out.fieldsType = 'FieldsV1';
      out.fieldsV1 = e.set.toFieldsV1();
      if (e.subresource) out.subresource = e.subresource;
      return out;
    });
}

/** kube-apiserver keeps at most this many Update entries (capmanagers.go). */
export const MAX_UPDATE_MANAGERS = 10;
export const ANCIENT_CHANGES_MANAGER = 'ancient-changes';

/**
 * Merges the oldest Update entries, per API version, into an "ancient-changes" entry until at most
 * MAX_UPDATE_MANAGERS Update entries remain, as kube-apiserver does after every write.
 */
export function capUpdateManagers(managers: Map<string, ManagerEntry>): void {
  const updaters = [...managers.entries()].filter(([, e]) => e.operation === 'Update');
  if (updaters.length <= MAX_UPDATE_MANAGERS) return;
  updaters.sort(([ka, a], [kb, b]) => seconds(a.time) - seconds(b.time) || cmp(ka, kb));
  const firstOfVersion = new Map<string, string>();
  let remaining = updaters.length;
  for (const [key, e] of updaters) {
    if (remaining <= MAX_UPDATE_MANAGERS) break;
    const first = firstOfVersion.get(e.apiVersion);
    if (first === undefined) {
      firstOfVersion.set(e.apiVersion, key);
      continue;
    }
    const bucketId = managerIdentity({ manager: ANCIENT_CHANGES_MANAGER, operation: 'Update', apiVersion: e.apiVersion });
    let bucket = managers.get(bucketId);
    if (!bucket) {
      const firstEntry = managers.get(first)!;
      managers.delete(first);
      bucket = { ...firstEntry, manager: ANCIENT_CHANGES_MANAGER, subresource: undefined };
      delete bucket.subresource;
      managers.set(bucketId, bucket);
    }
    bucket.set = bucket.set.union(e.set);
    bucket.time = e.time;
    managers.delete(key);
    remaining--;
  }
}
