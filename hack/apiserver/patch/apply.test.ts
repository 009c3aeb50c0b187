import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { conflictError, formatConflictMessage, serverSideApply, trackUpdate, type ApplyInput, type ApplyResult } from './apply.js';
import { builtinTypeInfo } from './builtin-types.js';
import { PatchError } from './errors.js';
import { typeInfoFromOpenAPI } from './type-info.js';
import type { JsonObject } from './values.js';

const T0 = '2026-01-01T00:00:00Z';
const T1 = '2026-01-01T00:01:00Z';
const T2 = '2026-01-01T00:02:00Z';
const DEPLOYMENT = builtinTypeInfo('apps/v1', 'Deployment');
const CONFIGMAP = builtinTypeInfo('v1', 'ConfigMap');

type Obj = JsonObject & { metadata: JsonObject & { managedFields?: JsonObject[] } };

function deployment(spec: object, metadata: object = {}) {
  return { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'default', ...metadata }, spec };
}

/** A ConfigMap; `data` is left out when empty. */
function configMap(data: Record<string, string>, metadata: object = {}) {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm', namespace: 'default', ...metadata }, ...(Object.keys(data).length && { data }) };
}

function apply(input: Partial<ApplyInput> & Pick<ApplyInput, 'applied' | 'manager'>): ApplyResult {
  const applied = input.applied as JsonObject;
  return serverSideApply({
    force: false,
    apiVersion: String(applied.apiVersion),
    types: applied.kind === 'Deployment' ? DEPLOYMENT : CONFIGMAP,
    now: T0,
    ...input,
  });
}

function ok(r: ApplyResult): Obj {
  if (!r.ok) throw new Error(`unexpected conflict: ${r.error.message}`);
  return r.object as Obj;
}

function entries(o: Obj) {
  return (o.metadata.managedFields ?? []).map((e) => ({ manager: e.manager, operation: e.operation, subresource: e.subresource, fieldsV1: e.fieldsV1 }));
}

function entry(o: Obj, manager: string) {
  return o.metadata.managedFields?.find((e) => e.manager === manager);
}

const pod = (containers: object[]) => ({ template: { spec: { containers } } });

