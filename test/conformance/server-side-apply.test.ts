import { beforeAll, describe, expect, it } from 'vitest';
import { useCluster } from '../harness/cluster.js';
import { expectStatus, ok, statusOf, widgetsPath, WIDGET_API_VERSION } from './support.js';

// Server-side apply: each field manager owns the fields it applied (managedFields); applying a
// field another manager owns, with a different value, is a 409 conflict unless forced; a field a
// manager stops applying is removed when nobody else owns it.
const cluster = useCluster();
const APPLY = 'application/apply-patch+yaml';
let ns: string;

beforeAll(async () => {
  ns = await cluster.newNamespace('ssa');
});

function apply(manager: string, name: string, spec: Record<string, unknown>, opts: { force?: boolean } = {}) {
  const q = `fieldManager=${manager}${opts.force ? '&force=true' : ''}`;
  const body = { apiVersion: WIDGET_API_VERSION, kind: 'Widget', metadata: { name }, spec };
  return cluster.request({ method: 'PATCH', path: `${widgetsPath(ns, name)}?${q}`, body: JSON.stringify(body), contentType: APPLY });
}

function entry(obj: any, manager: string): any {
  return (obj.metadata.managedFields ?? []).find((m: { manager: string }) => m.manager === manager);
}

describe('server-side apply', () => {
  it('creates the object (201) and records the manager with operation Apply', async () => {
    const res = await apply('alice', 'w', { size: 1, nickname: 'alpha', ports: [{ name: 'http', port: 80 }] });
    expectStatus(res, 201);
    const obj = res.json();
    const alice = entry(obj, 'alice');
    expect(alice).toMatchObject({ manager: 'alice', operation: 'Apply', apiVersion: WIDGET_API_VERSION, fieldsType: 'FieldsV1' });
    expect(Date.parse(alice.time)).not.toBeNaN();
    expect(alice.fieldsV1['f:spec']).toHaveProperty('f:size');
    expect(alice.fieldsV1['f:spec']).toHaveProperty('f:nickname');
    expect(alice.fieldsV1['f:spec']['f:ports']).toHaveProperty('k:{"name":"http"}');
  });

  it('accepts YAML bodies', async () => {
    const yaml = `apiVersion: ${WIDGET_API_VERSION}\nkind: Widget\nmetadata:\n  name: from-yaml\nspec:\n  size: 4\n`;
    const res = await cluster.request({ method: 'PATCH', path: `${widgetsPath(ns, 'from-yaml')}?fieldManager=yaml`, body: yaml, contentType: APPLY });
    expectStatus(res, 201);
    expect(res.json().spec.size).toBe(4);
  });

  it('requires a fieldManager (422)', async () => {
    const body = JSON.stringify({ apiVersion: WIDGET_API_VERSION, kind: 'Widget', metadata: { name: 'w' }, spec: { size: 1 } });
    const res = await cluster.request({ method: 'PATCH', path: widgetsPath(ns, 'w'), body, contentType: APPLY });
    expectStatus(res, 422);
  });

  it('re-applying the same configuration changes nothing', async () => {
    const before = ok(await cluster.request({ path: widgetsPath(ns, 'w') }));
    const again = ok(await apply('alice', 'w', { size: 1, nickname: 'alpha', ports: [{ name: 'http', port: 80 }] }));
    expect(again.metadata.resourceVersion).toBe(before.metadata.resourceVersion);
  });

  it('a different value for a field another manager owns is a 409 conflict naming the manager and field', async () => {
    const res = await apply('bob', 'w', { size: 2 });
    expectStatus(res, 409);
    const s = statusOf(res);
    expect(s.reason).toBe('Conflict');
    const cause = s.details?.causes?.find((c) => c.field === '.spec.size');
    expect(cause?.reason).toBe('FieldManagerConflict');
    expect(cause?.message).toContain('alice');
    expect(ok(await cluster.request({ path: widgetsPath(ns, 'w') })).spec.size).toBe(1);
  });

  it('the same value is no conflict: ownership is shared', async () => {
    const obj = ok(await apply('carol', 'w', { size: 1 }));
    expect(entry(obj, 'carol').fieldsV1['f:spec']).toHaveProperty('f:size');
    expect(entry(obj, 'alice').fieldsV1['f:spec']).toHaveProperty('f:size');
  });

  it('force takes the field over from every other owner', async () => {
    const obj = ok(await apply('bob', 'w', { size: 3 }, { force: true }));
    expect(obj.spec.size).toBe(3);
    expect(entry(obj, 'bob').fieldsV1['f:spec']).toHaveProperty('f:size');
    expect(entry(obj, 'alice').fieldsV1['f:spec']).not.toHaveProperty('f:size');
    expect(entry(obj, 'carol')).toBeUndefined();
  });

  it('managers own separate items of a map-type list', async () => {
    const obj = ok(await apply('bob', 'w', { size: 3, ports: [{ name: 'metrics', port: 9090 }] }));
    expect(obj.spec.ports).toEqual(expect.arrayContaining([{ name: 'http', port: 80 }, { name: 'metrics', port: 9090 }]));
    expect(obj.spec.ports).toHaveLength(2);
  });

  it('a field the manager stops applying is removed; fields others own stay', async () => {
    const obj = ok(await apply('alice', 'w', {}));
    expect(obj.spec).not.toHaveProperty('nickname');
    expect(obj.spec.ports).toEqual([{ name: 'metrics', port: 9090 }]);
    expect(obj.spec.size).toBe(3);
  });

  it('an Update (PUT) is recorded with operation Update under the fieldManager query parameter', async () => {
    const current = ok(await cluster.request({ path: widgetsPath(ns, 'w') }));
    current.spec.nickname = 'edited';
    const updated = ok(await cluster.request({ method: 'PUT', path: `${widgetsPath(ns, 'w')}?fieldManager=dave`, body: current }));
    const dave = entry(updated, 'dave');
    expect(dave.operation).toBe('Update');
    expect(dave.fieldsV1['f:spec']).toHaveProperty('f:nickname');
  });

  it('an apply to /status records the subresource', async () => {
    const body = JSON.stringify({ apiVersion: WIDGET_API_VERSION, kind: 'Widget', metadata: { name: 'w' }, status: { phase: 'Ready' } });
    const res = await cluster.request({ method: 'PATCH', path: `${widgetsPath(ns, 'w', 'status')}?fieldManager=status-writer`, body, contentType: APPLY });
    const obj = ok(res);
    expect(obj.status.phase).toBe('Ready');
    expect(entry(obj, 'status-writer')).toMatchObject({ operation: 'Apply', subresource: 'status' });
  });
});
