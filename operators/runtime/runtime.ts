import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { applyFailure, controllerOwnerKey, desiredChild, fieldManager, statusFieldManager, upToDate } from './apply.js';
import { OWNED_CHILD_FIELDS, cacheTransform, isCutDown } from './cache-transform.js';
import type { FieldShape } from './cache-projection.js';
import { type Condition, READY, findCondition } from './conditions.js';
import type { CacheIndex, CacheReader, Controller, ReconcileContext } from './controller.js';
import { EventRecorder } from './events.js';
import { Informer, type InformerHandler } from './informer.js';
import { type InformerRole, type InformerShape, informerShape, sameShape } from './informer-roles.js';
import { type KubeClient, type KubeObject, type ResourceRef, apiVersionOf, isConflict, isNotFound, splitKey } from './kube.js';
import type { OperatorMetrics } from './metrics.js';
import { type Outcome, type ReconcileResult, resultForError } from './outcome.js';
import { ReconcileRecord } from './reconcile-record.js';
import { OwnWrites } from './own-writes.js';
import { primaryCacheFields, primaryFinishedReads, readPrimary } from './primary-cache.js';
import { transitionEvent } from './transition-event.js';
import { WorkQueue } from './queue.js';
import { workerCount } from './workers.js';
import { type StatusWithConditions, statusChanged } from './status.js';
import { copyJson } from './json-copy.js';

export interface RuntimeOptions {
  client: KubeClient;
  logger: Logger;
  metrics: OperatorMetrics;
  /** Restrict namespaced informers to these namespaces. */
  namespaces?: string[];
  /** Restrict cluster-scoped agentlab.dev informers to objects with these labels. */
  labelSelector?: string;
  /** Cap on reconciles running at once across all controllers. */
  maxConcurrentReconciles?: number;
  /** Workers per controller name, instead of the controller's own maxConcurrentReconciles. */
  controllerWorkers?: Record<string, number>;
  resyncPeriodMs?: number;
  /** Identity for Events' reportingInstance. */
  identity: string;
}

const resourceId = (r: ResourceRef): string => `${r.group}/${r.version}/${r.plural}`;

/** A resource's one informer, the roles it serves and every handler registered on it. */
interface InformerSlot {
  roles: Set<InformerRole>;
  /** Per registration, the fields it reads (undefined: whole objects). */
  fields: (FieldShape | undefined)[];
  /** Per registration, the fields it reads of a finished object (Controller.finishedCache); `finishedIs` from the controller that declared it. */
  finishedFields: (FieldShape | undefined)[];
  /** Per registration, whether it is an owned role (which reads only objects with a controller ownerReference). */
  finishedOwned: boolean[];
  finishedIs?: (obj: KubeObject) => boolean;
  handlers: InformerHandler[];
  /** Secondary indexes controllers declared (Controller.indexes). */
  indexes: CacheIndex[];
  informer?: Informer;
  shape?: InformerShape;
}

/** A counting semaphore bounding reconciles in flight across controllers. */
class Semaphore {
  private waiters: (() => void)[] = [];
  constructor(private free: number) {}
  async acquire(): Promise<void> {
    if (this.free > 0) { this.free--; return; }
    await new Promise<void>((resolve) => this.waiters.push(resolve));
  }
  release(): void {
    const next = this.waiters.shift();
    if (next) next();
    else this.free++;
  }
}

/** Metadata changes that mean the controller has something new to look at (status writes do not). */
export function primaryChanged(oldObj: KubeObject | undefined, newObj: KubeObject): boolean {
  if (!oldObj || oldObj === newObj) return true; // add, or a resync replaying the cache
  const a = oldObj.metadata ?? {};
  const b = newObj.metadata ?? {};
  return a.generation !== b.generation
    || a.deletionTimestamp !== b.deletionTimestamp
    || JSON.stringify(a.labels ?? {}) !== JSON.stringify(b.labels ?? {})
    || JSON.stringify(a.annotations ?? {}) !== JSON.stringify(b.annotations ?? {})
    || JSON.stringify(a.finalizers ?? []) !== JSON.stringify(b.finalizers ?? []);
}

/**
 * Hosts the shared informers and runs controllers on them: one work queue and worker pool per
 * controller, the reconcile loop (get, finalizer, reconcile, finalize status, event, metrics,
 * requeue) and the single place where status is written.
 */
export class Runtime implements CacheReader {
  readonly client: KubeClient;
  private readonly o: RuntimeOptions;
  private readonly informerSlots = new Map<string, InformerSlot>();
  private readonly runners: ControllerRunner[] = [];
  private readonly slots: Semaphore;
  readonly recorder: EventRecorder;
  private started = false;

