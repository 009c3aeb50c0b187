import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { ServerContext } from './context.js';
import { ObjectService } from './objects.js';
import { patchObject } from './patching.js';
import { Registry } from './registry.js';
import { Store } from './store.js';
import { WatchHub } from './watch.js';

const opts = { fieldManager: 'test', fieldValidation: 'Strict' as const, dryRun: false };

function service(): { svc: ObjectService; ctx: ServerContext } {
  const hub = new WatchHub(100);
  const ctx: ServerContext = { registry: new Registry(), store: new Store(hub), hub, logger: pino({ level: 'silent' }), timers: new Set() };
  const svc = new ObjectService(ctx);
  svc.create(ctx.registry.get('', 'v1', 'namespaces')!, '', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } }, opts);
  return { svc, ctx };
}


describe('a write result', () => {
  it('carries the stored JSON and decodes the same object from it, a copy of its own', () => {
    const { svc, ctx } = service();
    const r = ctx.registry.get('', 'v1', 'configmaps')!;
    const result = svc.create(r, 'default', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a' }, data: { k: 'v' } }, opts);
    expect(result.json).toBe(ctx.store.getEntry('configmaps.', 'default', 'a')!.json);
    expect(result.object).toEqual(JSON.parse(result.json!));
    expect(result.object).toBe(result.object);
    result.object.data = { k: 'changed' };
    expect(result.object.data).toEqual({ k: 'changed' });
    expect(ctx.store.get('configmaps.', 'default', 'a')!.data).toEqual({ k: 'v' });
  });

  it('keeps its object, json, warnings and created through update and patch', () => {
    const { svc, ctx } = service();
    const r = ctx.registry.get('', 'v1', 'configmaps')!;
    svc.create(r, 'default', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a' }, data: { k: 'v' } }, opts);
    const patched = patchObject(svc, r, 'default', 'a', { contentType: 'application/merge-patch+json', force: false, patch: { data: { k: 'w' } } }, opts, undefined);
    expect(patched.created).toBe(false);
    expect(patched.warnings).toEqual([]);
    expect(patched.object.data).toEqual({ k: 'w' });
    expect(patched.object.metadata.resourceVersion).toBe(ctx.store.get('configmaps.', 'default', 'a')!.metadata.resourceVersion);
    expect(JSON.parse(patched.json!)).toEqual(patched.object);
    // A PUT that creates (leases allow it) and a server-side apply that creates.
    const lease = svc.update(ctx.registry.get('coordination.k8s.io', 'v1', 'leases')!, 'default', 'l',
      { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'l' } }, opts, undefined);
    expect(lease.created).toBe(true);
    expect(lease.object.metadata.name).toBe('l');
    const applied = patchObject(svc, r, 'default', 'b', { contentType: 'application/apply-patch+yaml', force: false,
      patch: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'b' }, data: { k: 'x' } } }, opts, undefined);
    expect(applied.created).toBe(true);
    expect(applied.object.data).toEqual({ k: 'x' });
    expect(applied.object.metadata.managedFields?.[0]).toMatchObject({ manager: 'test', operation: 'Apply' });
  });
});
