import { describe, expect, it, onTestFinished } from 'vitest';
import { useCluster } from '../harness/cluster.js';
import { startOperator } from '../../operators/manager.js';
import type { Controller, ReconcileContext } from '../../operators/runtime/controller.js';
import { Informer } from '../../operators/runtime/informer.js';
import { KubeClient, type KubeObject, type ResourceRef, isNotFound } from '../../operators/runtime/kube.js';
import { TerminalError, TransientError } from '../../operators/runtime/outcome.js';
import { testLogger } from '../modelserver/support.js';
import pino from 'pino';

const cluster = useCluster();
const WIDGETS: ResourceRef = { group: 'conformance.agentlab.dev', version: 'v1', plural: 'widgets', kind: 'Widget', namespaced: true };
const CONFIGMAPS: ResourceRef = { group: '', version: 'v1', plural: 'configmaps', kind: 'ConfigMap', namespaced: true };
const FINALIZER = 'conformance.agentlab.dev/cleanup';

type Widget = KubeObject & { spec: { size: number; color?: string }; status?: { phase?: string; replicas?: number; observedGeneration?: number; conditions?: { type: string; status: string; reason: string; message: string; lastTransitionTime: string }[] } };

/** A toy controller exercising every path of the runtime: apply, status, errors, finalizer. */
function widgetController(calls: { reconciles: Map<string, number>; finalized: string[]; failuresLeft: Map<string, number> }): Controller<Widget> {
  return {
    name: 'widget',
    for: WIDGETS,
    owns: [CONFIGMAPS],
    finalizer: FINALIZER,
    async finalize(ctx) { calls.finalized.push(ctx.key); },
    async reconcile(ctx) {
      calls.reconciles.set(ctx.key, (calls.reconciles.get(ctx.key) ?? 0) + 1);
      const w = ctx.object;
      if (w.spec.color === 'blue') throw new TerminalError('BlueNotAllowed', 'spec.color: Invalid value: "blue": blue widgets are not supported');
      const left = calls.failuresLeft.get(ctx.key) ?? 0;
      if (left > 0) {
        calls.failuresLeft.set(ctx.key, left - 1);
        throw new TransientError('Flaky', `dependency unavailable (${left} more failures)`);
      }
      await ctx.apply(CONFIGMAPS, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `${w.metadata!.name}-data` }, data: { size: String(w.spec.size) } });
      ctx.setStatus({ phase: 'Done', replicas: w.spec.size });
      return { outcome: { kind: 'ready', reason: 'Succeeded', message: `size ${w.spec.size}` } };
    },
  };
}

const ready = (w: Widget | undefined) => w?.status?.conditions?.find((c) => c.type === 'Ready');

const AGENTRUNS: ResourceRef = { group: 'agentlab.dev', version: 'v1alpha1', plural: 'agentruns', kind: 'AgentRun', namespaced: true };
type Run = KubeObject & { status?: Widget['status'] };
const SIZE_ANNOTATION = 'test.agentlab.dev/size';
const CRASH_ANNOTATION = 'test.agentlab.dev/crash';
const BUSY_ANNOTATION = 'test.agentlab.dev/busy-for-ms';

/** A toy parent (as a Flow owns AgentRuns): each AgentRun owns one Widget, reconciled by the Widget controller. */
function partsController(reconciles: Map<string, number>): Controller<Run> {
  return {
    name: 'parts',
    for: AGENTRUNS,
    owns: [WIDGETS],
    async reconcile(ctx) {
      const attempt = (reconciles.get(ctx.key) ?? 0) + 1;
      reconciles.set(ctx.key, attempt);
      const annotations = ctx.object.metadata?.annotations ?? {};
      if (annotations[CRASH_ANNOTATION]) (undefined as unknown as { crash(): void }).crash(); // a bug: TypeError
      if (annotations[BUSY_ANNOTATION] && attempt === 1) throw new TransientError('Busy', 'the backend asked to come back later', Number(annotations[BUSY_ANNOTATION]));
      const name = `${ctx.object.metadata!.name}-part`;
      const size = Number(ctx.object.metadata?.annotations?.[SIZE_ANNOTATION] ?? 2);
      await ctx.apply(WIDGETS, { apiVersion: 'conformance.agentlab.dev/v1', kind: 'Widget', metadata: { name }, spec: { size, color: 'red' } });
      const part = ctx.cache.get<Widget>(WIDGETS, ctx.object.metadata!.namespace, name);
      if (ready(part)?.status !== 'True' || part?.status?.observedGeneration !== part?.metadata?.generation) {
        return { outcome: { kind: 'progressing', reason: 'WaitingForPart', message: `waiting for Widget ${name}` } };
      }
      return { outcome: { kind: 'ready', reason: 'PartReady', message: `${name} has ${part!.status!.replicas} replicas` } };
    },
  };
}