  constructor(opts: RuntimeOptions) {
    this.o = opts;
    this.client = opts.client;
    this.slots = new Semaphore(opts.maxConcurrentReconciles ?? 16);
    this.recorder = new EventRecorder(opts.client, 'agentlab-operator', opts.identity, opts.logger);
  }

  /**
   * The one informer of a resource, serving `role` besides any roles it already serves
   * (informer-roles.ts decides how it lists and caches). Before the informers start, a new role
   * may change that shape: the informer is rebuilt with the handlers registered so far.
   */
  private informer(resource: ResourceRef, role: InformerRole, handler: InformerHandler, reads?: FieldShape, finished?: { is(obj: KubeObject): boolean; reads: FieldShape }): void {
    const id = resourceId(resource);
    const slot = this.informerSlots.get(id) ?? { roles: new Set<InformerRole>(), fields: [], finishedFields: [], finishedOwned: [], handlers: [], indexes: [] };
    const roles = new Set([...slot.roles, role]);
    const fields = [...slot.fields, reads];
    const finishedFields = [...slot.finishedFields, finished ? finished.reads : reads];
    const finishedOwned = [...slot.finishedOwned, role === 'owned'];
    const finishedIs = finished?.is ?? slot.finishedIs;
    const shape = informerShape(resource, roles, this.o, fields, finishedIs ? { is: finishedIs, fieldShapes: finishedFields, owned: finishedOwned } : undefined);
    if (!slot.informer || !slot.shape || !sameShape(slot.shape, shape)) {
      if (this.started && slot.informer) {
        throw new Error(`${resource.plural} is already cached as ${[...slot.roles].join(' and ')}; register every controller before the informers start`);
      }
      slot.informer = new Informer({
        client: this.client, resource, logger: this.o.logger, labelSelector: shape.labelSelector, namespaces: shape.namespaces,
        resyncPeriodMs: shape.resync ? this.o.resyncPeriodMs ?? 10 * 60_000 : 0,
        transform: cacheTransform(shape),
      });
      for (const h of slot.handlers) slot.informer.addHandler(h);
      for (const ix of slot.indexes) slot.informer.addIndex(ix);
      slot.shape = shape;
      if (this.started) slot.informer.start();
    }
    slot.roles = roles;
    slot.fields = fields;
    slot.finishedFields = finishedFields;
    slot.finishedOwned = finishedOwned;
    slot.finishedIs = finishedIs;
    slot.handlers.push(handler);
    slot.informer.addHandler(handler);
    this.informerSlots.set(id, slot);
  }

  private informerOf(resource: ResourceRef): Informer {
    const inf = this.informerSlots.get(resourceId(resource))?.informer;
    if (!inf) throw new Error(`no informer for ${resource.plural}: declare it in the controller's for, owns or watches`);
    return inf;
  }

  /** The roles a resource's informer serves and whether it caches compact children (tests, docs). */
  informerRoles(resource: ResourceRef): { roles: InformerRole[]; compact: boolean; fields?: FieldShape } | undefined {
    const slot = this.informerSlots.get(resourceId(resource));
    return slot?.shape ? { roles: [...slot.roles].sort(), compact: slot.shape.compact, ...(slot.shape.fields ? { fields: slot.shape.fields } : {}) } : undefined;
  }

