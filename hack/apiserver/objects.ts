/**
 * The write path every verb shares (create, update, patch, delete), with kube-apiserver's
 * object semantics: server-owned metadata, optimistic concurrency, generation, status
 * subresource rules, finalizers and deletionTimestamp, managedFields, dryRun.
 */
import { admitRuntimeClass } from './runtime-class-admission.js';
import { randomUUID } from 'node:crypto';
import { builtinTypeInfo, trackUpdate, typeInfoFromOpenAPI, type TypeInfo } from './patch/index.js';
import { admitOnCreate, applyBuiltinDefaults, applyJobSelector, initialStatus, invalidSecretData } from './defaults.js';
import { validateBuiltin } from './builtin-validation.js';
import { kindMismatch } from './kind-mismatch.js';
import { nowRfc3339 } from './duration.js';
import { needsReadDefaults, readDefaults, storedAsServed } from './read-defaults.js';
import {
  alreadyExists, badRequest, conflict, fieldCause, forbidden, invalid, notFound, STALE_OBJECT, successStatus, type Status, type StatusCause,
} from './errors.js';
import { generateName } from './names.js';
import { apiVersionOf, fieldsOf, storageKey, type ResourceInfo } from './registry.js';
import type { ServerContext } from './context.js';
import type { Entry } from './store.js';
import { dropEmptyMeta, graceElapsed, specChanged, specFinalizers, withoutManagedTimes } from './object-rules.js';
import { isRecord, jsonEqual, type KObject, type StoredObject } from './types.js';
import type { UserInfo } from './auth/user.js';
import { customPipeline, throwIfInvalid, validateObjectMeta, type FieldValidation } from './validation.js';
import { copyJson } from '../../operators/runtime/json-copy.js';

export interface WriteOptions {
  dryRun: boolean;
  fieldManager: string;
  fieldValidation: FieldValidation;
  /** Who asks (after impersonation); unset for the server's own controllers, whose writes skip admission policies. */
  user?: UserInfo;
}

export interface WriteResult {
  object: StoredObject;
  warnings: string[];
  /**
   * The object as served, already serialized, when that is exactly what was stored: a response
   * can send it without copying or serializing the object again.
   */
  json?: string;
}

export type Subresource = 'status' | undefined;

export interface DeleteOptions {
  propagationPolicy?: 'Orphan' | 'Background' | 'Foreground';
  gracePeriodSeconds?: number;
  preconditions?: { uid?: string; resourceVersion?: string };
  dryRun: boolean;
  user?: UserInfo;
}

/** A write as validating admission sees it, after defaulting and validation, before storage. */
export interface AdmissionAttributes {
  r: ResourceInfo;
  operation: 'CREATE' | 'UPDATE' | 'DELETE';
  subresource: string;
  namespace: string;
  name: string;
  object: KObject | null;
  oldObject: KObject | null;
  user: UserInfo;
  dryRun: boolean;
}

/** Validating admission: returns warnings, throws the refusal. */
export type AdmissionHook = (a: AdmissionAttributes) => string[];

export type CommitHook = (r: ResourceInfo, type: 'ADDED' | 'MODIFIED' | 'DELETED', obj: StoredObject) => void;

/** Resources whose PUT creates a missing object (rest.Updater AllowCreateOnUpdate). */
const CREATE_ON_UPDATE = new Set(['endpoints.', 'events.', 'events.events.k8s.io', 'leases.coordination.k8s.io',
  'roles.rbac.authorization.k8s.io', 'rolebindings.rbac.authorization.k8s.io', 'clusterroles.rbac.authorization.k8s.io',
  'clusterrolebindings.rbac.authorization.k8s.io']);

/** Built-ins whose DELETE answers with the deleted object rather than a Status. */
const RETURNS_DELETED_OBJECT = new Set(['pods.', 'services.', 'namespaces.', 'nodes.', 'persistentvolumeclaims.',
  'customresourcedefinitions.apiextensions.k8s.io', 'deployments.apps', 'jobs.batch']);

export const NAMESPACE_GR = 'namespaces.';

/** Resource-specific validation (e.g. CRD specs), run after defaulting like a strategy's Validate. */
export type Validator = (obj: KObject, old: KObject | undefined) => StatusCause[];

/** Options for writes the server's own controllers make. */
export function internalWrite(fieldManager: string): WriteOptions {
  return { dryRun: false, fieldManager, fieldValidation: 'Ignore' };
}

