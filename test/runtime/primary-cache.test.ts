import { describe, expect, it, onTestFinished } from 'vitest';
import { useCluster } from '../harness/cluster.js';
import { startOperator } from '../../operators/manager.js';
import type { Controller } from '../../operators/runtime/controller.js';
import { KubeClient, type KubeObject, type ResourceRef } from '../../operators/runtime/kube.js';
import { testLogger } from '../modelserver/support.js';

const cluster = useCluster();
const WIDGETS: ResourceRef = { group: 'conformance.agentlab.dev', version: 'v1', plural: 'widgets', kind: 'Widget', namespaced: true };
const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

type Widget = KubeObject & { spec: { size: number; color?: string }; status?: { phase?: string; replicas?: number; observedGeneration?: number; conditions?: { type: string; status: string; message?: string }[] } };
const AGENTRUNS: ResourceRef = { group: 'agentlab.dev', version: 'v1alpha1', plural: 'agentruns', kind: 'AgentRun', namespaced: true };
const readyOf = (o: KubeObject | undefined) => (o as Widget | undefined)?.status?.conditions?.find((x) => x.type === 'Ready');

/** Owns one Widget per AgentRun (spec.size 4) and reads only the child's status from the cache, as owners do. */
function partController(): Controller<KubeObject> {
  return {
    name: 'part-owner',
    for: AGENTRUNS,
    owns: [WIDGETS],
    async reconcile(ctx) {
      const name = `${ctx.object.metadata!.name}-part`;
      await ctx.apply(WIDGETS, { apiVersion: 'conformance.agentlab.dev/v1', kind: 'Widget', metadata: { name }, spec: { size: 4, color: 'red' } });
      const part = ctx.cache.get<Widget>(WIDGETS, ctx.object.metadata!.namespace, name);
      if (readyOf(part)?.status !== 'True' || part?.status?.observedGeneration !== part?.metadata?.generation) {
        return { outcome: { kind: 'progressing', reason: 'WaitingForPart', message: `waiting for Widget ${name}` } };
      }
      return { outcome: { kind: 'ready', reason: 'PartReady', message: `${name} has ${part!.status!.replicas} replicas` } };
    },
  };
}

/** Reads spec.size in reconcile only; nothing reads it from the cache, so the cache keeps spec.color alone. */
function sizeController(seen: number[]): Controller<Widget> {
  return {
    name: 'widget-live',
    for: WIDGETS,
    cacheFields: { spec: { color: true } },
    async reconcile(ctx) {
      seen.push(ctx.object.spec.size);
      ctx.setStatus({ phase: 'Done', replicas: ctx.object.spec.size });
      return { outcome: { kind: 'ready', reason: 'Sized', message: `size ${ctx.object.spec.size}` } };
    },
  };
}

describe('a controller that declares cacheFields', () => {
  it('has its kind cached cut down and reconciles each object as the API server has it', async () => {
    const ns = await cluster.newNamespace('rt-live');
    const c = new KubeClient(cluster.kc);
    onTestFinished(() => c.close());
    const seen: number[] = [];
    const op = await startOperator({ kubeConfig: cluster.kc, logger: testLogger(), namespaces: [ns], controllerOverrides: [sizeController(seen) as never] });
    onTestFinished(() => op.stop());
    expect(op.runtime.informerRoles(WIDGETS)?.fields).toMatchObject({ spec: { color: true }, status: { phase: true } });

    // As `kubectl apply` creates it: a copy of the object in an annotation, managedFields.
    const obj = { apiVersion: 'conformance.agentlab.dev/v1', kind: 'Widget', metadata: { name: 'w', namespace: ns, labels: { tier: 'a' }, annotations: { note: 'n' } }, spec: { size: 3, color: 'red' } };
    await c.create(WIDGETS, { ...obj, metadata: { ...obj.metadata, annotations: { ...obj.metadata.annotations, [LAST_APPLIED]: JSON.stringify(obj) } } }, { fieldManager: 'kubectl-client-side-apply' });
    const done = (size: number) => cluster.waitFor(async () => {
      const w = await c.get<Widget>(WIDGETS, ns, 'w');
      return w.status?.replicas === size && w.status.conditions?.find((x) => x.type === 'Ready')?.status === 'True' ? w : undefined;
    });
    await done(3);

    // The cache holds identity, the metadata and status the runtime reads, and spec.color: no spec.size.
    const cached = op.runtime.get<Widget>(WIDGETS, ns, 'w')!;
    expect(cached.spec).toEqual({ color: 'red' });
    expect(cached.metadata).toMatchObject({ name: 'w', namespace: ns, labels: { tier: 'a' }, annotations: { note: 'n' }, generation: 1 });
    expect(cached.metadata).not.toHaveProperty('managedFields');
    expect(cached.metadata?.annotations).not.toHaveProperty([LAST_APPLIED]);
    expect(cached.status).toMatchObject({ phase: 'Done', conditions: expect.arrayContaining([expect.objectContaining({ type: 'Ready', status: 'True' })]) });
    expect(cached.status).not.toHaveProperty('replicas');

    // A spec change reaches reconcile although the cache never holds spec.size.
    await c.mergePatch(WIDGETS, ns, 'w', { spec: { size: 5 } });
    await done(5);
    expect(seen).toContain(5);
    expect(seen.every((s) => s === 3 || s === 5)).toBe(true);
  });
});