describe('serverSideApply', () => {
  it('creates the object and records an Apply entry', () => {
    const o = ok(apply({ applied: configMap({ a: '1' }, { labels: { app: 'x' } }), manager: 'kubectl' }));
    expect(o.data).toEqual({ a: '1' });
    expect(o.metadata.managedFields).toEqual([
      {
        manager: 'kubectl',
        operation: 'Apply',
        apiVersion: 'v1',
        time: T0,
        fieldsType: 'FieldsV1',
        fieldsV1: { 'f:data': { 'f:a': {} }, 'f:metadata': { 'f:labels': { 'f:app': {} } } },
      },
    ]);
  });

  it('is a no-op the second time: nothing changes, not even the time', () => {
    const first = ok(apply({ applied: configMap({ a: '1' }), manager: 'kubectl' }));
    const again = apply({ live: first, applied: configMap({ a: '1' }), manager: 'kubectl', now: T1 });
    expect(again.ok && again.changed).toBe(false);
    expect(ok(again)).toEqual(first);
  });

  it('updates the time when the object changes', () => {
    const first = ok(apply({ applied: configMap({ a: '1' }), manager: 'kubectl' }));
    expect(entry(ok(apply({ live: first, applied: configMap({ a: '2' }), manager: 'kubectl', now: T1 })), 'kubectl')?.time).toBe(T1);
  });

  it('removes a field the manager no longer applies', () => {
    const first = ok(apply({ applied: configMap({ a: '1', b: '2' }, { labels: { x: '1', y: '2' } }), manager: 'kubectl' }));
    const second = ok(apply({ live: first, applied: configMap({ a: '1' }, { labels: { x: '1' } }), manager: 'kubectl' }));
    expect(second.data).toEqual({ a: '1' });
    expect(second.metadata.labels).toEqual({ x: '1' });
  });

  it('never prunes the object identity with the last metadata field', () => {
    const live = { ...configMap({ a: '1' }, { uid: 'u1', resourceVersion: '7', creationTimestamp: T0, labels: { x: '1' } }) };
    const first = ok(apply({ live, applied: configMap({ a: '1' }, { labels: { x: '1' } }), manager: 'alice' }));
    const second = ok(apply({ live: first, applied: { apiVersion: 'v1', kind: 'ConfigMap', data: { a: '1' } }, manager: 'alice' }));
    expect(second.metadata).toMatchObject({ name: 'cm', namespace: 'default', uid: 'u1', resourceVersion: '7', creationTimestamp: T0 });
    expect(second.metadata.labels).toBeUndefined();
    expect(second.apiVersion).toBe('v1');
  });

  it('keeps a dropped field that another manager also owns', () => {
    const a = ok(apply({ applied: configMap({ a: '1', b: '2' }), manager: 'alice' }));
    const b = ok(apply({ live: a, applied: configMap({ b: '2' }), manager: 'bob' }));
    const dropped = ok(apply({ live: b, applied: configMap({ a: '1' }), manager: 'alice' }));
    expect(dropped.data).toEqual({ a: '1', b: '2' });
    expect(entries(dropped)).toEqual([
      { manager: 'alice', operation: 'Apply', subresource: undefined, fieldsV1: { 'f:data': { 'f:a': {} } } },
      { manager: 'bob', operation: 'Apply', subresource: undefined, fieldsV1: { 'f:data': { 'f:b': {} } } },
    ]);
  });

  it('shares ownership when a second manager applies the same value', () => {
    const a = ok(apply({ applied: deployment({ replicas: 2 }), manager: 'alice' }));
    const r = apply({ live: a, applied: deployment({ replicas: 2 }), manager: 'bob' });
    // The object is the same but managedFields are not: the write must be stored.
    expect(r.ok && r.changed).toBe(true);
    const b = ok(r);
    expect(entries(b).map((e) => [e.manager, e.fieldsV1])).toEqual([
      ['alice', { 'f:spec': { 'f:replicas': {} } }],
      ['bob', { 'f:spec': { 'f:replicas': {} } }],
    ]);
  });

  it('reports a conflict with another applier', () => {
    const a = ok(apply({ applied: deployment({ replicas: 2 }), manager: 'alice' }));
    const r = apply({ live: a, applied: deployment({ replicas: 3 }), manager: 'bob' });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.conflicts).toEqual([{ manager: 'alice', operation: 'Apply', apiVersion: 'apps/v1', field: '.spec.replicas' }]);
    expect(r.error.toStatus()).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'Apply failed with 1 conflict: conflict with "alice": .spec.replicas',
      reason: 'Conflict',
      details: { causes: [{ reason: 'FieldManagerConflict', message: 'conflict with "alice"', field: '.spec.replicas' }] },
      code: 409,
    });
  });

  it('reports a conflict with kubectl client-side apply exactly as kube-apiserver words it', () => {
    const created = trackUpdate({ updated: deployment({ replicas: 1 }), manager: 'kubectl-client-side-apply', types: DEPLOYMENT, apiVersion: 'apps/v1', now: T0 });
    const r = apply({ live: created, applied: deployment({ replicas: 3 }), manager: 'kubectl' });
    expect(!r.ok && r.error.message).toBe('Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using apps/v1: .spec.replicas');
  });

  it('takes ownership with force', () => {
    const a = ok(apply({ applied: deployment({ replicas: 2, paused: false }), manager: 'alice' }));
    const b = ok(apply({ live: a, applied: deployment({ replicas: 3 }), manager: 'bob', force: true, now: T1 }));
    expect(b.spec).toEqual({ replicas: 3, paused: false });
    expect(entry(b, 'alice')?.fieldsV1).toEqual({ 'f:spec': { 'f:paused': {} } });
    expect(entry(b, 'bob')?.fieldsV1).toEqual({ 'f:spec': { 'f:replicas': {} } });
    // alice now conflicts with bob.
    const r = apply({ live: b, applied: deployment({ replicas: 2, paused: false }), manager: 'alice' });
    expect(!r.ok && r.error.message).toBe('Apply failed with 1 conflict: conflict with "bob": .spec.replicas');
  });

  it('merges list-map items per manager and removes only the dropped manager’s item', () => {
    const app = { name: 'app', image: 'app:1' };
    const side = { name: 'sidecar', image: 'side:1' };
    const a = ok(apply({ applied: deployment(pod([app])), manager: 'alice' }));
    const b = ok(apply({ live: a, applied: deployment(pod([side])), manager: 'bob' }));
    expect((b.spec as { template: { spec: { containers: unknown[] } } }).template.spec.containers).toEqual([app, side]);
    expect(entry(b, 'bob')?.fieldsV1).toEqual({
      'f:spec': { 'f:template': { 'f:spec': { 'f:containers': { 'k:{"name":"sidecar"}': { '.': {}, 'f:image': {}, 'f:name': {} } } } } },
    });
    const c = ok(apply({ live: b, applied: deployment({}), manager: 'bob' }));
    expect((c.spec as { template: { spec: { containers: unknown[] } } }).template.spec.containers).toEqual([app]);
  });

  it('conflicts on a list-map item field owned by someone else', () => {
    const a = ok(apply({ applied: deployment(pod([{ name: 'app', image: 'app:1' }])), manager: 'alice' }));
    const r = apply({ live: a, applied: deployment(pod([{ name: 'app', image: 'app:2' }])), manager: 'bob' });
    expect(!r.ok && r.conflicts.map((c) => c.field)).toEqual(['.spec.template.spec.containers[name="app"].image']);
  });

  it('keys container ports by containerPort and the defaulted protocol', () => {
    const a = ok(apply({ applied: deployment(pod([{ name: 'app', ports: [{ containerPort: 80 }] }])), manager: 'alice' }));
    const ports = (entry(a, 'alice')?.fieldsV1 as JsonObject)['f:spec'] as JsonObject;
    expect(JSON.stringify(ports)).toContain('k:{\\"containerPort\\":80,\\"protocol\\":\\"TCP\\"}');
  });

  it('owns set items (finalizers) per manager', () => {
    const a = ok(apply({ applied: configMap({}, { finalizers: ['a.io/x'] }), manager: 'alice' }));
    const b = ok(apply({ live: a, applied: configMap({}, { finalizers: ['b.io/y'] }), manager: 'bob' }));
    expect(b.metadata.finalizers).toEqual(['a.io/x', 'b.io/y']);
    expect(entry(b, 'bob')?.fieldsV1).toEqual({ 'f:metadata': { 'f:finalizers': { 'v:"b.io/y"': {} } } });
    const c = ok(apply({ live: b, applied: configMap({}), manager: 'alice' }));
    expect(c.metadata.finalizers).toEqual(['b.io/y']);
  });

  it('treats an atomic list as one field', () => {
    const t = typeInfoFromOpenAPI({ type: 'object', properties: { spec: { type: 'object', properties: { args: { type: 'array', items: { type: 'string' } } } } } });
    const cr = (args: string[]) => ({ apiVersion: 'agentlab.dev/v1alpha1', kind: 'Flow', metadata: { name: 'f' }, spec: { args } });
    const a = ok(serverSideApply({ applied: cr(['a']), manager: 'alice', force: false, types: t, apiVersion: 'agentlab.dev/v1alpha1', now: T0 }));
    expect(entry(a, 'alice')?.fieldsV1).toEqual({ 'f:spec': { 'f:args': {} } });
    const r = serverSideApply({ live: a, applied: cr(['a', 'b']), manager: 'bob', force: false, types: t, apiVersion: 'agentlab.dev/v1alpha1', now: T0 });
    expect(!r.ok && r.conflicts.map((c) => c.field)).toEqual(['.spec.args']);
  });

  it('removes a struct field with its last owned leaf', () => {
    const a = ok(apply({ applied: deployment({ replicas: 1, strategy: { type: 'Recreate' } }), manager: 'alice' }));
    const b = ok(apply({ live: a, applied: deployment({ replicas: 1 }), manager: 'alice' }));
    expect(b.spec).toEqual({ replicas: 1 });
  });

  it('keeps fields it never owned', () => {
    const created = trackUpdate({ updated: configMap({ other: 'x' }), manager: 'before', types: CONFIGMAP, apiVersion: 'v1', now: T0 });
    const a = ok(apply({ live: created, applied: configMap({ a: '1' }), manager: 'alice' }));
    const b = ok(apply({ live: a, applied: configMap({}), manager: 'alice' }));
    expect(b.data).toEqual({ other: 'x' });
  });

  it('ignores status on the main resource when a status subresource exists', () => {
    const live = { ...deployment({ replicas: 1 }), status: { replicas: 1 } };
    const o = ok(apply({ live, applied: { ...deployment({ replicas: 1 }), status: { replicas: 5 } }, manager: 'alice', statusSubresource: true }));
    expect(o.status).toEqual({ replicas: 1 });
    expect(entry(o, 'alice')?.fieldsV1).toEqual({ 'f:spec': { 'f:replicas': {} } });
  });

  it('applies only status through the status subresource', () => {
    const live = { ...deployment({ replicas: 1 }), status: { replicas: 1 } };
    const o = ok(apply({ live, applied: { ...deployment({ replicas: 9 }), status: { readyReplicas: 1 } }, manager: 'ctrl', subresource: 'status', statusSubresource: true }));
    expect(o.spec).toEqual({ replicas: 1 });
    expect(o.status).toEqual({ replicas: 1, readyReplicas: 1 });
    expect(entries(o)).toEqual([{ manager: 'ctrl', operation: 'Apply', subresource: 'status', fieldsV1: { 'f:status': { 'f:readyReplicas': {} } } }]);
  });

  it('names a subresource manager in conflicts', () => {
    const o = ok(apply({ applied: { ...deployment({}), status: { replicas: 1 } }, manager: 'ctrl', subresource: 'status' }));
    const r = apply({ live: o, applied: { ...deployment({}), status: { replicas: 2 } }, manager: 'other', subresource: 'status' });
    expect(!r.ok && r.error.message).toBe('Apply failed with 1 conflict: conflict with "ctrl" with subresource "status": .status.replicas');
  });

  it('owns nothing for an empty struct field, and drops an entry that owns nothing', () => {
    const o = ok(apply({ applied: { ...configMap({}), data: {} }, manager: 'alice' }));
    expect(o.data).toEqual({});
    expect(o.metadata.managedFields).toBeUndefined();
  });

  it('owns a null scalar but not a null struct, and stores neither', () => {
    const o = ok(apply({ applied: deployment({ replicas: null, template: null, paused: true }), manager: 'alice' }));
    expect(o.spec).toEqual({ paused: true });
    expect(entry(o, 'alice')?.fieldsV1).toEqual({ 'f:spec': { 'f:paused': {}, 'f:replicas': {} } });
  });

  it('removes an empty struct field the manager stops applying', () => {
    const a = ok(apply({ applied: deployment({ replicas: 1, strategy: { rollingUpdate: {} } }), manager: 'alice' }));
    const b = ok(apply({ live: a, applied: deployment({ replicas: 1, strategy: { type: 'Recreate' } }), manager: 'alice' }));
    expect(b.spec).toEqual({ replicas: 1, strategy: { rollingUpdate: {}, type: 'Recreate' } });
    const c = ok(apply({ live: b, applied: deployment({ replicas: 1 }), manager: 'alice' }));
    expect(c.spec).toEqual({ replicas: 1 });
  });

  it('does not track identity metadata', () => {
    const o = ok(apply({ applied: configMap({}, { uid: 'u', resourceVersion: '5', annotations: { a: 'b' } }), manager: 'alice' }));
    expect(entry(o, 'alice')?.fieldsV1).toEqual({ 'f:metadata': { 'f:annotations': { 'f:a': {} } } });
  });

  it('owns every key of a schema-less object (x-kubernetes-preserve-unknown-fields)', () => {
    const t = typeInfoFromOpenAPI({ type: 'object', properties: { spec: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } });
    const o = ok(serverSideApply({ applied: { apiVersion: 'x/v1', kind: 'X', metadata: { name: 'x' }, spec: { a: { b: 1 } } }, manager: 'm', force: false, types: t, apiVersion: 'x/v1', now: T0 }));
    expect(entry(o, 'm')?.fieldsV1).toEqual({ 'f:spec': { 'f:a': { '.': {}, 'f:b': {} } } });
  });

  it.each<[string, Partial<ApplyInput>, number, string]>([
    ['a missing field manager', { manager: '' }, 422, 'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch'],
    ['another version', { applied: { ...configMap({}), apiVersion: 'v2' } }, 400, 'Incorrect version specified in apply patch. Specified patch version: v2, expected: v1'],
    ['a field manager that is too long', { manager: 'm'.repeat(129) }, 422, 'fieldManager: Too long: may not be more than 128 bytes'],
    ['a field manager with a control character', { manager: 'a\tb' }, 422, 'invalid character U+0009 (at position 1)'],
    ['managedFields in the configuration', { applied: configMap({}, { managedFields: [] }) }, 400, 'metadata.managedFields must be nil'],
    ['a list item without its key', { applied: deployment(pod([{ image: 'x' }])), apiVersion: 'apps/v1', types: DEPLOYMENT }, 500, 'element 0: associative list with keys has an element that omits key field "name"'],
    ['duplicate list keys', { applied: deployment(pod([{ name: 'a' }, { name: 'a' }])), apiVersion: 'apps/v1', types: DEPLOYMENT }, 500, 'duplicate entries for key [name="a"]'],
  ])('rejects %s', (_name, override, code, message) => {
    const input: ApplyInput = { applied: configMap({}), manager: 'm', force: false, types: CONFIGMAP, apiVersion: 'v1', now: T0, ...override };
    let err: unknown;
    try {
      serverSideApply(input);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PatchError);
    expect((err as PatchError).code).toBe(code);
    expect((err as PatchError).message).toContain(message);
  });

  it('is idempotent and contains its configuration', () => {
    const data = fc.dictionary(fc.constantFrom('a', 'b', 'c', 'd'), fc.constantFrom('1', '2'));
    fc.assert(
      fc.property(data, data, (first, second) => {
        const live = ok(apply({ applied: configMap(first), manager: 'alice' }));
        const once = ok(apply({ live, applied: configMap(second), manager: 'alice', now: T1 }));
        const twice = apply({ live: once, applied: configMap(second), manager: 'alice', now: T2 });
        expect(ok(twice)).toEqual(once);
        expect(once.data ?? {}).toEqual(second);
      }),
    );
  });
});

