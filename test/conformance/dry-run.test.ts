import { beforeAll, describe, expect, it } from 'vitest';
import { useCluster } from '../harness/cluster.js';
import { configMap, configMapsPath, expectStatus, ok, statusOf, widget, widgetsPath } from './support.js';

// dryRun=All runs a request through defaulting, validation and admission and returns the
// result, but persists nothing.
const cluster = useCluster();
let ns: string;

beforeAll(async () => {
  ns = await cluster.newNamespace('dryrun');
});

describe('dryRun=All', () => {
  it('create returns the defaulted object and stores nothing', async () => {
    const res = await cluster.request({ method: 'POST', path: `${widgetsPath(ns)}?dryRun=All`, body: widget('ghost', { size: 2 }) });
    expectStatus(res, 201);
    const returned = res.json();
    expect(returned.metadata.name).toBe('ghost');
    expect(returned.spec.color).toBe('blue');
    expectStatus(await cluster.request({ path: widgetsPath(ns, 'ghost') }), 404);
  });

  it('create still validates', async () => {
    const res = await cluster.request({ method: 'POST', path: `${widgetsPath(ns)}?dryRun=All`, body: widget('bad', { size: -1 }) });
    expectStatus(res, 422);
    expect(statusOf(res).details?.causes?.some((c) => c.field === 'spec.size')).toBe(true);
  });

  it('create still reports AlreadyExists', async () => {
    ok(await cluster.request({ method: 'POST', path: configMapsPath(ns), body: configMap('real', { v: '1' }) }));
    const res = await cluster.request({ method: 'POST', path: `${configMapsPath(ns)}?dryRun=All`, body: configMap('real') });
    expectStatus(res, 409);
    expect(statusOf(res).reason).toBe('AlreadyExists');
  });

  it('update returns the new object and leaves the stored one alone', async () => {
    const current = ok(await cluster.request({ path: configMapsPath(ns, 'real') }));
    const res = ok(await cluster.request({ method: 'PUT', path: `${configMapsPath(ns, 'real')}?dryRun=All`, body: { ...current, data: { v: '2' } } }));
    expect(res.data).toEqual({ v: '2' });
    const stored = ok(await cluster.request({ path: configMapsPath(ns, 'real') }));
    expect(stored.data).toEqual({ v: '1' });
    expect(stored.metadata.resourceVersion).toBe(current.metadata.resourceVersion);
  });

  it('patch returns the patched object and leaves the stored one alone', async () => {
    const res = ok(
      await cluster.request({ method: 'PATCH', path: `${configMapsPath(ns, 'real')}?dryRun=All`, body: { data: { v: '3' } }, contentType: 'application/merge-patch+json' }),
    );
    expect(res.data).toEqual({ v: '3' });
    expect(ok(await cluster.request({ path: configMapsPath(ns, 'real') })).data).toEqual({ v: '1' });
  });

  it('delete returns success and deletes nothing', async () => {
    const res = await cluster.request({ method: 'DELETE', path: `${configMapsPath(ns, 'real')}?dryRun=All` });
    expect(res.status).toBe(200);
    ok(await cluster.request({ path: configMapsPath(ns, 'real') }));
  });

  it('a dry-run write is not seen by watchers', async () => {
    const rv = ok(await cluster.request({ path: configMapsPath(ns) })).metadata.resourceVersion;
    const watch = await cluster.watch(`${configMapsPath(ns)}?resourceVersion=${rv}`);
    ok(await cluster.request({ method: 'POST', path: `${configMapsPath(ns)}?dryRun=All`, body: configMap('invisible') }));
    ok(await cluster.request({ method: 'POST', path: configMapsPath(ns), body: configMap('visible') }));
    const first = await watch.next();
    expect(first.type).toBe('ADDED');
    expect(first.object.metadata.name).toBe('visible');
    watch.close();
  });
});