export class ObjectService {
  private hooks: CommitHook[] = [];
  private validators = new Map<string, Validator>();
  /** Finalizers a resource's DELETE adds before anything is removed (CRD instance cleanup). */
  private deleteFinalizers = new Map<string, string[]>();
  /** Refuses creates of a resource while it is going away (a terminating CRD). */
  createGuard: (r: ResourceInfo) => void = () => {};
  /** Validating admission (admission policies) for requests made by a user. */
  admission: AdmissionHook = () => [];
  /**
   * Whether `admission` can have anything to say (some policy binding exists); when not, a write
   * skips building the admission attributes (copies of the object and old object).
   */
  admissionActive: () => boolean = () => false;
  private typeInfos = new WeakMap<ResourceInfo, TypeInfo>();
  private nextServiceIp = 1;

  constructor(private readonly ctx: ServerContext) {}

  onCommit(hook: CommitHook): void { this.hooks.push(hook); }
  addValidator(storage: string, v: Validator): void { this.validators.set(storage, v); }
  addDeleteFinalizer(storage: string, finalizer: string): void {
    this.deleteFinalizers.set(storage, [...(this.deleteFinalizers.get(storage) ?? []), finalizer]);
  }

  typeInfo(r: ResourceInfo): TypeInfo {
    let t = this.typeInfos.get(r);
    if (!t) {
      t = r.custom?.openAPISchema ? typeInfoFromOpenAPI(r.custom.openAPISchema) : builtinTypeInfo(apiVersionOf(r), r.kind);
      this.typeInfos.set(r, t);
    }
    return t;
  }

  /** The stored object as the requested version serves it. */
  get(r: ResourceInfo, ns: string, name: string): StoredObject {
    const obj = this.ctx.store.get(storageKey(r), ns, name);
    if (!obj) throw notFound(r, name);
    return this.present(r, obj);
  }

  tryGet(r: ResourceInfo, ns: string, name: string): StoredObject | undefined {
    const obj = this.ctx.store.get(storageKey(r), ns, name);
    return obj ? this.present(r, obj) : undefined;
  }

  /** Stored form -> the form the requested version serves. */
  present<T extends KObject>(r: ResourceInfo, stored: T): T {
    if (r.storage) return r.storage.fromStorage(stored) as T;
    const obj = readDefaults(this.ctx.registry, r, stored);
    obj.apiVersion = apiVersionOf(r);
    return obj;
  }

  /** Request form -> stored form (storage version for CRDs, core/v1 for events.k8s.io). */
  private toStored(r: ResourceInfo, obj: KObject): KObject {
    if (r.storage) return r.storage.toStorage(obj);
    if (r.custom && !r.custom.storage) {
      const sv = this.ctx.registry.versionsOf(r.group, r.resource).find((x) => x.custom?.storage);
      if (sv) obj.apiVersion = apiVersionOf(sv);
    }
    return obj;
  }

  checkNamespace(r: ResourceInfo, ns: string, name: string): void {
    if (!r.namespaced) return;
    const nsEntry = this.ctx.store.getEntry(NAMESPACE_GR, '', ns);
    if (!nsEntry) throw notFound({ group: '', resource: 'namespaces' }, ns);
    if (nsEntry.deleting) {
      throw forbidden(r, name, `unable to create new content in namespace ${ns} because it is being terminated`,
        [{ reason: 'NamespaceTerminating', message: `namespace ${ns} is being terminated`, field: 'metadata.namespace' }]);
    }
  }

  /** Checks that a request body is an object of this resource's kind. */
  checkBody(r: ResourceInfo, body: unknown, ns: string): KObject {
    if (!isRecord(body)) throw badRequest('the body of the request must be a JSON or YAML object');
    const obj = body as KObject;
    // Built-in types decode with the URL's group/version/kind as defaults; custom resources are unstructured and must say what they are.
    if (!r.custom && (obj.kind === undefined || obj.kind === '')) obj.kind = r.kind;
    if (!r.custom && (obj.apiVersion === undefined || obj.apiVersion === '')) obj.apiVersion = apiVersionOf(r);
    if (obj.kind === undefined || obj.kind === '') throw badRequest(`Object 'Kind' is missing in '${JSON.stringify(body).slice(0, 200)}'`);
    if (obj.apiVersion !== undefined && obj.apiVersion !== apiVersionOf(r)) {
      const other = this.ctx.registry.all().find((x) => x.group === r.group && x.resource === r.resource && apiVersionOf(x) === obj.apiVersion);
      if (!other) throw badRequest(`the API version in the data (${String(obj.apiVersion)}) does not match the expected API version (${apiVersionOf(r)})`);
    }
    if (obj.kind !== r.kind) throw kindMismatch(this.ctx.registry.all(), r, obj);
    if (obj.metadata !== undefined && !isRecord(obj.metadata)) throw badRequest('metadata must be an object');
    obj.metadata ??= {};
    if (r.namespaced) {
      if (obj.metadata.namespace && ns && obj.metadata.namespace !== ns) {
        throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
      }
      obj.metadata.namespace = ns;
    } else delete obj.metadata.namespace;
    obj.apiVersion = apiVersionOf(r);
    return this.toStored(r, obj);
  }