describe('trackUpdate', () => {
  it('shows no "." for the non-pointer structs and the containers list of built-ins, as kube-apiserver', () => {
    const o = trackUpdate({
      updated: deployment({ replicas: 1, strategy: { type: 'Recreate' }, template: { metadata: { labels: { a: 'b' } }, spec: { restartPolicy: 'Always', containers: [{ name: 'c' }] } } }),
      manager: 'kubectl-create',
      types: DEPLOYMENT,
      apiVersion: 'apps/v1',
      now: T0,
    }) as Obj;
    expect(entry(o, 'kubectl-create')?.fieldsV1).toEqual({
      'f:spec': {
        'f:replicas': {},
        'f:strategy': { 'f:type': {} },
        'f:template': {
          'f:metadata': { 'f:labels': { '.': {}, 'f:a': {} } },
          'f:spec': { 'f:containers': { 'k:{"name":"c"}': { '.': {}, 'f:name': {} } }, 'f:restartPolicy': {} },
        },
      },
    });
  });

  it('records an Update entry for a create with "." for new maps', () => {
    const o = trackUpdate({ updated: configMap({ a: '1' }, { labels: { x: 'y' } }), manager: 'kubectl-create', types: CONFIGMAP, apiVersion: 'v1', now: T0 }) as Obj;
    expect(o.metadata.managedFields).toEqual([
      {
        manager: 'kubectl-create',
        operation: 'Update',
        apiVersion: 'v1',
        time: T0,
        fieldsType: 'FieldsV1',
        fieldsV1: { 'f:data': { '.': {}, 'f:a': {} }, 'f:metadata': { 'f:labels': { '.': {}, 'f:x': {} } } },
      },
    ]);
  });

  it('takes changed fields from other managers, which then conflict on apply', () => {
    const a = ok(apply({ applied: deployment({ replicas: 2, paused: false }), manager: 'alice' }));
    const edited = trackUpdate({ live: a, updated: { ...a, spec: { replicas: 5, paused: false } }, manager: 'editor', types: DEPLOYMENT, apiVersion: 'apps/v1', now: T1 }) as Obj;
    expect(entry(edited, 'alice')?.fieldsV1).toEqual({ 'f:spec': { 'f:paused': {} } });
    expect(entry(edited, 'editor')).toMatchObject({ operation: 'Update', time: T1, fieldsV1: { 'f:spec': { 'f:replicas': {} } } });
    const r = apply({ live: edited, applied: deployment({ replicas: 2, paused: false }), manager: 'alice', now: T2 });
    expect(!r.ok && r.error.message).toBe('Apply failed with 1 conflict: conflict with "editor" using apps/v1: .spec.replicas');
  });

  it('removes deleted fields from every manager', () => {
    const a = ok(apply({ applied: configMap({ a: '1', b: '2' }), manager: 'alice' }));
    const o = trackUpdate({ live: a, updated: configMap({ a: '1' }), manager: 'editor', types: CONFIGMAP, apiVersion: 'v1', now: T1 }) as Obj;
    expect(entries(o)).toEqual([{ manager: 'alice', operation: 'Apply', subresource: undefined, fieldsV1: { 'f:data': { 'f:a': {} } } }]);
  });

  it('leaves managedFields alone when nothing changed', () => {
    const a = ok(apply({ applied: configMap({ a: '1' }), manager: 'alice' }));
    expect(trackUpdate({ live: a, updated: a, manager: 'editor', types: CONFIGMAP, apiVersion: 'v1', now: T1 })).toEqual(a);
  });

  it('merges into the manager’s previous Update entry', () => {
    const one = trackUpdate({ updated: configMap({ a: '1' }), manager: 'ed', types: CONFIGMAP, apiVersion: 'v1', now: T0 });
    const two = trackUpdate({ live: one, updated: { ...one, data: { a: '1', b: '2' } }, manager: 'ed', types: CONFIGMAP, apiVersion: 'v1', now: T1 }) as Obj;
    expect(entries(two)).toEqual([{ manager: 'ed', operation: 'Update', subresource: undefined, fieldsV1: { 'f:data': { '.': {}, 'f:a': {}, 'f:b': {} } } }]);
    expect(entry(two, 'ed')?.time).toBe(T1);
  });

  it('keeps a separate entry per API version and per subresource', () => {
    const live = { ...deployment({ replicas: 1 }), status: {} };
    const s = trackUpdate({ live, updated: { ...live, status: { replicas: 1 } }, manager: 'ctrl', subresource: 'status', statusSubresource: true, types: DEPLOYMENT, apiVersion: 'apps/v1', now: T0 }) as Obj;
    expect(entries(s)).toEqual([{ manager: 'ctrl', operation: 'Update', subresource: 'status', fieldsV1: { 'f:status': { 'f:replicas': {} } } }]);
    const m = trackUpdate({ live: s, updated: { ...s, spec: { replicas: 2 } }, manager: 'ctrl', statusSubresource: true, types: DEPLOYMENT, apiVersion: 'apps/v1', now: T1 }) as Obj;
    expect(entries(m).map((e) => [e.manager, e.subresource])).toEqual([
      ['ctrl', 'status'],
      ['ctrl', undefined],
    ]);
  });

  it('uses the live managedFields when the request carries none or unreadable ones, and on subresources', () => {
    const a = ok(apply({ applied: configMap({ a: '1' }), manager: 'alice' }));
    const stripped = { ...a, metadata: { ...a.metadata, managedFields: undefined } };
    expect(entry(trackUpdate({ live: a, updated: stripped, manager: 'x', types: CONFIGMAP, apiVersion: 'v1', now: T1 }) as Obj, 'alice')).toBeDefined();
    const garbage = { ...a, metadata: { ...a.metadata, managedFields: [{ operation: 'Nope' }] } };
    expect(entry(trackUpdate({ live: a, updated: garbage, manager: 'x', types: CONFIGMAP, apiVersion: 'v1', now: T1 }) as Obj, 'alice')).toBeDefined();
  });

  it('lets a client replace managedFields, and clear them with [{}]', () => {
    const a = ok(apply({ applied: configMap({ a: '1' }), manager: 'alice' }));
    const renamed = { ...a, metadata: { ...a.metadata, managedFields: [{ ...a.metadata.managedFields![0], manager: 'bob' }] } };
    expect(entries(trackUpdate({ live: a, updated: renamed, manager: 'x', types: CONFIGMAP, apiVersion: 'v1', now: T1 }) as Obj).map((e) => e.manager)).toEqual(['bob']);
    const cleared = { ...a, metadata: { ...a.metadata, managedFields: [{}] } };
    expect((trackUpdate({ live: a, updated: cleared, manager: 'x', types: CONFIGMAP, apiVersion: 'v1', now: T1 }) as Obj).metadata.managedFields).toBeUndefined();
  });
});

