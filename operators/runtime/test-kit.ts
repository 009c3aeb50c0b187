import pino, { type Logger } from 'pino';
import { desiredChild } from './apply.js';
import type { FieldShape } from './cache-projection.js';
import { OWNED_CHILD_FIELDS, cacheTransform } from './cache-transform.js';
import type { ConditionInput } from './conditions.js';
import type { CacheReader, Controller, ReconcileContext } from './controller.js';
import type { EventType } from './events.js';
import { type FinishedReads, type InformerRole, informerShape } from './informer-roles.js';
import { KubeApiError, type KubeClient, type KubeObject, type ResourceRef, apiVersionOf, objectKey, resourcePath } from './kube.js';
import { type ReconcileResult, resultForError } from './outcome.js';
import { primaryCacheFields, primaryFinishedReads } from './primary-cache.js';
import { ReconcileRecord } from './reconcile-record.js';
import type { StatusWithConditions } from './status.js';

/**
 * The controller test kit: a fake ReconcileContext over preloaded objects that records what a
 * reconcile did, for fast unit tests of a controller's `reconcile` without an API server
 * (integration tests under test/ cover the wiring). The status it reports is computed by the
 * runtime's own code (ReconcileRecord, resultForError), so it is what the runtime would write.
 *
 *   const run = await reconcileOnce(controller, { object: lane, cache: [namespace, modelServer] });
 *   expect(run.status.conditions).toContainEqual(expect.objectContaining({ type: 'Ready', status: 'True' }));
 *   expect(run.applied.map((a) => a.object.metadata?.name)).toEqual(['agentlab-lane']);
 */

export interface KitOptions<T extends KubeObject> {
  /** The object to reconcile, as stored (status included); the cache holds it as the operator caches it. */
  object: T;
  /**
   * What the informers hold: objects of the kinds in the controller's `for`, `owns` and `watches`
   * (with apiVersion and kind). A kind that is only owned is cached compact, as in the runtime,
   * so a controller that reads a child's spec from the cache fails here too.
   */
  cache?: KubeObject[];
  /** Objects only the API server has (read with ctx.client.get, e.g. Secrets): a missing one is a 404. */
  server?: KubeObject[];
  /** ctx.client reads of these resources fail with this API error (to test failure paths). */
  failReads?: { plural: string; code: number; message: string }[];
  now?: Date;
  log?: Logger;
}

export interface AppliedChild {
  resource: ResourceRef;
  /** As sent: through ctx.apply with the runtime's label, owner reference and hash annotation. */
  object: KubeObject;
  /** `ctx.apply` (an owned child), `client.apply` (applied directly, not owned) or `client.create` (created once, e.g. a Secret with a random token). */
  via: 'ctx.apply' | 'client.apply' | 'client.create';
}

export interface RecordedEvent { type: EventType; reason: string; message: string }

export interface FakeContext<T extends KubeObject> {
  ctx: ReconcileContext<T>;
  record: ReconcileRecord;
  /** Every apply, in call order (including ones the runtime would skip as up to date). */
  applied: AppliedChild[];
  deleted: { resource: ResourceRef; namespace?: string; name: string }[];
  /** Events the controller recorded with ctx.event (the runtime's Ready-transition events are not included). */
  events: RecordedEvent[];
}

export interface ReconcileRun<T extends KubeObject> extends FakeContext<T> {
  /** What reconcile returned, or what the runtime makes of what it threw. */
  result: ReconcileResult;
  /** What reconcile threw, if anything. */
  thrown?: unknown;
  /** The status the runtime would write (runtime conditions, observedGeneration, the controller's fields). */
  status: StatusWithConditions;
  /** The controller's own conditions, in the order it set them. */
  conditions: ConditionInput[];
}