  create(r: ResourceInfo, ns: string, body: unknown, opts: WriteOptions, managed?: (o: KObject) => KObject): WriteResult {
    const obj = this.checkBody(r, body, ns);
    const meta = obj.metadata!;
    if (!meta.name) {
      if (!meta.generateName) {
        throw invalid(r.kind, r.group, '', [fieldCause('FieldValueRequired', 'metadata.name', 'name or generateName is required')]);
      }
      meta.name = generateName(meta.generateName);
    }
    const name = meta.name;
    if (meta.resourceVersion) throw badRequest('resourceVersion should not be set on objects to be created');
    this.checkNamespace(r, ns, name);
    const gr = storageKey(r);
    meta.uid = randomUUID();
    meta.creationTimestamp = nowRfc3339();
    delete meta.deletionTimestamp; delete meta.deletionGracePeriodSeconds; delete meta.selfLink;
    if (r.generation || r.custom) meta.generation = 1; else delete meta.generation;
    // A new object's status is the server's, except for Nodes, which kubelets register with their status.
    if (r.status && gr !== 'nodes.') {
      const st = r.custom ? undefined : initialStatus(gr, obj);
      if (st === undefined) delete obj.status; else obj.status = st;
    }
    let warnings: string[] = [];
    let final: KObject = obj;
    if (r.custom?.schema) ({ object: final, warnings } = customPipeline(r.custom.schema, r, obj, undefined, opts.fieldValidation));
    // Built-in bodies were decoded (unknown fields dropped) by the handler: builtin-decode.ts.
    else if (!r.custom) applyBuiltinDefaults(gr, final);
    if (gr === 'pods.') admitRuntimeClass(final, name, (rc) => this.ctx.store.get('runtimeclasses.node.k8s.io', '', rc));
    if (gr === 'services.') this.allocateClusterIp(final);
    if (gr === 'jobs.batch') applyJobSelector(final, meta.uid, name);
    this.checkDecodable(gr, final);
    dropEmptyMeta(final);
    throwIfInvalid(r, name, [...validateObjectMeta(r, final, undefined), ...(this.validators.get(gr)?.(final, undefined) ?? []),
      ...(r.custom ? [] : validateBuiltin(gr, final, undefined))]);
    if (opts.user && this.admissionActive()) {
      warnings = [...warnings, ...this.admission({ r, operation: 'CREATE', subresource: '', namespace: ns, name, object: this.present(r, copyJson(final)),
        oldObject: null, user: opts.user, dryRun: opts.dryRun })];
    }
    this.createGuard(r);
    if (this.ctx.store.getEntry(gr, ns, name)) throw alreadyExists(r, name);
    final = managed ? managed(final) : trackUpdate({ updated: final, manager: opts.fieldManager, types: this.typeInfo(r),
      apiVersion: apiVersionOf(r), statusSubresource: r.status, now: nowRfc3339() }) as KObject;
    // Admission runs after the field manager has recorded the request, so what it adds has no manager.
    admitOnCreate(gr, final);
    if (opts.dryRun) return { object: this.present(r, final as StoredObject), warnings };
    return this.written(r, this.commitEntry(r, final as StoredObject, 'ADDED'), { warnings });
  }