/** The child kind's own controller: it reads the spec, so it needs full objects in the cache. */
function sizingController(): Controller<Widget> {
  return {
    name: 'sizing',
    for: WIDGETS,
    async reconcile(ctx) {
      // Sizing takes a moment, so the parent's apply echo and this status change arrive apart.
      await new Promise((r) => setTimeout(r, 300));
      ctx.setStatus({ phase: 'Sized', replicas: ctx.object.spec.size });
      return { outcome: { kind: 'ready', reason: 'Sized', message: `size ${ctx.object.spec.size}` } };
    },
  };
}

describe('reconcile runtime against the API server', () => {
  it('applies children, finalizes status once, honours the error taxonomy, and idles without writes', async () => {
    const ns = await cluster.newNamespace('rt');
    const c = new KubeClient(cluster.kc);
    onTestFinished(() => c.close());
    const calls = { reconciles: new Map<string, number>(), finalized: [] as string[], failuresLeft: new Map([[`${ns}/flaky`, 2]]) };
    const op = await startOperator({
      kubeConfig: cluster.kc, logger: testLogger(), namespaces: [ns], resyncPeriodMs: 700,
      controllerOverrides: [widgetController(calls) as never],
    });
    onTestFinished(() => op.stop());
    // A kind that is only owned is cached compact (children dominate memory).
    expect(op.runtime.informerRoles(CONFIGMAPS)).toEqual({ roles: ['owned'], compact: true });
    const get = (name: string) => c.get<Widget>(WIDGETS, ns, name);
    const create = (name: string, spec: Widget['spec']) => c.create(WIDGETS, { apiVersion: 'conformance.agentlab.dev/v1', kind: 'Widget', metadata: { name, namespace: ns }, spec });

    // Ready: child applied with the controller's field manager and an owner reference.
    await create('good', { size: 3, color: 'red' });
    const good = await cluster.waitFor(async () => { const w = await get('good'); return ready(w)?.status === 'True' ? w : undefined; });
    expect(good.status).toMatchObject({ phase: 'Done', replicas: 3, observedGeneration: 1 });
    expect(good.metadata?.finalizers).toEqual([FINALIZER]);
    const cm = await c.request<KubeObject & { data: Record<string, string>; metadata: { managedFields: { manager: string; operation: string }[] } }>(`/api/v1/namespaces/${ns}/configmaps/good-data`);
    expect(cm.data).toEqual({ size: '3' });
    expect(cm.metadata.ownerReferences?.[0]).toMatchObject({ kind: 'Widget', name: 'good', controller: true });
    expect(cm.metadata.managedFields).toContainEqual(expect.objectContaining({ manager: 'agentlab-widget', operation: 'Apply' }));
    const raw = await c.request<{ metadata: { managedFields: { manager: string; subresource?: string }[] } }>(`/apis/conformance.agentlab.dev/v1/namespaces/${ns}/widgets/good`);
    expect(raw.metadata.managedFields).toContainEqual(expect.objectContaining({ manager: 'agentlab-widget-status', subresource: 'status' }));

    // A deleted child is recreated: its owner is found through the controller owner reference.
    await c.delete(CONFIGMAPS, ns, 'good-data');
    await cluster.waitFor(async () => (await c.get(CONFIGMAPS, ns, 'good-data')).metadata?.uid !== cm.metadata?.uid);

    // Terminal error: Stalled, a Warning event, and no retries until the spec changes.
    await create('blue', { size: 1, color: 'blue' });
    const blue = await cluster.waitFor(async () => { const w = await get('blue'); return w.status?.conditions?.some((x) => x.type === 'Stalled') ? w : undefined; });
    expect(ready(blue)).toMatchObject({ status: 'False', reason: 'BlueNotAllowed' });
    expect(blue.status?.observedGeneration).toBe(1);
    const afterStall = calls.reconciles.get(`${ns}/blue`)!;
    await new Promise((r) => setTimeout(r, 500));
    expect(calls.reconciles.get(`${ns}/blue`)).toBeLessThanOrEqual(afterStall + 1); // at most one resync, no backoff retries
    // The Ready transition's event is written after the status: waited for, not read once.
    const evs = await cluster.waitFor(async () => {
      const e = await c.request<{ items: { reason: string; type: string; involvedObject: { name: string } }[] }>(`/api/v1/namespaces/${ns}/events`);
      return e.items.some((x) => x.reason === 'BlueNotAllowed' && x.involvedObject.name === 'blue') ? e : undefined;
    }, { what: 'the BlueNotAllowed event of blue' });
    expect(evs.items).toContainEqual(expect.objectContaining({ reason: 'BlueNotAllowed', type: 'Warning', involvedObject: expect.objectContaining({ name: 'blue' }) }));
    await c.mergePatch(WIDGETS, ns, 'blue', { spec: { color: 'green' } });
    const fixed = await cluster.waitFor(async () => { const w = await get('blue'); return ready(w)?.status === 'True' ? w : undefined; });
    expect(fixed.status?.observedGeneration).toBe(2);
    expect(fixed.status?.conditions?.map((x) => x.type)).toEqual(['Ready']);

    // Transient errors back off and retry until they succeed.
    await create('flaky', { size: 2, color: 'red' });
    await cluster.waitFor(async () => ready(await get('flaky'))?.status === 'True');
    expect(calls.reconciles.get(`${ns}/flaky`)).toBeGreaterThanOrEqual(3);
    const metrics = await op.registry.metrics();
    expect(metrics).toMatch(/workqueue_retries_total\{name="widget"\} [2-9]/);
    expect(metrics).toMatch(/controller_runtime_reconcile_errors_total\{controller="widget"\} [2-9]/);

    // Idle: resyncs replay every object but nothing changed, so nothing is written.
    await new Promise((r) => setTimeout(r, 300));
    const writesBefore = op.client.counter.writes;
    const total = () => [...calls.reconciles.values()].reduce((a, b) => a + b, 0);
    const reconcilesBefore = total();
    // Two resyncs' worth (700 ms apart) of reconciles of every object, waited for rather than given 1.6 s.
    await cluster.waitFor(() => total() >= reconcilesBefore + 2 * calls.reconciles.size, { what: 'two resyncs of every Widget' });
    expect(total()).toBeGreaterThan(reconcilesBefore);
    expect(op.client.counter.writes - writesBefore).toBe(0);

    // Deletion runs the finalizer, then lets the object go.
    await c.delete(WIDGETS, ns, 'good');
    await cluster.waitFor(async () => { try { await get('good'); return false; } catch (err) { return isNotFound(err); } });
    expect(calls.finalized).toEqual([`${ns}/good`]);
  }, 180_000); // 26 s in a clean-clone CI run on a loaded machine (3 s idle)

  it('serves a kind that is one controller\'s primary and another\'s child from one informer, owner mapping and echo suppression intact', async () => {
    const ns = await cluster.newNamespace('rt-roles');
    const c = new KubeClient(cluster.kc);
    onTestFinished(() => c.close());
    const reconciles = new Map<string, number>();
    // The parent registers first: its owned informer is cached compact until the Widget controller's primary role needs full objects.
    const op = await startOperator({
      kubeConfig: cluster.kc, logger: testLogger(), namespaces: [ns],
      controllerOverrides: [partsController(reconciles) as never, sizingController() as never],
    });
    onTestFinished(() => op.stop());
    expect(op.runtime.informerRoles(WIDGETS)).toEqual({ roles: ['owned', 'scoped'], compact: false });
    const getRun = () => c.get<Run>(AGENTRUNS, ns, 'job');
    const readyRun = async (message: string) => { const r = await getRun(); return ready(r as Widget)?.status === 'True' && ready(r as Widget)?.message === message ? r : undefined; };

    await c.create(AGENTRUNS, { apiVersion: 'agentlab.dev/v1alpha1', kind: 'AgentRun', metadata: { name: 'job', namespace: ns }, spec: { task: 'assemble the part' } });
    // The child's status, written by the other controller, requeues the parent through its controller ownerReference.
    await cluster.waitFor(() => readyRun('job-part has 2 replicas'));
    const part = await c.get<Widget>(WIDGETS, ns, 'job-part');
    expect(part.status).toMatchObject({ phase: 'Sized', replicas: 2 });
    expect(part.metadata?.ownerReferences).toEqual([expect.objectContaining({ kind: 'AgentRun', name: 'job', controller: true })]);

    // A spec change: the parent applies the child (its own echo must not requeue it), the child's
    // controller sizes it, and that status change requeues the parent once.
    await new Promise((r) => setTimeout(r, 300));
    const before = reconciles.get(`${ns}/job`)!;
    await c.mergePatch(AGENTRUNS, ns, 'job', { metadata: { annotations: { [SIZE_ANNOTATION]: '5' } } });
    await cluster.waitFor(() => readyRun('job-part has 5 replicas'));
    await new Promise((r) => setTimeout(r, 500));
    expect(reconciles.get(`${ns}/job`)).toBe(before + 2);
  }, 180_000); // 24 s in a clean-clone CI run on a loaded machine (2 s idle)

  it('requeues an owner only for the child updates its ownedChanged passes; adds and deletes always', async () => {
    const ns = await cluster.newNamespace('rt-owned-changed');
    const c = new KubeClient(cluster.kc);
    onTestFinished(() => c.close());
    const calls = { reconciles: new Map<string, number>(), finalized: [] as string[], failuresLeft: new Map<string, number>() };
    const ctl: Controller<Widget> = { ...widgetController(calls), ownedChanged: (_r, a, b) => a.metadata?.labels?.watched !== b.metadata?.labels?.watched };
    const op = await startOperator({ kubeConfig: cluster.kc, logger: testLogger(), namespaces: [ns], controllerOverrides: [ctl as never] });
    onTestFinished(() => op.stop());
    await c.create(WIDGETS, { apiVersion: 'conformance.agentlab.dev/v1', kind: 'Widget', metadata: { name: 'w', namespace: ns }, spec: { size: 1, color: 'red' } });
    await cluster.waitFor(async () => ready(await c.get<Widget>(WIDGETS, ns, 'w'))?.status === 'True');
    const count = () => calls.reconciles.get(`${ns}/w`) ?? 0;
    const cached = (label: string) => op.runtime.get(CONFIGMAPS, ns, 'w-data')?.metadata?.labels?.[label] === '1';
    await new Promise((r) => setTimeout(r, 300));
    const before = count();

    // An update the predicate refuses reaches the cache and requeues nothing; the next one it passes requeues once.
    await c.mergePatch(CONFIGMAPS, ns, 'w-data', { metadata: { labels: { ignored: '1' } } });
    await cluster.waitFor(() => cached('ignored'));
    await c.mergePatch(CONFIGMAPS, ns, 'w-data', { metadata: { labels: { watched: '1' } } });
    await cluster.waitFor(() => cached('watched') && count() > before);
    await new Promise((r) => setTimeout(r, 500));
    expect(count()).toBe(before + 1);

    // A deleted child requeues the owner, which applies it again.
    await c.delete(CONFIGMAPS, ns, 'w-data');
    await cluster.waitFor(async () => { try { return (await c.get(CONFIGMAPS, ns, 'w-data')).metadata?.labels?.watched === undefined; } catch { return false; } });
  }, 180_000);

  it('stalls an owner whose child the API server rejects, retries a TransientError after its retryAfterMs, and logs unexpected errors with their stack', async () => {
    const ns = await cluster.newNamespace('rt-errors');
    const c = new KubeClient(cluster.kc);
    onTestFinished(() => c.close());
    const reconciles = new Map<string, number>();
    const attempts: number[] = [];
    const lines: { level: number; msg: string; err?: { type: string; message: string; stack: string }; name?: string }[] = [];
    const logger = pino({ level: 'debug' }, { write: (line: string) => { lines.push(JSON.parse(line)); } });
    const op = await startOperator({
      kubeConfig: cluster.kc, logger, namespaces: [ns],
      controllerOverrides: [{ ...partsController(reconciles), reconcile: (ctx: ReconcileContext<Run>) => { if (ctx.object.metadata?.name === 'busy') attempts.push(Date.now()); return partsController(reconciles).reconcile(ctx); } } as never, sizingController() as never],
    });
    onTestFinished(() => op.stop());
    const run = (name: string, annotations: Record<string, string>) => c.create(AGENTRUNS, { apiVersion: 'agentlab.dev/v1alpha1', kind: 'AgentRun', metadata: { name, namespace: ns, annotations }, spec: { task: 'assemble the part' } });
    const conditionsOf = async (name: string) => ((await c.get<Run>(AGENTRUNS, ns, name)).status?.conditions ?? []);

    // 422 from the child's apply (size is at most 100): Stalled with the API server's message, not retried.
    await run('huge', { [SIZE_ANNOTATION]: '500' });
    const stalled = await cluster.waitFor(async () => { const cs = await conditionsOf('huge'); return cs.some((x) => x.type === 'Stalled' && x.status === 'True') ? cs : undefined; });
    const readyHuge = stalled.find((x) => x.type === 'Ready')!;
    expect(readyHuge).toMatchObject({ status: 'False', reason: 'ApplyInvalid' });
    expect(readyHuge.message).toMatch(new RegExp(`^applying Widget ${ns}/huge-part: .*spec\\.size`));
    const afterStall = reconciles.get(`${ns}/huge`)!;
    await new Promise((r) => setTimeout(r, 700));
    expect(reconciles.get(`${ns}/huge`)).toBe(afterStall);

    // TransientError with retryAfterMs: the next attempt comes after it, not after the (5 ms) backoff.
    await run('busy', { [BUSY_ANNOTATION]: '600' });
    await cluster.waitFor(async () => (await conditionsOf('busy')).some((x) => x.type === 'Ready' && x.status === 'True'));
    expect(attempts.length).toBeGreaterThanOrEqual(2);
    expect(attempts[1] - attempts[0]).toBeGreaterThanOrEqual(590);

    // A bug in a controller: error level, with the stack; the object says ReconcileFailed.
    await run('crash', { [CRASH_ANNOTATION]: 'yes' });
    await cluster.waitFor(async () => (await conditionsOf('crash')).some((x) => x.type === 'Ready' && x.reason === 'ReconcileFailed'));
    const logged = lines.find((l) => l.msg === 'reconcile threw an unexpected error' && l.name === 'crash');
    expect(logged).toMatchObject({ level: 50, err: { type: 'TypeError' } });
    expect(logged!.err!.stack).toContain('runtime.test.ts');
    // Classified failures and waiting are not logged as unexpected.
    expect(lines.filter((l) => l.msg === 'reconcile threw an unexpected error' && l.name !== 'crash')).toEqual([]);
  }, 180_000); // 18 s in a clean-clone CI run on a loaded machine (2 s idle)

  it('informer keeps its cache through server-side watch timeouts', async () => {
    const ns = await cluster.newNamespace('rt-inf');
    const c = new KubeClient(cluster.kc);
    onTestFinished(() => c.close());
    const seen: string[] = [];
    const inf = new Informer({ client: c, resource: CONFIGMAPS, namespaces: [ns], logger: testLogger(), watchTimeoutSeconds: 1 });
    inf.addHandler((type, obj) => seen.push(`${type}:${obj.metadata?.name}`));
    await c.create(CONFIGMAPS, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'before', namespace: ns } });
    inf.start();
    onTestFinished(() => inf.stop());
    await inf.waitForSync();
    expect(inf.get(`${ns}/before`)).toBeDefined();
    await new Promise((r) => setTimeout(r, 2500)); // at least two watch timeouts
    await c.create(CONFIGMAPS, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'after', namespace: ns } });
    await c.mergePatch(CONFIGMAPS, ns, 'before', { data: { a: '1' } });
    await c.delete(CONFIGMAPS, ns, 'after');
    await cluster.waitFor(() => seen.includes('delete:after'));
    expect(seen.filter((s) => !s.startsWith('update:kube-root-ca'))).toEqual(['add:before', 'add:after', 'update:before', 'delete:after']);
    expect(inf.get(`${ns}/before`)).toMatchObject({ data: { a: '1' } });
    expect(inf.get(`${ns}/after`)).toBeUndefined();
  });

  it('informer caches objects without managedFields or kubectl\'s last-applied annotation, listed and watched', async () => {
    const ns = await cluster.newNamespace('rt-strip');
    const c = new KubeClient(cluster.kc);
    onTestFinished(() => c.close());
    // What `kubectl apply` (client-side) writes: the whole object again in an annotation.
    const kubectlApplied = (name: string) => {
      const obj = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: ns, annotations: { keep: 'me' } }, data: { a: '1' } };
      return { ...obj, metadata: { ...obj.metadata, annotations: { ...obj.metadata.annotations, 'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify(obj) } } };
    };
    await c.create(CONFIGMAPS, kubectlApplied('listed'), { fieldManager: 'kubectl-client-side-apply' });
    const inf = new Informer({ client: c, resource: CONFIGMAPS, namespaces: [ns], logger: testLogger() });
    inf.start();
    onTestFinished(() => inf.stop());
    await inf.waitForSync();
    await c.create(CONFIGMAPS, kubectlApplied('watched'), { fieldManager: 'kubectl-client-side-apply' });
    await cluster.waitFor(() => inf.get(`${ns}/watched`) !== undefined);
    for (const name of ['listed', 'watched']) {
      const live = await c.get(CONFIGMAPS, ns, name);
      expect(live.metadata?.managedFields?.length).toBeGreaterThan(0);
      expect(live.metadata?.annotations).toHaveProperty(['kubectl.kubernetes.io/last-applied-configuration']);
      const cached = inf.get(`${ns}/${name}`)!;
      expect(cached.metadata).not.toHaveProperty('managedFields');
      expect(cached.metadata?.annotations).toEqual({ keep: 'me' });
      expect(cached).toMatchObject({ apiVersion: 'v1', kind: 'ConfigMap', data: { a: '1' } });
    }
  });
});
