import { beforeAll, describe, expect, it } from 'vitest';
import { useCluster } from '../harness/cluster.js';
import { expectStatus, ok, statusOf, widgetsPath, WIDGET_API_VERSION } from './support.js';

// kube-apiserver decodes a custom resource's JSON numbers as int64 when they are integers that fit,
// and as float64 otherwise; a float64 passes `type: integer` only when it is a whole number no larger
// than 2^53. So an integer literal beyond int64 is refused as a "number", not stored as 1e+20.
const cluster = useCluster();
let ns: string;

beforeAll(async () => {
  ns = await cluster.newNamespace('crdint');
});

const body = (name: string, size: string): string =>
  `{"apiVersion":"${WIDGET_API_VERSION}","kind":"Widget","metadata":{"name":"${name}"},"spec":{"size":${size}}}`;

describe('integers in custom resources', () => {
  it('an integer beyond int64 is 422: it must be of type integer', async () => {
    const res = await cluster.request({ method: 'POST', path: widgetsPath(ns), body: body('huge', '100000000000000000000') });
    expectStatus(res, 422);
    const causes = statusOf(res).details?.causes ?? [];
    expect(causes).toContainEqual({ reason: 'FieldValueTypeInvalid', field: 'spec.size', message: 'Invalid value: "number": spec.size in body must be of type integer: "number"' });
    expectStatus(await cluster.request({ path: widgetsPath(ns, 'huge') }), 404);
  });

  it('a whole number written as a float is taken as an integer', async () => {
    const res = await cluster.request({ method: 'POST', path: widgetsPath(ns), body: body('float-int', '2.0') });
    expectStatus(res, 201);
    expect(ok(await cluster.request({ path: widgetsPath(ns, 'float-int') })).spec.size).toBe(2);
  });

  it('a fraction is 422', async () => {
    const res = await cluster.request({ method: 'POST', path: widgetsPath(ns), body: body('frac', '2.5') });
    expectStatus(res, 422);
    expect(statusOf(res).details?.causes?.map((c) => c.field)).toContain('spec.size');
  });
});