  /** Objects cached per resource (plural), for benchmarks and diagnostics. */
  cacheSizes(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const s of this.informerSlots.values()) if (s.informer) out[s.informer.resource.plural] = s.informer.size;
    return out;
  }

  get<T extends KubeObject = KubeObject>(resource: ResourceRef, namespace: string | undefined, name: string): T | undefined {
    return this.informerOf(resource).get(namespace ? `${namespace}/${name}` : name) as T | undefined;
  }

  list<T extends KubeObject = KubeObject>(resource: ResourceRef, namespace?: string): T[] {
    return this.informerOf(resource).list(namespace) as T[];
  }

  byIndex<T extends KubeObject = KubeObject>(index: CacheIndex, value: string): T[] {
    return this.informerOf(index.resource).byIndex(index, value) as T[];
  }

  /** Registers a controller: wires its informers and handlers; workers start with startControllers. */
  register(controller: Controller<KubeObject>): void {
    const runner = new ControllerRunner(this, controller, this.o, this.slots);
    this.runners.push(runner);
    this.informer(controller.for, 'scoped', (type, obj, old) => {
      if (type === 'delete' || primaryChanged(old, obj)) runner.enqueue(objKey(obj));
    }, primaryCacheFields(controller), primaryFinishedReads(controller));
    for (const owned of controller.owns ?? []) {
      this.informer(owned, 'owned', (type, obj, old) => {
        if (type === 'delete' && obj.metadata?.uid) runner.forgetChild(obj.metadata.uid);
        // The echo of our own apply tells the owner nothing it does not know.
        else if (runner.isOwnWrite(owned, obj)) return;
        if (type === 'update' && old?.metadata?.resourceVersion === obj.metadata?.resourceVersion) return;
        if (type === 'update' && old && controller.ownedChanged && !controller.ownedChanged(owned, old, obj)) return;
        const key = controllerOwnerKey(obj, apiVersionOf(controller.for), controller.for.kind, controller.for.namespaced);
        if (key) runner.enqueue(key);
      }, OWNED_CHILD_FIELDS);
    }
    for (const w of controller.watches ?? []) {
      this.informer(w.resource, w.unrestricted ? 'unrestricted' : 'scoped', (type, obj, old) => {
        if (type === 'update' && old && (old === obj || (w.predicate ? !w.predicate(old, obj) : old.metadata?.resourceVersion === obj.metadata?.resourceVersion))) return;
        for (const key of w.map(obj, this, type === 'update' ? old : undefined)) runner.enqueue(key);
      }, w.fields);
    }
    for (const ix of controller.indexes ?? []) {
      const slot = this.informerSlots.get(resourceId(ix.resource));
      if (!slot?.informer) throw new Error(`controller ${controller.name}: index of ${ix.resource.plural}, which is not in its for, owns or watches`);
      slot.indexes.push(ix);
      slot.informer.addIndex(ix);
    }
  }

  private allInformers(): Informer[] {
    return [...this.informerSlots.values()].flatMap((s) => (s.informer ? [s.informer] : []));
  }

  /** Starts every informer (caches fill even on a standby replica). */
  startInformers(): void {
    this.started = true;
    for (const inf of this.allInformers()) inf.start();
  }

  async waitForCacheSync(): Promise<void> {
    await Promise.all(this.allInformers().map((i) => i.waitForSync()));
  }

  cachesSynced(): boolean {
    return this.allInformers().every((i) => i.hasSynced());
  }

  /** Starts the workers of every controller; all cached objects are queued once (level-triggered). */
  startControllers(): void {
    for (const r of this.runners) r.start();
  }

  /** Stops taking work and waits for in-flight reconciles to finish. */
  async stopControllers(): Promise<void> {
    await Promise.all(this.runners.map((r) => r.stop()));
  }

  async stopInformers(): Promise<void> {
    await Promise.all(this.allInformers().map((i) => i.stop()));
  }
}

function objKey(obj: KubeObject): string {
  const m = obj.metadata ?? {};
  return m.namespace ? `${m.namespace}/${m.name}` : `${m.name}`;
}

function clone<T>(v: T): T {
  return copyJson(v);
}

class ControllerRunner {
  private queue?: WorkQueue;
  /** Children this process applied: drift detection and write echoes. */
  private readonly applied = new OwnWrites();
  private workers: Promise<void>[] = [];
  private handleStarted = false;
  /** Counts start()s, so that a stop which ends after a newer start leaves that start alone. */
  private term = 0;
  private readonly log: Logger;

  constructor(
    private readonly rt: Runtime,
    private readonly c: Controller<KubeObject>,
    private readonly o: RuntimeOptions,
    private readonly slots: Semaphore,
  ) {
    this.log = o.logger.child({ controller: c.name });
  }

  enqueue(key: string, afterMs?: number): void {
    if (!this.queue) return;
    if (afterMs && afterMs > 0) this.queue.addAfter(key, afterMs);
    else this.queue.add(key);
  }

  forgetChild(uid: string): void {
    this.applied.forget(uid);
  }

  /** Whether this child event is the watch echo of an apply this process made. */
  isOwnWrite(resource: ResourceRef, obj: KubeObject): boolean {
    return this.applied.isEcho(resource, obj);
  }

  start(): void {
    if (this.queue && !this.queue.isShuttingDown()) return;
    this.term++;
    this.queue = new WorkQueue({ metrics: this.o.metrics.queueMetrics(this.c.name) });
    if (!this.handleStarted) {
      this.handleStarted = true;
      this.c.start?.({ client: this.rt.client, cache: this.rt, log: this.log, enqueue: (k, ms) => this.enqueue(k, ms) });
    }
    for (const obj of this.rt.list(this.c.for)) this.queue.add(objKey(obj));
    const n = workerCount(this.c, this.o.controllerWorkers);
    this.workers = Array.from({ length: n }, () => this.work(this.queue!));
  }