describe('kubectl client-side apply to server-side apply', () => {
  const lastApplied = JSON.stringify(deployment({ replicas: 1 }));
  const csa = () =>
    trackUpdate({
      updated: deployment({ replicas: 1 }, { annotations: { 'kubectl.kubernetes.io/last-applied-configuration': lastApplied } }),
      manager: 'kubectl-client-side-apply',
      types: DEPLOYMENT,
      apiVersion: 'apps/v1',
      now: T0,
    });

  it('lets "kubectl" take over fields client-side apply last applied, and rewrites the annotation', () => {
    const o = ok(apply({ live: csa(), applied: deployment({ replicas: 3 }, { labels: { a: '<b>' } }), manager: 'kubectl', now: T1 }));
    expect(o.spec).toEqual({ replicas: 3 });
    expect((o.metadata.annotations as JsonObject)['kubectl.kubernetes.io/last-applied-configuration']).toBe(
      '{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"labels":{"a":"\\u003cb\\u003e"},"name":"web","namespace":"default"},"spec":{"replicas":3}}',
    );
    expect(entry(o, 'kubectl-client-side-apply')?.fieldsV1).toEqual({
      'f:metadata': { 'f:annotations': { '.': {}, 'f:kubectl.kubernetes.io/last-applied-configuration': {} } },
    });
  });

  it('still conflicts for any other field manager', () => {
    const r = apply({ live: csa(), applied: deployment({ replicas: 3 }), manager: 'flux' });
    expect(!r.ok && r.error.message).toBe('Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using apps/v1: .spec.replicas');
  });
});

