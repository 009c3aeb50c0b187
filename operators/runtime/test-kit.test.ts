import { describe, expect, it } from 'vitest';
import type { Controller } from './controller.js';
import type { KubeObject, ResourceRef } from './kube.js';
import { TransientError } from './outcome.js';
import { fakeReconcileContext, reconcileOnce } from './test-kit.js';

const WIDGETS: ResourceRef = { group: 'example.dev', version: 'v1', plural: 'widgets', kind: 'Widget', namespaced: true };
const CONFIGMAPS: ResourceRef = { group: '', version: 'v1', plural: 'configmaps', kind: 'ConfigMap', namespaced: true };
const NODES: ResourceRef = { group: '', version: 'v1', plural: 'nodes', kind: 'Node', namespaced: false };
const widget = { apiVersion: 'example.dev/v1', kind: 'Widget', metadata: { name: 'w', namespace: 'ns', uid: 'u1', generation: 2 }, spec: { size: 3 } };
const child = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'w-data', namespace: 'ns', ownerReferences: [{ apiVersion: 'example.dev/v1', kind: 'Widget', name: 'w', uid: 'u1', controller: true }] }, data: { size: '3' }, status: { seen: true } };

function widgetController(reconcile: Controller['reconcile']): Controller {
  return { name: 'widget', for: WIDGETS, owns: [CONFIGMAPS], watches: [{ resource: NODES, unrestricted: true, map: () => [] }], reconcile };
}

describe('controller test kit', () => {
  it('caches a kind that is only owned compact, as the runtime does', () => {
    const { ctx } = fakeReconcileContext(widgetController(async () => ({ outcome: { kind: 'ready', reason: 'R', message: '' } })), { object: widget, cache: [child] });
    expect(ctx.cache.get(CONFIGMAPS, 'ns', 'w-data')).toEqual({ apiVersion: 'v1', kind: 'ConfigMap', metadata: child.metadata, status: { seen: true } });
    expect(ctx.cache.get<KubeObject & { spec: unknown }>(WIDGETS, 'ns', 'w')?.spec).toEqual({ size: 3 });
  });

  it('refuses objects and reads of kinds the controller does not declare, like the runtime', () => {
    const c = widgetController(async () => ({ outcome: { kind: 'ready', reason: 'R', message: '' } }));
    expect(() => fakeReconcileContext(c, { object: widget, cache: [{ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' } }] }))
      .toThrow('cache: v1/Secret s is not in the controller\'s for, owns or watches; the runtime would have no informer for it');
    const { ctx } = fakeReconcileContext(c, { object: widget });
    expect(() => ctx.cache.list({ group: '', version: 'v1', plural: 'secrets', kind: 'Secret', namespaced: true })).toThrow('no informer for secrets');
  });

  it('records applies (as the runtime sends them), deletes, events, status and conditions', async () => {
    const run = await reconcileOnce(widgetController(async (ctx) => {
      const applied = await ctx.apply(CONFIGMAPS, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'w-data' }, data: { size: '4' } });
      await ctx.deleteChild(CONFIGMAPS, 'ns', 'w-old');
      ctx.event('Normal', 'Resized', 'size 3 -> 4');
      const fields = { size: 4, childSeen: ((applied as KubeObject).status as { seen?: boolean } | undefined)?.seen };
      ctx.setStatus(fields);
      fields.size = 99;
      ctx.setCondition({ type: 'DataReady', status: 'True', reason: 'Applied', message: 'w-data' });
      return { outcome: { kind: 'ready', reason: 'Succeeded', message: 'size 4' } };
    }), { object: widget, cache: [child], now: new Date('2026-01-01T00:00:00Z') });
    expect(run.applied).toHaveLength(1);
    expect(run.applied[0]).toMatchObject({ via: 'ctx.apply', object: { metadata: { name: 'w-data', namespace: 'ns', labels: { 'app.kubernetes.io/managed-by': 'agentlab' }, ownerReferences: [{ kind: 'Widget', uid: 'u1', controller: true }] }, data: { size: '4' } } });
    expect(run.deleted).toEqual([{ resource: CONFIGMAPS, namespace: 'ns', name: 'w-old' }]);
    expect(run.events).toEqual([{ type: 'Normal', reason: 'Resized', message: 'size 3 -> 4' }]);
    expect(run.status).toEqual({
      size: 4, childSeen: true, observedGeneration: 2,
      conditions: [
        { type: 'Ready', status: 'True', reason: 'Succeeded', message: 'size 4', lastTransitionTime: '2026-01-01T00:00:00.000Z', observedGeneration: 2 },
        { type: 'DataReady', status: 'True', reason: 'Applied', message: 'w-data', lastTransitionTime: '2026-01-01T00:00:00.000Z', observedGeneration: 2 },
      ],
    });
  });

  it('maps a thrown error as the runtime does and keeps the conditions set before it', async () => {
    const run = await reconcileOnce(widgetController(async (ctx) => {
      ctx.setCondition({ type: 'DataReady', status: 'Unknown', reason: 'Checking', message: 'reading' });
      throw new TransientError('BackendBusy', 'come back later', 2_000);
    }), { object: widget });
    expect(run.thrown).toBeInstanceOf(TransientError);
    expect(run.result).toEqual({ outcome: { kind: 'failed', reason: 'BackendBusy', message: 'come back later' }, requeueAfterMs: 2_000 });
    expect(run.status.conditions?.map((c) => `${c.type}=${c.status}:${c.reason}`)).toEqual(['Ready=False:BackendBusy', 'Reconciling=True:ProgressingWithRetry', 'DataReady=Unknown:Checking']);
  });

  it('serves ctx.client.get from the preloaded server objects, 404 for the rest', async () => {
    const { ctx } = fakeReconcileContext(widgetController(async () => ({ outcome: { kind: 'ready', reason: 'R', message: '' } })), {
      object: widget, server: [{ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'key', namespace: 'ns' }, data: { token: 'eA==' } }],
    });
    const SECRETS: ResourceRef = { group: '', version: 'v1', plural: 'secrets', kind: 'Secret', namespaced: true };
    expect(await ctx.client.get(SECRETS, 'ns', 'key')).toMatchObject({ data: { token: 'eA==' } });
    await expect(ctx.client.get(SECRETS, 'ns', 'other')).rejects.toMatchObject({ code: 404 });
    expect(() => ctx.client.mergePatch(SECRETS, 'ns', 'key', {})).toThrow('the controller test kit\'s client has no mergePatch');
  });
});