  async stop(): Promise<void> {
    const q = this.queue;
    if (!q) return;
    const term = this.term;
    const workers = this.workers;
    // Stop intake and drop queued keys: the next leader starts from the caches anyway.
    q.shutDownNow();
    await Promise.all(workers);
    // Leading again meanwhile (the lease lost and won back while this term's reconciles finished):
    // the new term's workers and the controller's background work (started once, kept across
    // terms) are not this stop's to end.
    if (this.term !== term) return;
    this.workers = [];
    if (this.handleStarted) {
      this.handleStarted = false;
      await this.c.stop?.();
    }
  }

  private async work(q: WorkQueue): Promise<void> {
    for (;;) {
      const key = await q.get();
      if (key === undefined) return;
      await this.slots.acquire();
      this.o.metrics.activeWorkers.inc({ controller: this.c.name });
      try {
        await this.process(q, key);
      } catch (err) {
        // process() handles reconcile errors itself; this is a bug guard so a worker never dies.
        this.log.error({ err, key }, 'unexpected error while processing key');
        q.addRateLimited(key);
      } finally {
        this.o.metrics.activeWorkers.dec({ controller: this.c.name });
        this.slots.release();
        q.done(key);
      }
    }
  }

  private async process(q: WorkQueue, key: string): Promise<void> {
    const name = this.c.name;
    const cached = this.rt.get(this.c.for, splitKey(key).namespace, splitKey(key).name);
    if (!cached) {
      this.c.forget?.(key);
      const { namespace, name: objName } = splitKey(key);
      this.o.metrics.resourceReady.remove({ kind: this.c.for.kind, namespace: namespace ?? '', name: objName });
      q.forget(key);
      return;
    }
    const started = performance.now();
    const reconcileID = randomUUID();
    const log = this.log.child({ kind: this.c.for.kind, namespace: cached.metadata?.namespace, name: cached.metadata?.name, reconcileID });
    // A kind cached cut down (Controller.cacheFields), or an object cut down as finished
    // (Controller.finishedCache), is reconciled as the API server has it.
    let live: KubeObject | undefined;
    if (this.c.cacheFields !== undefined || isCutDown(cached)) {
      try {
        live = await readPrimary(this.rt.client, this.c.for, key);
      } catch (err) {
        log.warn({ err: String(err) }, 'reading the object failed; retrying');
        this.o.metrics.reconcileErrors.inc({ controller: name });
        this.o.metrics.reconcileTotal.inc({ controller: name, result: 'error' });
        q.addRateLimited(key);
        return;
      }
      // Deleted since the cache saw it: its watch event follows and forgets the key.
      if (!live) { q.forget(key); return; }
    }
    let obj = live ?? clone(cached);
    const record = new ReconcileRecord();
    const ctx: ReconcileContext<KubeObject> = {
      object: obj, key, log, client: this.rt.client, cache: this.rt,
      apply: (resource, child) => this.applyChild(obj, resource, child),
      deleteChild: async (resource, namespace, childName) => {
        try { await this.rt.client.delete(resource, namespace, childName, { propagationPolicy: 'Background' }); } catch (err) { if (!isNotFound(err)) throw err; }
      },
      setStatus: (f) => record.setStatus(f),
      setCondition: (c) => record.setCondition(c),
      event: (type, reason, message) => { void this.rt.recorder.record(obj, type, reason, message); },
      now: () => new Date(),
    };

    let result: ReconcileResult;
    try {
      if (obj.metadata?.deletionTimestamp) {
        await this.handleDeletion(ctx);
        q.forget(key);
        this.o.metrics.reconcileTotal.inc({ controller: name, result: 'success' });
        return;
      }
      if (this.c.finalizer && !(obj.metadata?.finalizers ?? []).includes(this.c.finalizer)) {
        obj = await this.setFinalizers(obj, [...(obj.metadata?.finalizers ?? []), this.c.finalizer]);
        ctx.object = obj;
      }
      result = await this.c.reconcile(ctx);
    } catch (err) {
      const failure = resultForError(err);
      // A bug or an unforeseen failure: the stack says where (classified errors carry their own message).
      if (failure.unexpected) log.error({ err }, 'reconcile threw an unexpected error');
      result = failure;
    }
    const outcome = result.outcome;
    const prevStatus = ((live ?? cached).status ?? undefined) as StatusWithConditions | undefined;
    const next = record.nextStatus(prevStatus, outcome, obj.metadata?.generation, new Date().toISOString());
    let writeError: unknown;
    if (statusChanged(prevStatus, next)) {
      try {
        await this.writeStatus(obj, next);
      } catch (err) {
        writeError = err;
      }
    }
    if (!writeError) this.emitTransitionEvent(obj, prevStatus?.conditions, next.conditions ?? [], outcome);
    const ready = findCondition(next.conditions, READY)?.status === 'True' ? 1 : 0;
    this.o.metrics.resourceReady.set({ kind: this.c.for.kind, namespace: obj.metadata?.namespace ?? '', name: obj.metadata?.name ?? '' }, ready);
    this.o.metrics.reconcileTime.observe({ controller: name }, (performance.now() - started) / 1000);

    const conflict = writeError !== undefined && isConflict(writeError);
    const writeFailed = writeError !== undefined && !conflict && !isNotFound(writeError);
    if (outcome.kind === 'failed' || writeFailed) {
      this.o.metrics.reconcileErrors.inc({ controller: name });
      this.o.metrics.reconcileTotal.inc({ controller: name, result: 'error' });
    } else if (conflict) {
      this.o.metrics.reconcileTotal.inc({ controller: name, result: 'requeue' });
    }
    if (conflict || writeFailed) {
      if (conflict) log.debug('status write conflicted with a newer object; reconciling again');
      else log.warn({ err: String(writeError) }, 'status write failed; retrying');
      q.addRateLimited(key);
      return;
    }
    if (outcome.kind === 'failed') {
      const delay = result.requeueAfterMs ?? q.addRateLimited(key);
      if (result.requeueAfterMs !== undefined) q.addAfter(key, result.requeueAfterMs);
      log.info({ reason: outcome.reason, message: outcome.message, retryInMs: Math.round(delay) }, 'reconcile failed; backing off');
      return;
    }
    q.forget(key);
    if (result.requeueAfterMs !== undefined) {
      this.o.metrics.reconcileTotal.inc({ controller: name, result: 'requeue_after' });
      q.addAfter(key, result.requeueAfterMs);
    } else {
      this.o.metrics.reconcileTotal.inc({ controller: name, result: 'success' });
    }
    log.debug({ outcome: outcome.kind, reason: outcome.reason }, 'reconciled');
  }