describe('a kind that is one controller\'s primary with cacheFields and another\'s child', () => {
  it('is cached cut down to the declared fields and what owners read of children (ownership, annotations, status), and the owner still follows its child', async () => {
    const ns = await cluster.newNamespace('rt-live-owned');
    const c = new KubeClient(cluster.kc);
    onTestFinished(() => c.close());
    const seen: number[] = [];
    const op = await startOperator({ kubeConfig: cluster.kc, logger: testLogger(), namespaces: [ns], controllerOverrides: [partController(), sizeController(seen) as never] });
    onTestFinished(() => op.stop());
    // The owned role reads what a compact child keeps: no longer a reason to cache whole Widgets.
    expect(op.runtime.informerRoles(WIDGETS)).toMatchObject({ roles: ['owned', 'scoped'], compact: false, fields: { spec: { color: true }, metadata: { ownerReferences: true, annotations: true }, status: true } });

    await c.create(AGENTRUNS, { apiVersion: 'agentlab.dev/v1alpha1', kind: 'AgentRun', metadata: { name: 'job', namespace: ns }, spec: { task: 'assemble the part' } });
    // The child's status, written by the Widget controller from the live object, requeues the owner through its ownerReference.
    await cluster.waitFor(async () => {
      const run = await c.get(AGENTRUNS, ns, 'job');
      return readyOf(run)?.status === 'True' && readyOf(run)?.message === 'job-part has 4 replicas';
    });
    expect(seen).toContain(4);
    const cached = op.runtime.get<Widget>(WIDGETS, ns, 'job-part')!;
    expect(cached.spec).toEqual({ color: 'red' });
    expect(cached.metadata?.ownerReferences).toEqual([expect.objectContaining({ kind: 'AgentRun', name: 'job', controller: true })]);
    expect(cached.metadata?.annotations).toHaveProperty(['agentlab.dev/applied-hash']);
    expect(cached.status).toMatchObject({ phase: 'Done', replicas: 4 });
  });
});

/** Grows a Widget to spec.size; at size 5 or more it is Done (finished): cached cut down from then on. */
function finishingController(seen: number[]): Controller<Widget> {
  return {
    name: 'widget-finishing',
    for: WIDGETS,
    finishedCache: { is: (w) => (w as Widget).status?.phase === 'Done', fields: {} },
    async reconcile(ctx) {
      seen.push(ctx.object.spec.size);
      ctx.setStatus({ phase: ctx.object.spec.size >= 5 ? 'Done' : 'Growing', replicas: ctx.object.spec.size });
      return { outcome: { kind: 'ready', reason: 'Sized', message: `size ${ctx.object.spec.size}` } };
    },
  };
}

describe('a controller that declares finishedCache', () => {
  it('has finished objects cached cut down and reconciled as the API server has them, and unfinished ones cached whole', async () => {
    const ns = await cluster.newNamespace('rt-finished');
    const c = new KubeClient(cluster.kc);
    onTestFinished(() => c.close());
    const seen: number[] = [];
    const op = await startOperator({ kubeConfig: cluster.kc, logger: testLogger(), namespaces: [ns], controllerOverrides: [finishingController(seen) as never] });
    onTestFinished(() => op.stop());
    expect(op.runtime.informerRoles(WIDGETS)?.fields).toBeUndefined();

    await c.create(WIDGETS, { apiVersion: 'conformance.agentlab.dev/v1', kind: 'Widget', metadata: { name: 'w', namespace: ns, labels: { tier: 'a' } }, spec: { size: 3, color: 'red' } });
    const cachedWhen = (phase: string, replicas: number) => cluster.waitFor(async () => {
      const w = op.runtime.get<Widget>(WIDGETS, ns, 'w');
      return w?.status?.phase === phase && w.status.replicas === replicas ? w : undefined;
    });
    // Not finished: cached whole.
    expect((await cachedWhen('Growing', 3)).spec).toEqual({ size: 3, color: 'red' });

    // Finished: identity, the metadata and status the runtime reads; no spec, no other status field.
    await c.mergePatch(WIDGETS, ns, 'w', { spec: { size: 5 } });
    const finished = await cluster.waitFor(async () => {
      const w = op.runtime.get<Widget>(WIDGETS, ns, 'w');
      return w?.status?.phase === 'Done' ? w : undefined;
    });
    expect(finished).not.toHaveProperty('spec');
    expect(finished.status).not.toHaveProperty('replicas');
    expect(finished.metadata).toMatchObject({ name: 'w', namespace: ns, labels: { tier: 'a' } });

    // A change of a finished object reaches reconcile whole (read from the API server): size 6 is seen.
    await c.mergePatch(WIDGETS, ns, 'w', { spec: { size: 6 } });
    await cluster.waitFor(async () => ((await c.get<Widget>(WIDGETS, ns, 'w')).status?.replicas === 6 ? true : undefined));
    expect(seen).toContain(6);
    expect(seen.every((s) => s === 3 || s === 5 || s === 6)).toBe(true);
  });
});
