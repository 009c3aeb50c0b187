import { beforeAll, describe, expect, it } from 'vitest';
import { useCluster } from '../harness/cluster.js';
import { configMapsPath, expectStatus, statusOf, widgetsPath, WIDGET_API_VERSION } from './support.js';

// A body whose kind is not the one the URL names. kube-apiserver decodes a built-in body as the
// kind it names and fails to convert it to the URL's type: 400 BadRequest "<Kind> in version
// "v1" cannot be handled as a <URL kind>: ...". A custom resource body is decoded as
// unstructured and refused by the CRD's validation: 422 Invalid on the field kind, "must be <Kind>".
const cluster = useCluster();
let ns: string;

beforeAll(async () => {
  ns = await cluster.newNamespace('kind-mismatch');
});

describe('a body of another kind', () => {
  it('is 400 BadRequest for a built-in resource', async () => {
    const res = await cluster.request({ method: 'POST', path: configMapsPath(ns), body: { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'wrong' } } });
    expectStatus(res, 400);
    const status = statusOf(res);
    expect(status.reason).toBe('BadRequest');
    expect(status.message).toMatch(/^Secret in version "v1" cannot be handled as a ConfigMap: /);
    expectStatus(await cluster.request({ path: configMapsPath(ns, 'wrong') }), 404);
  });

  it('is 422 Invalid on the field kind for a custom resource', async () => {
    const res = await cluster.request({ method: 'POST', path: widgetsPath(ns),
      body: { apiVersion: WIDGET_API_VERSION, kind: 'Gadget', metadata: { name: 'wrong' }, spec: { size: 1 } } });
    expectStatus(res, 422);
    const status = statusOf(res);
    expect(status.reason).toBe('Invalid');
    expect(status.details?.causes).toEqual([expect.objectContaining({ field: 'kind', message: 'Invalid value: "Gadget": must be Widget' })]);
    expectStatus(await cluster.request({ path: widgetsPath(ns, 'wrong') }), 404);
  });
});