  /**
   * Replaces an object (PUT, and the last step of every patch). `managed` computes managedFields
   * (server-side apply supplies it); otherwise they are tracked as an Update by fieldManager.
   */
  update(r: ResourceInfo, ns: string, name: string, body: unknown, opts: WriteOptions, sub: Subresource,
    managed?: (o: KObject, live: KObject) => KObject): WriteResult & { created: boolean } {
    const obj = this.checkBody(r, body, ns);
    const meta = obj.metadata!;
    if (meta.name === undefined || meta.name === '') meta.name = name;
    if (meta.name !== name) throw badRequest(`the name of the object (${meta.name}) does not match the name on the URL (${name})`);
    const gr = storageKey(r);
    const live = this.ctx.store.get(gr, ns, name);
    if (!live) {
      if (sub || !CREATE_ON_UPDATE.has(gr)) throw notFound(r, name);
      if (isRecord(body) && isRecord(body.metadata)) delete body.metadata.resourceVersion;
      return Object.assign(this.create(r, ns, body, opts), { created: true });
    }
    if (meta.resourceVersion) {
      if (meta.resourceVersion !== live.metadata.resourceVersion) throw conflict(r, name, STALE_OBJECT);
    } else if (r.custom) {
      throw invalid(r.kind, r.group, name, [{ reason: 'FieldValueInvalid', field: 'metadata.resourceVersion', message: 'Invalid value: 0x0: must be specified for an update' }]);
    }
    if (meta.uid && meta.uid !== live.metadata.uid) {
      throw conflict(r, name, `Precondition failed: UID in precondition: ${meta.uid}, UID in object meta: ${live.metadata.uid}`);
    }
    let next: KObject;
    if (sub === 'status') {
      next = { ...copyJson(live), metadata: { ...copyJson(live.metadata), managedFields: meta.managedFields ?? live.metadata.managedFields } };
      if (obj.status === undefined) delete next.status; else next.status = obj.status;
    } else {
      next = obj;
      const m = next.metadata!;
      m.uid = live.metadata.uid;
      m.creationTimestamp = live.metadata.creationTimestamp;
      if (live.metadata.deletionTimestamp) m.deletionTimestamp = live.metadata.deletionTimestamp; else delete m.deletionTimestamp;
      if (live.metadata.deletionGracePeriodSeconds !== undefined) m.deletionGracePeriodSeconds = live.metadata.deletionGracePeriodSeconds;
      else delete m.deletionGracePeriodSeconds;
      if (live.metadata.generation !== undefined) m.generation = live.metadata.generation; else delete m.generation;
      delete m.selfLink;
      if (r.status) { if (live.status === undefined) delete next.status; else next.status = live.status; }
      if (gr === NAMESPACE_GR && live.spec !== undefined) next.spec = live.spec;
    }
    let warnings: string[] = [];
    if (r.custom?.schema) {
      const { managedFields } = next.metadata!;
      ({ object: next, warnings } = customPipeline(r.custom.schema, r, next, live, opts.fieldValidation));
      if (managedFields) next.metadata!.managedFields = managedFields;
    } else if (!r.custom) applyBuiltinDefaults(gr, next);
    if (gr === 'services.') this.keepClusterIp(next, live);
    if (!sub) this.checkDecodable(gr, next);
    dropEmptyMeta(next);
    throwIfInvalid(r, name, [...validateObjectMeta(r, next, live), ...(sub ? [] : this.validators.get(gr)?.(next, live) ?? []),
      ...(r.custom || sub ? [] : validateBuiltin(gr, next, live))]);
    if (next.metadata!.generation !== undefined && specChanged(r, live, next)) next.metadata!.generation = (live.metadata.generation ?? 0) + 1;
    if (opts.user && this.admissionActive()) {
      warnings = [...warnings, ...this.admission({ r, operation: 'UPDATE', subresource: sub ?? '', namespace: ns, name,
        object: this.present(r, copyJson(next)), oldObject: this.present(r, copyJson(live)), user: opts.user, dryRun: opts.dryRun })];
    }
    next.metadata!.resourceVersion = live.metadata.resourceVersion;
    next = managed ? managed(next, live) : trackUpdate({ live, updated: next, manager: opts.fieldManager, types: this.typeInfo(r),
      apiVersion: apiVersionOf(r), subresource: sub, statusSubresource: r.status, now: nowRfc3339() }) as KObject;
    // An update that changes nothing but managedFields timestamps is not written (no new resourceVersion, no event).
    if (jsonEqual(withoutManagedTimes(next), withoutManagedTimes(live))) return { object: this.present(r, live), warnings, created: false };
    if (opts.dryRun) return { object: this.present(r, next as StoredObject), warnings, created: false };
    const finalizing = next.metadata!.deletionTimestamp && !(next.metadata!.finalizers?.length) && graceElapsed(next)
      && !(gr === NAMESPACE_GR && specFinalizers(next).length);
    if (finalizing) return { object: this.present(r, copyJson(this.remove(r, next as StoredObject))), warnings, created: false };
    return this.written(r, this.commitEntry(r, next as StoredObject, 'MODIFIED'), { warnings, created: false });
  }