/** A fake ReconcileContext for `controller` reconciling `opts.object`. */
export function fakeReconcileContext<T extends KubeObject>(controller: Controller<T>, opts: KitOptions<T>): FakeContext<T> {
  const roles = rolesOf(controller);
  const resources = [...roles.keys()];
  const resourceOf = (obj: KubeObject, where: string): ResourceRef => {
    const r = resources.find((x) => apiVersionOf(x) === obj.apiVersion && x.kind === obj.kind);
    if (!r) throw new Error(`${where}: ${obj.apiVersion}/${obj.kind} ${obj.metadata?.name} is not in the controller's for, owns or watches; the runtime would have no informer for it`);
    return r;
  };
  const caches = new Map<ResourceRef, Map<string, KubeObject>>(resources.map((r) => [r, new Map()]));
  // The server holds full objects: the cached ones and the uncached ones.
  const server = new Map<string, KubeObject>();
  for (const obj of [opts.object, ...(opts.cache ?? [])]) {
    const r = resourceOf(obj, 'cache');
    // Cached as the operator caches it: compact children, declared fields only, stripped.
    const transform = cacheTransform(informerShape(r, roles.get(r)!, {}, fieldsOf(controller).get(r), finishedReadsOf(controller, r)));
    caches.get(r)!.set(objectKey(obj), transform(structuredClone(obj)));
    server.set(serverKey(r.plural, obj), structuredClone(obj));
  }
  for (const obj of opts.server ?? []) server.set(serverKey(pluralOf(obj), obj), structuredClone(obj));

  const cacheOf = (r: ResourceRef) => {
    const c = [...caches.entries()].find(([x]) => x.group === r.group && x.plural === r.plural)?.[1];
    if (!c) throw new Error(`no informer for ${r.plural}: declare it in the controller's for, owns or watches`);
    return c;
  };
  const cache: CacheReader = {
    get: <O extends KubeObject>(r: ResourceRef, namespace: string | undefined, name: string) => cacheOf(r).get(namespace ? `${namespace}/${name}` : name) as O | undefined,
    list: <O extends KubeObject>(r: ResourceRef, namespace?: string) => [...cacheOf(r).values()].filter((o) => namespace === undefined || o.metadata?.namespace === namespace) as O[],
  };

  const applied: AppliedChild[] = [];
  const deleted: FakeContext<T>['deleted'] = [];
  const events: RecordedEvent[] = [];
  const record = new ReconcileRecord();
  const object = structuredClone(opts.object);
  const serverAnswer = <C extends KubeObject>(r: ResourceRef, desired: C): C => {
    const live = server.get(serverKey(r.plural, desired));
    const answer = { ...structuredClone(desired), metadata: { ...live?.metadata, ...structuredClone(desired.metadata) } } as C;
    if (live?.status !== undefined) (answer as KubeObject).status = structuredClone(live.status);
    return answer;
  };
  const client = fakeClient({
    get: async (r: ResourceRef, namespace: string | undefined, name: string) => {
      const failure = opts.failReads?.find((f) => f.plural === r.plural);
      if (failure) throw new KubeApiError(failure.code, 'GET', resourcePath(r, namespace, name), { message: failure.message });
      const obj = server.get(serverKey(r.plural, { metadata: { namespace, name } }));
      if (!obj) throw new KubeApiError(404, 'GET', resourcePath(r, namespace, name), { reason: 'NotFound', message: `${r.plural} "${name}" not found` });
      return structuredClone(obj);
    },
    apply: async (r: ResourceRef, obj: KubeObject) => {
      applied.push({ resource: r, object: structuredClone(obj), via: 'client.apply' });
      return serverAnswer(r, obj);
    },
    create: async (r: ResourceRef, obj: KubeObject) => {
      const key = serverKey(r.plural, obj);
      if (server.has(key)) throw new KubeApiError(409, 'POST', resourcePath(r, obj.metadata?.namespace), { reason: 'AlreadyExists', message: `${r.plural} "${obj.metadata?.name}" already exists` });
      applied.push({ resource: r, object: structuredClone(obj), via: 'client.create' });
      server.set(key, structuredClone(obj));
      return structuredClone(obj);
    },
    delete: async (r: ResourceRef, namespace: string | undefined, name: string) => {
      deleted.push({ resource: r, namespace, name });
      return {};
    },
  });
  const ctx: ReconcileContext<T> = {
    object,
    key: objectKey(object),
    log: opts.log ?? pino({ level: 'silent' }),
    client,
    cache,
    apply: async <C extends KubeObject>(r: ResourceRef, child: C) => {
      const desired = desiredChild(object, r, child);
      applied.push({ resource: r, object: structuredClone(desired), via: 'ctx.apply' });
      return serverAnswer(r, desired);
    },
    deleteChild: async (r, namespace, name) => { deleted.push({ resource: r, namespace, name }); },
    setStatus: (fields) => record.setStatus(fields),
    setCondition: (c) => record.setCondition(c),
    event: (type, reason, message) => { events.push({ type, reason, message }); },
    now: () => opts.now ?? new Date(),
  };
  return { ctx, record, applied, deleted, events };
}