  private emitTransitionEvent(obj: KubeObject, prev: Condition[] | undefined, next: Condition[], outcome: Outcome): void {
    const e = transitionEvent(prev, next, outcome);
    if (e) void this.rt.recorder.record(obj, e.type, e.reason, e.message);
  }

  private async applyChild<C extends KubeObject>(owner: KubeObject, resource: ResourceRef, child: C): Promise<C> {
    const desired = desiredChild(owner, resource, child);
    const name = desired.metadata!.name!;
    const live = this.rt.get<C>(resource, desired.metadata?.namespace, name);
    const uid = live?.metadata?.uid;
    if (live && upToDate(desired, live, this.applied.appliedGeneration(uid))) return live;
    this.applied.started(resource, desired);
    let applied: C | undefined;
    try {
      applied = await this.rt.client.apply<C>(resource, desired, fieldManager(this.c.name));
    } catch (err) {
      throw applyFailure(err, resource, desired);
    } finally {
      this.applied.finished(resource, desired, applied);
    }
    delete applied.metadata?.managedFields;
    return applied;
  }

  private async handleDeletion(ctx: ReconcileContext<KubeObject>): Promise<void> {
    const fin = this.c.finalizer;
    const finalizers = ctx.object.metadata?.finalizers ?? [];
    if (!fin || !finalizers.includes(fin)) return;
    await this.c.finalize?.(ctx);
    await this.setFinalizers(ctx.object, finalizers.filter((f) => f !== fin));
    ctx.log.info('finalized');
  }

  /** Writes metadata.finalizers with an optimistic lock on resourceVersion. */
  private async setFinalizers(obj: KubeObject, finalizers: string[]): Promise<KubeObject> {
    const m = obj.metadata ?? {};
    const updated = await this.rt.client.mergePatch<KubeObject>(this.c.for, m.namespace, m.name ?? '', {
      metadata: { finalizers, resourceVersion: m.resourceVersion },
    }, { fieldManager: fieldManager(this.c.name) });
    delete updated.metadata?.managedFields;
    return updated;
  }

  /**
   * Replaces status through the status subresource, with the cached resourceVersion as an
   * optimistic lock. A conflict means our view was stale (often our own previous status write
   * had not reached the cache yet); the status was computed from that stale view, so it is not
   * re-applied on top of the fresh object: the caller requeues the key and reconciles again.
   */
  private async writeStatus(obj: KubeObject, status: StatusWithConditions): Promise<void> {
    await this.rt.client.replace(this.c.for, { ...obj, status }, 'status', { fieldManager: statusFieldManager(this.c.name) });
  }
}