  delete(r: ResourceInfo, ns: string, name: string, opts: DeleteOptions): { code: number; body: StoredObject | Status; warnings?: string[] } {
    const gr = storageKey(r);
    const live = this.ctx.store.get(gr, ns, name);
    if (!live) throw notFound(r, name);
    const pre = opts.preconditions ?? {};
    if (pre.uid && pre.uid !== live.metadata.uid) {
      throw conflict(r, name, `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${live.metadata.uid}`);
    }
    if (pre.resourceVersion && pre.resourceVersion !== live.metadata.resourceVersion) {
      throw conflict(r, name, `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${live.metadata.resourceVersion}`);
    }
    const warnings = opts.user && this.admissionActive() ? this.admission({ r, operation: 'DELETE', subresource: '', namespace: ns, name, object: null,
      oldObject: this.present(r, copyJson(live)), user: opts.user, dryRun: opts.dryRun }) : [];
    const out = this.deleteAdmitted(r, ns, name, live, opts);
    return warnings.length ? { ...out, warnings } : out;
  }

  private deleteAdmitted(r: ResourceInfo, ns: string, name: string, live: StoredObject, opts: DeleteOptions): { code: number; body: StoredObject | Status } {
    const gr = storageKey(r);
    const next = copyJson(live);
    const m = next.metadata;
    const finalizers = new Set(m.finalizers ?? []);
    if (opts.propagationPolicy === 'Orphan') { finalizers.add('orphan'); finalizers.delete('foregroundDeletion'); }
    if (opts.propagationPolicy === 'Foreground') { finalizers.add('foregroundDeletion'); finalizers.delete('orphan'); }
    if (opts.propagationPolicy === 'Background') { finalizers.delete('orphan'); finalizers.delete('foregroundDeletion'); }
    if (!m.deletionTimestamp) for (const f of this.deleteFinalizers.get(gr) ?? []) finalizers.add(f);
    const grace = this.gracePeriod(gr, live, opts);
    const namespaceTerminating = gr === NAMESPACE_GR;
    if (finalizers.size === 0 && grace === 0 && !namespaceTerminating) {
      if (opts.dryRun) return { code: 200, body: this.present(r, live) };
      const removed = this.remove(r, live);
      return { code: 200, body: RETURNS_DELETED_OBJECT.has(gr) || r.custom ? this.present(r, copyJson(removed)) : successStatus(r, name, live.metadata.uid) };
    }
    const alreadyDeleting = !!m.deletionTimestamp;
    if (alreadyDeleting && jsonEqual([...finalizers], m.finalizers ?? []) && (grace >= (m.deletionGracePeriodSeconds ?? 0))) {
      return { code: 200, body: this.present(r, live) };
    }
    m.finalizers = finalizers.size ? [...finalizers] : undefined;
    if (!m.finalizers) delete m.finalizers;
    const now = Date.now();
    if (!alreadyDeleting || grace < (m.deletionGracePeriodSeconds ?? 0)) {
      m.deletionTimestamp = nowRfc3339(new Date(now + grace * 1000));
      m.deletionGracePeriodSeconds = grace;
    }
    if (!alreadyDeleting && m.generation !== undefined) m.generation += 1;
    if (namespaceTerminating) next.status = { ...(isRecord(next.status) ? next.status : {}), phase: 'Terminating' };
    if (opts.dryRun) return { code: 200, body: this.present(r, next) };
    const stored = this.commit(r, next, 'MODIFIED');
    return { code: 200, body: this.present(r, copyJson(stored)) };
  }

  /** PUT namespaces/<name>/finalize: the only way to change spec.finalizers. */
  finalizeNamespace(r: ResourceInfo, name: string, body: unknown, opts: WriteOptions): StoredObject {
    const obj = this.checkBody(r, body, '');
    const live = this.ctx.store.get(NAMESPACE_GR, '', name);
    if (!live) throw notFound(r, name);
    if (obj.metadata?.resourceVersion && obj.metadata.resourceVersion !== live.metadata.resourceVersion) throw conflict(r, name, STALE_OBJECT);
    const next = copyJson(live);
    next.spec = { ...(isRecord(live.spec) ? live.spec : {}), finalizers: specFinalizers(obj) };
    if (jsonEqual(next, live)) return live;
    if (opts.dryRun) return next;
    if (next.metadata.deletionTimestamp && specFinalizers(next).length === 0 && !(next.metadata.finalizers?.length)) return this.remove(r, next);
    return this.commit(r, next, 'MODIFIED');
  }

