import { beforeAll, describe, expect, it } from 'vitest';
import { useCluster } from '../harness/cluster.js';
import { configMap, configMapsPath, expectStatus, ok, statusOf, widget, widgetsPath } from './support.js';

// The three patch types: JSON merge patch (RFC 7386: objects merge, lists are replaced, null
// deletes), JSON patch (RFC 6902 operations) and strategic merge patch (built-in kinds only:
// lists with a patch merge key merge item by item).
const cluster = useCluster();
const MERGE = 'application/merge-patch+json';
const JSONPATCH = 'application/json-patch+json';
const STRATEGIC = 'application/strategic-merge-patch+json';
let ns: string;

const deployments = (name?: string) => `/apis/apps/v1/namespaces/${ns}/deployments${name ? `/${name}` : ''}`;

beforeAll(async () => {
  ns = await cluster.newNamespace('patch');
  ok(await cluster.request({ method: 'POST', path: configMapsPath(ns), body: configMap('cm', { a: '1', b: '2' }) }));
  ok(
    await cluster.request({
      method: 'POST',
      path: deployments(),
      body: {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'd' },
        spec: {
          replicas: 0,
          selector: { matchLabels: { app: 'd' } },
          template: { metadata: { labels: { app: 'd' } }, spec: { containers: [{ name: 'main', image: 'example.invalid/main:1' }] } },
        },
      },
    }),
  );
});

describe('JSON merge patch', () => {
  it('merges maps and deletes keys set to null', async () => {
    const patched = ok(await cluster.request({ method: 'PATCH', path: configMapsPath(ns, 'cm'), body: { data: { b: null, c: '3' } }, contentType: MERGE }));
    expect(patched.data).toEqual({ a: '1', c: '3' });
  });

  it('replaces lists whole', async () => {
    const patched = ok(
      await cluster.request({
        method: 'PATCH',
        path: deployments('d'),
        body: { spec: { template: { spec: { containers: [{ name: 'only', image: 'example.invalid/only:1' }] } } } },
        contentType: MERGE,
      }),
    );
    expect(patched.spec.template.spec.containers.map((c: { name: string }) => c.name)).toEqual(['only']);
  });

  it('on a missing object is 404', async () => {
    const res = await cluster.request({ method: 'PATCH', path: configMapsPath(ns, 'missing'), body: { data: {} }, contentType: MERGE });
    expectStatus(res, 404);
  });

  it('works on custom resources', async () => {
    ok(await cluster.request({ method: 'POST', path: widgetsPath(ns), body: widget('w', { size: 1, tags: ['a'] }) }));
    const patched = ok(await cluster.request({ method: 'PATCH', path: widgetsPath(ns, 'w'), body: { spec: { tags: ['b', 'c'] } }, contentType: MERGE }));
    expect(patched.spec.tags).toEqual(['b', 'c']);
  });
});

describe('JSON patch', () => {
  it('applies add, replace and remove in order', async () => {
    const patched = ok(
      await cluster.request({
        method: 'PATCH',
        path: configMapsPath(ns, 'cm'),
        body: [
          { op: 'add', path: '/data/d', value: '4' },
          { op: 'replace', path: '/data/a', value: 'one' },
          { op: 'remove', path: '/data/c' },
        ],
        contentType: JSONPATCH,
      }),
    );
    expect(patched.data).toEqual({ a: 'one', d: '4' });
  });

  it('a failing test operation is 422 and changes nothing', async () => {
    const before = ok(await cluster.request({ path: configMapsPath(ns, 'cm') }));
    const res = await cluster.request({
      method: 'PATCH',
      path: configMapsPath(ns, 'cm'),
      body: [
        { op: 'test', path: '/data/a', value: 'not-this' },
        { op: 'replace', path: '/data/a', value: 'changed' },
      ],
      contentType: JSONPATCH,
    });
    expectStatus(res, 422);
    const after = ok(await cluster.request({ path: configMapsPath(ns, 'cm') }));
    expect(after.data).toEqual(before.data);
  });

  it('removing a path that does not exist is 422', async () => {
    const res = await cluster.request({ method: 'PATCH', path: configMapsPath(ns, 'cm'), body: [{ op: 'remove', path: '/data/nope' }], contentType: JSONPATCH });
    expectStatus(res, 422);
  });

  it('a body that is not a list of operations is 400', async () => {
    const res = await cluster.request({ method: 'PATCH', path: configMapsPath(ns, 'cm'), body: { op: 'add' }, contentType: JSONPATCH });
    expectStatus(res, 400);
  });

  it('decodes RFC 6901 escapes in paths (~1 is "/", ~0 is "~")', async () => {
    const patched = ok(
      await cluster.request({
        method: 'PATCH',
        path: widgetsPath(ns, 'w'),
        body: [
          { op: 'add', path: '/spec/labels', value: { 'a/b~c': 'x' } },
          { op: 'replace', path: '/spec/labels/a~1b~0c', value: 'y' },
        ],
        contentType: JSONPATCH,
      }),
    );
    expect(patched.spec.labels).toEqual({ 'a/b~c': 'y' });
  });

  it('can append to a list with "-"', async () => {
    const patched = ok(
      await cluster.request({ method: 'PATCH', path: widgetsPath(ns, 'w'), body: [{ op: 'add', path: '/spec/tags/-', value: 'd' }], contentType: JSONPATCH }),
    );
    expect(patched.spec.tags).toEqual(['b', 'c', 'd']);
  });
});

describe('strategic merge patch', () => {
  it('merges a list with a patch merge key item by item', async () => {
    const patched = ok(
      await cluster.request({
        method: 'PATCH',
        path: deployments('d'),
        body: { spec: { template: { spec: { containers: [{ name: 'sidecar', image: 'example.invalid/sidecar:1' }] } } } },
        contentType: STRATEGIC,
      }),
    );
    const names = patched.spec.template.spec.containers.map((c: { name: string }) => c.name).sort();
    expect(names).toEqual(['only', 'sidecar']);
  });

  it('changes one field of a keyed list item', async () => {
    const patched = ok(
      await cluster.request({
        method: 'PATCH',
        path: deployments('d'),
        body: { spec: { template: { spec: { containers: [{ name: 'only', image: 'example.invalid/only:2' }] } } } },
        contentType: STRATEGIC,
      }),
    );
    const only = patched.spec.template.spec.containers.find((c: { name: string }) => c.name === 'only');
    expect(only.image).toBe('example.invalid/only:2');
    expect(patched.spec.template.spec.containers).toHaveLength(2);
  });

  it('deletes a keyed list item with $patch: delete', async () => {
    const patched = ok(
      await cluster.request({
        method: 'PATCH',
        path: deployments('d'),
        body: { spec: { template: { spec: { containers: [{ name: 'sidecar', $patch: 'delete' }] } } } },
        contentType: STRATEGIC,
      }),
    );
    expect(patched.spec.template.spec.containers.map((c: { name: string }) => c.name)).toEqual(['only']);
  });

  it('merges maps like a merge patch', async () => {
    const patched = ok(await cluster.request({ method: 'PATCH', path: configMapsPath(ns, 'cm'), body: { data: { e: '5' } }, contentType: STRATEGIC }));
    expect(patched.data).toMatchObject({ a: 'one', d: '4', e: '5' });
  });

  it('is refused for custom resources with 415', async () => {
    const res = await cluster.request({ method: 'PATCH', path: widgetsPath(ns, 'w'), body: { spec: { size: 2 } }, contentType: STRATEGIC });
    expectStatus(res, 415);
    expect(statusOf(res).reason).toBe('UnsupportedMediaType');
  });
});