/** Runs `controller.reconcile` once on a fake context and reports what the runtime would make of it. */
export async function reconcileOnce<T extends KubeObject>(controller: Controller<T>, opts: KitOptions<T>): Promise<ReconcileRun<T>> {
  const fake = fakeReconcileContext(controller, opts);
  let result: ReconcileResult;
  let thrown: unknown;
  try {
    result = await controller.reconcile(fake.ctx);
  } catch (err) {
    thrown = err;
    const { unexpected: _u, ...mapped } = resultForError(err);
    result = mapped;
  }
  const now = (opts.now ?? new Date()).toISOString();
  const status = fake.record.nextStatus(opts.object.status as StatusWithConditions | undefined, result.outcome, opts.object.metadata?.generation, now);
  return { ...fake, result, thrown, status, conditions: fake.record.conditions };
}

/** Per resource, the fields each registration of the controller reads (undefined: whole objects), as the runtime collects them. */
function fieldsOf(ctl: Pick<Controller, 'for' | 'owns' | 'watches' | 'cacheFields'>): Map<ResourceRef, (FieldShape | undefined)[]> {
  const byId = new Map<string, { r: ResourceRef; fields: (FieldShape | undefined)[] }>();
  const add = (r: ResourceRef, fields: FieldShape | undefined) => {
    const id = `${r.group}/${r.plural}`;
    const e = byId.get(id) ?? { r, fields: [] };
    e.fields.push(fields);
    byId.set(id, e);
  };
  add(ctl.for, primaryCacheFields(ctl));
  for (const r of ctl.owns ?? []) add(r, OWNED_CHILD_FIELDS);
  for (const w of ctl.watches ?? []) add(w.resource, w.fields);
  // Keyed by the same ResourceRef objects rolesOf returns (the first registration's).
  const roles = rolesOf(ctl);
  return new Map([...roles.keys()].map((r) => [r, byId.get(`${r.group}/${r.plural}`)!.fields]));
}

/** What each registration of the controller reads of a finished object of `r`, as the runtime collects it (Controller.finishedCache). */
function finishedReadsOf(ctl: Pick<Controller, 'for' | 'owns' | 'watches' | 'cacheFields' | 'finishedCache'>, r: ResourceRef): FinishedReads | undefined {
  const own = primaryFinishedReads(ctl);
  if (!own || ctl.for.group !== r.group || ctl.for.plural !== r.plural) return undefined;
  const shapes: (FieldShape | undefined)[] = [own.reads];
  const owned = [false];
  for (const o of ctl.owns ?? []) if (o.group === r.group && o.plural === r.plural) { shapes.push(OWNED_CHILD_FIELDS); owned.push(true); }
  for (const w of ctl.watches ?? []) if (w.resource.group === r.group && w.resource.plural === r.plural) { shapes.push(w.fields); owned.push(false); }
  return { is: own.is, fieldShapes: shapes, owned };
}

function rolesOf(ctl: Pick<Controller, 'for' | 'owns' | 'watches'>): Map<ResourceRef, Set<InformerRole>> {
  const roles = new Map<string, { r: ResourceRef; roles: Set<InformerRole> }>();
  const add = (r: ResourceRef, role: InformerRole) => {
    const id = `${r.group}/${r.plural}`;
    const e = roles.get(id) ?? { r, roles: new Set<InformerRole>() };
    e.roles.add(role);
    roles.set(id, e);
  };
  add(ctl.for, 'scoped');
  for (const r of ctl.owns ?? []) add(r, 'owned');
  for (const w of ctl.watches ?? []) add(w.resource, w.unrestricted ? 'unrestricted' : 'scoped');
  return new Map([...roles.values()].map((e) => [e.r, e.roles]));
}

const serverKey = (plural: string, obj: KubeObject) => `${plural}/${obj.metadata?.namespace ?? ''}/${obj.metadata?.name ?? ''}`;

/** Plural of a preloaded server-only object (simple English plurals: Secret, ConfigMap, ...). */
function pluralOf(obj: KubeObject): string {
  const kind = (obj.kind ?? '').toLowerCase();
  if (!kind) throw new Error(`server: object ${obj.metadata?.name} has no kind`);
  return kind.endsWith('y') ? `${kind.slice(0, -1)}ies` : kind.endsWith('s') ? `${kind}es` : `${kind}s`;
}

/** A KubeClient with only the given methods; any other call fails saying what to do. */
function fakeClient(methods: Record<string, (...args: never[]) => unknown>): KubeClient {
  return new Proxy(methods, {
    get(target, prop) {
      if (typeof prop === 'string' && prop in target) return target[prop];
      if (prop === 'then') return undefined;
      return () => { throw new Error(`the controller test kit's client has no ${String(prop)}: test this path against an API server (test/), or add it to operators/runtime/test-kit.ts`); };
    },
  }) as unknown as KubeClient;
}