  /** Removes an object for good and announces it (DELETED event, commit hooks). */
  remove(r: ResourceInfo, obj: StoredObject): StoredObject {
    const gr = storageKey(r);
    const final = copyJson(obj);
    final.metadata.resourceVersion = String(this.ctx.store.nextRv());
    this.ctx.store.remove(gr, final.metadata.namespace ?? '', final.metadata.name, final);
    for (const h of this.hooks) h(r, 'DELETED', final);
    return final;
  }

  private commit(r: ResourceInfo, obj: StoredObject, type: 'ADDED' | 'MODIFIED'): StoredObject {
    this.commitEntry(r, obj, type);
    return obj;
  }

  private commitEntry(r: ResourceInfo, obj: StoredObject, type: 'ADDED' | 'MODIFIED'): Entry {
    obj.metadata.resourceVersion = String(this.ctx.store.nextRv());
    const entry = this.ctx.store.put(storageKey(r), obj, fieldsOf(r, obj));
    for (const h of this.hooks) h(r, type, obj);
    return entry;
  }

  /**
   * A written object as the requested version serves it: a copy decoded from the stored JSON (the
   * commit hooks keep the stored object), and that JSON itself when it is what is served.
   */
  private written<X extends { warnings: string[] }>(r: ResourceInfo, entry: Entry, extra: X): WriteResult & X {
    const present = (): StoredObject => this.present(r, JSON.parse(entry.json) as StoredObject);
    if (!storedAsServed(r) || needsReadDefaults(this.ctx.registry, r, entry.rv)) return { object: present(), ...extra };
    // The response sends the JSON as stored; the decoded copy is made only if a caller reads it
    // (a create's JSON.parse of its own 2 KB object was 3 % of the server's CPU per create).
    let object: StoredObject | undefined;
    const result = { json: entry.json, ...extra } as WriteResult & X;
    Object.defineProperty(result, 'object', { enumerable: true, configurable: true, get: () => (object ??= present()),
      set: (v: StoredObject) => { object = v; } });
    return result;
  }

  /** Graceful deletion applies to pods bound to a node and still running (pod strategy CheckGracefulDelete). */
  private gracePeriod(gr: string, live: StoredObject, opts: DeleteOptions): number {
    if (gr !== 'pods.') return 0;
    const spec = isRecord(live.spec) ? live.spec : {};
    const phase = isRecord(live.status) ? live.status.phase : undefined;
    if (!spec.nodeName || phase === 'Succeeded' || phase === 'Failed') return 0;
    const g = opts.gracePeriodSeconds ?? (typeof spec.terminationGracePeriodSeconds === 'number' ? spec.terminationGracePeriodSeconds : 30);
    // A negative grace period on a running pod becomes 1 s (podStrategy.CheckGracefulDelete), never an immediate removal.
    return g < 0 ? 1 : g;
  }

  private checkDecodable(gr: string, obj: KObject): void {
    if (gr !== 'secrets.') return;
    const problem = invalidSecretData(obj);
    if (problem) throw badRequest(problem);
  }

  private allocateClusterIp(svc: KObject): void {
    const spec = isRecord(svc.spec) ? svc.spec : (svc.spec = {}) as Record<string, unknown>;
    if (spec.type === 'ExternalName') return;
    if (spec.clusterIP === undefined || spec.clusterIP === '') {
      const n = this.nextServiceIp++;
      spec.clusterIP = `10.96.${Math.floor(n / 254) % 256}.${(n % 254) + 1}`;
    }
    spec.clusterIPs = [spec.clusterIP];
  }

  private keepClusterIp(next: KObject, live: KObject): void {
    const spec = isRecord(next.spec) ? next.spec : undefined;
    const old = isRecord(live.spec) ? live.spec : {};
    if (!spec) return;
    if (spec.clusterIP === undefined || spec.clusterIP === '') spec.clusterIP = old.clusterIP;
    if (spec.clusterIPs === undefined) spec.clusterIPs = old.clusterIPs;
  }
}
