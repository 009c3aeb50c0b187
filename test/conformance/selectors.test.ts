import { beforeAll, describe, expect, it } from 'vitest';
import { useCluster } from '../harness/cluster.js';
import { configMap, configMapsPath, expectStatus, ok, statusOf, widget, widgetsPath } from './support.js';

// Label selectors (=, ==, !=, in, notin, exists, !exists) and field selectors
// (metadata.name, metadata.namespace) filter lists and watches on the server.
const cluster = useCluster();
let ns: string;

beforeAll(async () => {
  ns = await cluster.newNamespace('selectors');
  const items: Array<[string, Record<string, string>]> = [
    ['red-small', { color: 'red', size: 'small' }],
    ['red-big', { color: 'red', size: 'big' }],
    ['blue-small', { color: 'blue', size: 'small' }],
    ['green', { color: 'green' }],
    ['plain', {}],
  ];
  for (const [name, labels] of items) {
    ok(await cluster.request({ method: 'POST', path: configMapsPath(ns), body: configMap(name, {}, { labels }) }));
    ok(await cluster.request({ method: 'POST', path: widgetsPath(ns), body: widget(name, { size: 1 }, { labels }) }));
  }
});

async function names(path: string, query: string): Promise<string[]> {
  const list = ok(await cluster.request({ path: `${path}?${query}` }));
  // A cluster with kube-controller-manager publishes kube-root-ca.crt into every namespace.
  return list.items.map((i: any) => i.metadata.name).filter((n: string) => n !== 'kube-root-ca.crt').sort();
}

describe.each([
  { kind: 'ConfigMap', path: () => configMapsPath(ns) },
  { kind: 'Widget', path: () => widgetsPath(ns) },
])('$kind label selectors', ({ path }) => {
  it.each([
    ['color=red', ['red-big', 'red-small']],
    ['color==red', ['red-big', 'red-small']],
    ['color!=red', ['blue-small', 'green', 'plain']],
    ['color in (red,blue)', ['blue-small', 'red-big', 'red-small']],
    ['color notin (red,blue)', ['green', 'plain']],
    ['size', ['blue-small', 'red-big', 'red-small']],
    ['!size', ['green', 'plain']],
    ['color=red,size=small', ['red-small']],
    ['color in (red),size notin (big)', ['red-small']],
  ])('%s', async (selector, expected) => {
    expect(await names(path(), `labelSelector=${encodeURIComponent(selector)}`)).toEqual(expected);
  });

  it('an invalid label selector is 400', async () => {
    const res = await cluster.request({ path: `${path()}?labelSelector=${encodeURIComponent('color in red')}` });
    expectStatus(res, 400);
    expect(statusOf(res).reason).toBe('BadRequest');
  });
});

describe('field selectors', () => {
  it('metadata.name selects one object', async () => {
    expect(await names(configMapsPath(ns), 'fieldSelector=metadata.name%3Dgreen')).toEqual(['green']);
    expect(await names(widgetsPath(ns), 'fieldSelector=metadata.name%3Dgreen')).toEqual(['green']);
  });

  it('metadata.name != excludes one object', async () => {
    expect(await names(widgetsPath(ns), 'fieldSelector=metadata.name!%3Dgreen')).toEqual(['blue-small', 'plain', 'red-big', 'red-small']);
  });

  it('metadata.namespace works across namespaces', async () => {
    const list = ok(await cluster.request({ path: `/apis/conformance.agentlab.dev/v1/widgets?fieldSelector=metadata.namespace%3D${ns}` }));
    expect(list.items.every((i: any) => i.metadata.namespace === ns)).toBe(true);
    expect(list.items).toHaveLength(5);
    const other = ok(await cluster.request({ path: `/apis/conformance.agentlab.dev/v1/widgets?fieldSelector=metadata.namespace%3Dno-such-ns-zz` }));
    expect(other.items).toEqual([]);
  });

  it('combines with a label selector', async () => {
    expect(await names(configMapsPath(ns), 'fieldSelector=metadata.name%3Dred-big&labelSelector=color%3Dred')).toEqual(['red-big']);
    expect(await names(configMapsPath(ns), 'fieldSelector=metadata.name%3Dred-big&labelSelector=color%3Dblue')).toEqual([]);
  });

  it('an unsupported field is 400', async () => {
    const res = await cluster.request({ path: `${widgetsPath(ns)}?fieldSelector=spec.size%3D1` });
    expectStatus(res, 400);
    expect(statusOf(res).reason).toBe('BadRequest');
  });

  it('pods support spec.nodeName and status.phase', async () => {
    const res = await cluster.request({ path: `/api/v1/namespaces/${ns}/pods?fieldSelector=spec.nodeName%3Dnowhere,status.phase%3DRunning` });
    expect(ok(res).items).toEqual([]);
  });
});
