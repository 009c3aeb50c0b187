import { describe, expect, it } from 'vitest';
import { useCluster } from '../harness/cluster.js';
import { ok, WIDGET_GROUP } from './support.js';

// Discovery documents are how kubectl resolves short names (`kubectl get wdg`), categories
// (`kubectl get conformance`), verbs and subresources.
const cluster = useCluster();

describe('discovery', () => {
  it('/version reports a Kubernetes version', async () => {
    const v = ok(await cluster.request({ path: '/version' }));
    expect(v.gitVersion).toMatch(/^v1\.\d+\.\d+/);
    expect(v.major).toBe('1');
  });

  it('/api lists v1', async () => {
    const api = ok(await cluster.request({ path: '/api' }));
    expect(api.kind).toBe('APIVersions');
    expect(api.versions).toContain('v1');
  });

  it('/api/v1 lists core resources with their subresources', async () => {
    const list = ok(await cluster.request({ path: '/api/v1' }));
    const names = list.resources.map((r: { name: string }) => r.name);
    for (const n of ['namespaces', 'pods', 'pods/status', 'pods/log', 'services', 'services/proxy', 'configmaps', 'secrets', 'events', 'endpoints', 'nodes']) {
      expect(names).toContain(n);
    }
    const cm = list.resources.find((r: { name: string }) => r.name === 'configmaps');
    expect(cm).toMatchObject({ namespaced: true, kind: 'ConfigMap', shortNames: ['cm'] });
    const ns = list.resources.find((r: { name: string }) => r.name === 'namespaces');
    expect(ns.namespaced).toBe(false);
  });

  it('/apis lists the test group and the apiextensions group', async () => {
    const apis = ok(await cluster.request({ path: '/apis' }));
    expect(apis.kind).toBe('APIGroupList');
    const names = apis.groups.map((g: { name: string }) => g.name);
    expect(names).toContain(WIDGET_GROUP);
    expect(names).toContain('apiextensions.k8s.io');
    expect(names).toContain('apps');
  });

  it('the Widget resource carries short names, categories, verbs and subresources', async () => {
    const list = ok(await cluster.request({ path: `/apis/${WIDGET_GROUP}/v1` }));
    const widgets = list.resources.find((r: { name: string }) => r.name === 'widgets');
    expect(widgets).toMatchObject({ singularName: 'widget', namespaced: true, kind: 'Widget', shortNames: ['wdg', 'wd'], categories: ['conformance'] });
    expect(widgets.verbs).toEqual(expect.arrayContaining(['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch']));
    const status = list.resources.find((r: { name: string }) => r.name === 'widgets/status');
    expect(status).toMatchObject({ namespaced: true, kind: 'Widget' });
    expect([...status.verbs].sort()).toEqual(['get', 'patch', 'update']);
    const scale = list.resources.find((r: { name: string }) => r.name === 'widgets/scale');
    expect(scale).toMatchObject({ namespaced: true, kind: 'Scale', group: 'autoscaling', version: 'v1' });
  });

  it('/apis/<group> names the preferred version', async () => {
    const g = ok(await cluster.request({ path: `/apis/${WIDGET_GROUP}` }));
    expect(g.kind).toBe('APIGroup');
    expect(g.preferredVersion).toEqual({ groupVersion: `${WIDGET_GROUP}/v1`, version: 'v1' });
  });

  it('the OpenAPI v3 document of the group describes the Widget schema', async () => {
    // kube-apiserver publishes a new CRD's OpenAPI asynchronously, a moment after Established.
    const widgetSchema = await cluster.waitFor(
      async () => {
        const index = ok(await cluster.request({ path: '/openapi/v3' }));
        const entry = index.paths[`apis/${WIDGET_GROUP}/v1`];
        if (!entry?.serverRelativeURL) return undefined;
        const doc = ok(await cluster.request({ path: entry.serverRelativeURL }));
        const schemas = (doc.components?.schemas ?? {}) as Record<string, any>;
        return Object.entries(schemas).find(([k]) => k.endsWith('.Widget'))?.[1];
      },
      { what: 'the Widget schema in /openapi/v3' },
    );
    expect(widgetSchema.properties.spec.properties.size.description).toBe('How big the widget is, from 0 to 100.');
  });
});
