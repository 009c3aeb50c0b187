import { beforeAll, describe, expect, it } from 'vitest';
import { useCluster } from '../harness/cluster.js';
import { condition, expectStatus, ok, statusOf } from './support.js';

// A CustomResourceDefinition goes NamesAccepted -> Established, after which its resource is
// served and discoverable; deleting it removes its objects and stops serving the resource.
const cluster = useCluster();
const suffix = Math.random().toString(36).replace(/[^a-z]/g, '').slice(0, 6) || 'abc';
const group = 'lifecycle.conformance.agentlab.dev';
const plural = `gizmos${suffix}`;
const kind = `Gizmo${suffix}`;
const crdName = `${plural}.${group}`;
const crdPath = `/apis/apiextensions.k8s.io/v1/customresourcedefinitions`;
let ns: string;

function crd(): Record<string, unknown> {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: crdName },
    spec: {
      group,
      scope: 'Namespaced',
      names: { plural, singular: `gizmo${suffix}`, kind, listKind: `${kind}List`, shortNames: [`gz${suffix}`], categories: ['conformance-lifecycle'] },
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', properties: { n: { type: 'integer' } } } } } },
        },
      ],
    },
  };
}

beforeAll(async () => {
  ns = await cluster.newNamespace('crdlife');
});

describe('CRD lifecycle', () => {
  it('a CRD whose name is not <plural>.<group> is 422', async () => {
    const bad = crd() as any;
    bad.metadata.name = `wrong.${group}`;
    const res = await cluster.request({ method: 'POST', path: crdPath, body: bad });
    expectStatus(res, 422);
    expect(statusOf(res).details?.causes?.some((c) => c.field === 'metadata.name')).toBe(true);
  });

  it('a new CRD becomes NamesAccepted and Established', async () => {
    const created = await cluster.request({ method: 'POST', path: crdPath, body: crd() });
    expectStatus(created, 201);
    const established = await cluster.waitFor(
      async () => {
        const got = ok(await cluster.request({ path: `${crdPath}/${crdName}` }));
        return condition(got, 'Established')?.status === 'True' ? got : undefined;
      },
      { what: `${crdName} to be Established` },
    );
    expect(condition(established, 'NamesAccepted')?.status).toBe('True');
    expect(established.status.acceptedNames).toMatchObject({ plural, kind, shortNames: [`gz${suffix}`], categories: ['conformance-lifecycle'] });
    expect(established.status.storedVersions).toEqual(['v1']);
  });

  it('the resource is served and appears in discovery with its names and verbs', async () => {
    await cluster.waitFor(async () => (await cluster.request({ path: `/apis/${group}/v1/namespaces/${ns}/${plural}` })).status === 200, {
      what: `${plural} to be served`,
    });
    const groups = ok(await cluster.request({ path: '/apis' }));
    const entry = groups.groups.find((g: { name: string }) => g.name === group);
    expect(entry.versions).toContainEqual({ groupVersion: `${group}/v1`, version: 'v1' });
    expect(entry.preferredVersion.version).toBe('v1');
    const resources = ok(await cluster.request({ path: `/apis/${group}/v1` }));
    expect(resources.kind).toBe('APIResourceList');
    expect(resources.groupVersion).toBe(`${group}/v1`);
    const r = resources.resources.find((x: { name: string }) => x.name === plural);
    expect(r).toMatchObject({ name: plural, singularName: `gizmo${suffix}`, namespaced: true, kind, shortNames: [`gz${suffix}`], categories: ['conformance-lifecycle'] });
    expect([...r.verbs].sort()).toEqual(['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch']);
  });

  it('objects can be created, and deleting the CRD removes them and stops serving', async () => {
    const path = `/apis/${group}/v1/namespaces/${ns}/${plural}`;
    ok(await cluster.request({ method: 'POST', path, body: { apiVersion: `${group}/v1`, kind, metadata: { name: 'one' }, spec: { n: 1 } } }));
    const del = await cluster.request({ method: 'DELETE', path: `${crdPath}/${crdName}` });
    expect(del.status).toBe(200);
    await cluster.waitFor(async () => (await cluster.request({ path: `${crdPath}/${crdName}` })).status === 404, {
      what: `${crdName} to be deleted`,
      timeoutMs: 30_000,
    });
    await cluster.waitFor(async () => (await cluster.request({ path })).status === 404, { what: `${plural} to stop being served` });
    const resources = await cluster.request({ path: `/apis/${group}/v1` });
    if (resources.status === 200) {
      expect(resources.json().resources.map((x: { name: string }) => x.name)).not.toContain(plural);
    } else {
      expect(resources.status).toBe(404);
    }
  });
});
