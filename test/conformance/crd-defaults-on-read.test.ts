import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useCluster } from '../harness/cluster.js';
import { condition, expectStatus, ok } from './support.js';

// Structural-schema defaulting also happens when an object is read from storage: a default added to
// a CRD after an object was stored shows up in get, list and watch, without the object being
// rewritten (its resourceVersion stays the same).
const cluster = useCluster();
const suffix = Math.random().toString(36).replace(/[^a-z]/g, '').slice(0, 6) || 'abc';
const group = 'readdefaults.conformance.agentlab.dev';
const plural = `lamps${suffix}`;
const kind = `Lamp${suffix}`;
const crdPath = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions';
const crdName = `${plural}.${group}`;
let ns: string;

function schema(colorDefault?: string): Record<string, unknown> {
  const color: Record<string, unknown> = { type: 'string' };
  if (colorDefault) color.default = colorDefault;
  return { type: 'object', properties: { spec: { type: 'object', properties: { watts: { type: 'integer' }, color } } } };
}

function crd(colorDefault?: string): Record<string, unknown> {
  return {
    apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: crdName },
    spec: {
      group, scope: 'Namespaced', names: { plural, singular: `lamp${suffix}`, kind, listKind: `${kind}List` },
      versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: schema(colorDefault) } }],
    },
  };
}

const path = (name?: string): string => `/apis/${group}/v1/namespaces/${ns}/${plural}${name ? `/${name}` : ''}`;
let storedRv: string;

beforeAll(async () => {
  ns = await cluster.newNamespace('crdreaddef');
  expectStatus(await cluster.request({ method: 'POST', path: crdPath, body: crd() }), 201);
  await cluster.waitFor(async () => {
    const got = ok(await cluster.request({ path: `${crdPath}/${crdName}` }));
    return condition(got, 'Established')?.status === 'True' && (await cluster.request({ path: path() })).status === 200;
  }, { what: `${crdName} to be served` });
  const created = ok(await cluster.request({ method: 'POST', path: path(), body: { apiVersion: `${group}/v1`, kind, metadata: { name: 'old' }, spec: { watts: 40 } } }));
  expect(created.spec).toEqual({ watts: 40 });
  storedRv = created.metadata.resourceVersion;
  // Now the CRD gains a default for a field the stored object lacks.
  const current = ok(await cluster.request({ path: `${crdPath}/${crdName}` }));
  ok(await cluster.request({ method: 'PUT', path: `${crdPath}/${crdName}`, body: { ...current, spec: (crd('warm') as { spec: unknown }).spec } }));
  await cluster.waitFor(async () => ok(await cluster.request({ path: path('old') })).spec.color === 'warm', {
    what: 'the new default to be served', timeoutMs: 30_000,
  });
});

afterAll(async () => {
  await cluster.request({ method: 'DELETE', path: `${crdPath}/${crdName}` });
});

describe('defaults on read', () => {
  it('get serves the new default, and the object was not rewritten', async () => {
    const got = ok(await cluster.request({ path: path('old') }));
    expect(got.spec).toEqual({ watts: 40, color: 'warm' });
    expect(got.metadata.resourceVersion).toBe(storedRv);
  });

  it('list serves it', async () => {
    const list = ok(await cluster.request({ path: path() }));
    expect(list.items.find((i: { metadata: { name: string } }) => i.metadata.name === 'old')?.spec).toEqual({ watts: 40, color: 'warm' });
  });

  it('watch serves it', async () => {
    const w = await cluster.watch(path());
    const e = await w.until((ev) => ev.type === 'ADDED' && ev.object.metadata.name === 'old');
    w.close();
    expect(e.object.spec).toEqual({ watts: 40, color: 'warm' });
  });
});