describe('purity', () => {
  it('never modifies the live object or the configuration', () => {
    const live = trackUpdate({
      updated: deployment(pod([{ name: 'app', image: 'a' }]), { annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{}' }, labels: { a: '1' } }),
      manager: 'kubectl-client-side-apply',
      types: DEPLOYMENT,
      apiVersion: 'apps/v1',
      now: T0,
    });
    const applied = deployment({ replicas: 2, ...pod([{ name: 'app', image: 'b' }]) });
    const [liveBefore, appliedBefore] = [structuredClone(live), structuredClone(applied)];
    const r = ok(apply({ live, applied, manager: 'kubectl', force: true }));
    expect(live).toEqual(liveBefore);
    expect(applied).toEqual(appliedBefore);
    // The result shares nothing with the live object.
    (r.metadata.annotations as JsonObject).x = 'y';
    ((r.spec as JsonObject).template as JsonObject).z = 1;
    expect(live).toEqual(liveBefore);
    const updated = { ...r, data: { a: 1 } };
    const updatedBefore = structuredClone(updated);
    trackUpdate({ live: r, updated, manager: 'x', types: DEPLOYMENT, apiVersion: 'apps/v1', now: T1 });
    expect(updated).toEqual(updatedBefore);
  });
});

describe('Update entries beyond ten', () => {
  it('are merged, oldest first, into "ancient-changes"', () => {
    let obj: object = configMap({});
    for (let i = 0; i < 12; i++) {
      obj = trackUpdate({ live: obj, updated: { ...obj, data: { ...((obj as Obj).data as object), [`k${i}`]: 'v' } }, manager: `m${String(i).padStart(2, '0')}`, types: CONFIGMAP, apiVersion: 'v1', now: `2026-01-01T00:00:${String(i).padStart(2, '0')}Z` });
    }
    const managers = entries(obj as Obj).map((e) => e.manager);
    expect(managers).toHaveLength(10);
    expect(managers).toContain('ancient-changes');
    expect(managers).not.toContain('m00');
    expect(managers).not.toContain('m02');
    expect(entry(obj as Obj, 'ancient-changes')?.fieldsV1).toEqual({ 'f:data': { '.': {}, 'f:k0': {}, 'f:k1': {}, 'f:k2': {} } });
  });
});

describe('conflict messages', () => {
  it('group several conflicts by manager, as kube-apiserver does', () => {
    const message = formatConflictMessage([
      { manager: 'b', operation: 'Update', apiVersion: 'apps/v1', field: '.spec.replicas' },
      { manager: 'a', operation: 'Apply', apiVersion: 'apps/v1', field: '.spec.paused' },
      { manager: 'a', operation: 'Apply', apiVersion: 'apps/v1', field: '.spec.minReadySeconds' },
    ]);
    expect(message).toBe(
      'Apply failed with 3 conflicts: conflicts with "a":\n- .spec.paused\n- .spec.minReadySeconds\nconflicts with "b" using apps/v1:\n- .spec.replicas',
    );
    expect(conflictError([{ manager: 'a', operation: 'Apply', apiVersion: 'v1', field: '.x' }]).code).toBe(409);
  });
});
