import { beforeAll, describe, expect, it } from 'vitest';
import { useCluster } from '../harness/cluster.js';
import { configMap, configMapsPath, expectStatus, ok, statusOf, widget, widgetsPath } from './support.js';

// Create, read, update, delete; generateName; server-set metadata (uid, creationTimestamp,
// resourceVersion) for a built-in kind and a custom resource.
const cluster = useCluster();
let ns: string;

beforeAll(async () => {
  ns = await cluster.newNamespace('crud');
});

describe.each([
  { kind: 'ConfigMap', path: (n?: string) => configMapsPath(ns, n), make: (name: string) => configMap(name, { a: '1' }) },
  { kind: 'Widget', path: (n?: string) => widgetsPath(ns, n), make: (name: string) => widget(name, { size: 3 }) },
])('$kind CRUD', ({ kind, path, make }) => {
  it('create returns 201 with server-set metadata', async () => {
    const res = await cluster.request({ method: 'POST', path: path(), body: make('first') });
    expectStatus(res, 201);
    const created = res.json();
    expect(created.kind).toBe(kind);
    expect(created.metadata.name).toBe('first');
    expect(created.metadata.namespace).toBe(ns);
    expect(created.metadata.uid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(Date.parse(created.metadata.creationTimestamp)).not.toBeNaN();
    expect(created.metadata.creationTimestamp).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    expect(created.metadata.resourceVersion).toEqual(expect.any(String));
    expect(created.metadata.resourceVersion).not.toBe('');
  });

  it('get returns what was stored; list contains it', async () => {
    const got = ok(await cluster.request({ path: path('first') }));
    expect(got.metadata.name).toBe('first');
    const list = ok(await cluster.request({ path: path() }));
    expect(list.kind).toBe(`${kind}List`);
    expect(list.metadata.resourceVersion).toEqual(expect.any(String));
    expect(list.metadata.resourceVersion).not.toBe('');
    expect(list.items.map((i: any) => i.metadata.name)).toContain('first');
  });

  it('a second create with the same name is 409 AlreadyExists', async () => {
    const res = await cluster.request({ method: 'POST', path: path(), body: make('first') });
    expectStatus(res, 409);
    const status = statusOf(res);
    expect(status.reason).toBe('AlreadyExists');
    expect(status.details?.name).toBe('first');
  });

  it('update (PUT) changes the object and its resourceVersion but keeps uid and creationTimestamp', async () => {
    const before = ok(await cluster.request({ path: path('first') }));
    const changed = structuredClone(before);
    changed.metadata.labels = { touched: 'yes' };
    const after = ok(await cluster.request({ method: 'PUT', path: path('first'), body: changed }));
    expect(after.metadata.labels).toEqual({ touched: 'yes' });
    expect(after.metadata.uid).toBe(before.metadata.uid);
    expect(after.metadata.creationTimestamp).toBe(before.metadata.creationTimestamp);
    expect(after.metadata.resourceVersion).not.toBe(before.metadata.resourceVersion);
  });

  it('generateName gives a unique name with the prefix', async () => {
    const body = make('');
    delete body.metadata.name;
    body.metadata.generateName = 'gen-';
    const a = ok(await cluster.request({ method: 'POST', path: path(), body }));
    const b = ok(await cluster.request({ method: 'POST', path: path(), body }));
    expect(a.metadata.name).toMatch(/^gen-[a-z0-9]{5}$/);
    expect(b.metadata.name).toMatch(/^gen-[a-z0-9]{5}$/);
    expect(a.metadata.name).not.toBe(b.metadata.name);
    expect(a.metadata.generateName).toBe('gen-');
  });

  it('a create with neither name nor generateName is 422 with a metadata.name cause', async () => {
    const body = make('');
    delete body.metadata.name;
    const res = await cluster.request({ method: 'POST', path: path(), body });
    expectStatus(res, 422);
    const status = statusOf(res);
    expect(status.reason).toBe('Invalid');
    expect(status.details?.causes?.some((c) => c.field === 'metadata.name')).toBe(true);
  });

  it('delete returns 200 and the object is gone', async () => {
    const res = await cluster.request({ method: 'DELETE', path: path('first') });
    expect(res.status).toBe(200);
    const gone = await cluster.request({ path: path('first') });
    expectStatus(gone, 404);
    expect(statusOf(gone).reason).toBe('NotFound');
  });

  it('deleting a missing object is 404 NotFound', async () => {
    const res = await cluster.request({ method: 'DELETE', path: path('never-existed') });
    expectStatus(res, 404);
    expect(statusOf(res).reason).toBe('NotFound');
  });
});

describe('typed clients', () => {
  it('a built-in object without apiVersion and kind takes them from the URL', async () => {
    const res = await cluster.request({ method: 'POST', path: configMapsPath(ns), body: { metadata: { name: 'no-typemeta' }, data: { k: 'v' } } });
    expectStatus(res, 201);
    expect(res.json()).toMatchObject({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'no-typemeta' } });
  });


  it('creates, reads and deletes a ConfigMap through CoreV1Api', async () => {
    await cluster.core.createNamespacedConfigMap({ namespace: ns, body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'typed' }, data: { k: 'v' } } });
    const read = await cluster.core.readNamespacedConfigMap({ namespace: ns, name: 'typed' });
    expect(read.data).toEqual({ k: 'v' });
    expect(read.metadata?.uid).toBeTruthy();
    await cluster.core.deleteNamespacedConfigMap({ namespace: ns, name: 'typed' });
    await expect(cluster.core.readNamespacedConfigMap({ namespace: ns, name: 'typed' })).rejects.toMatchObject({ code: 404 });
  });
});
