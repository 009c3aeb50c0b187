import { beforeAll, describe, expect, it } from 'vitest';
import { useCluster } from '../harness/cluster.js';
import { configMap, configMapsPath, expectStatus, ok, statusOf, widget, widgetsPath, WIDGET_GROUP } from './support.js';

// Every failure is a meta/v1 Status object with a machine-readable reason and code, and
// details (name, group, kind, causes with field paths) that clients such as kubectl print.
const cluster = useCluster();
let ns: string;

beforeAll(async () => {
  ns = await cluster.newNamespace('errors');
});

describe('Status errors', () => {
  it('404 NotFound names the resource, group and name', async () => {
    const res = await cluster.request({ path: widgetsPath(ns, 'missing') });
    expectStatus(res, 404);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    const s = statusOf(res);
    expect(s).toMatchObject({ apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404 });
    expect(s.details).toMatchObject({ name: 'missing', group: WIDGET_GROUP, kind: 'widgets' });
    expect(s.message).toContain('"missing"');
  });

  it('404 NotFound for a built-in kind has an empty group', async () => {
    const s = statusOf(await cluster.request({ path: configMapsPath(ns, 'missing') }));
    expect(s.details?.kind).toBe('configmaps');
    expect(s.details?.group ?? '').toBe('');
  });

  it('409 AlreadyExists', async () => {
    ok(await cluster.request({ method: 'POST', path: configMapsPath(ns), body: configMap('twice') }));
    const res = await cluster.request({ method: 'POST', path: configMapsPath(ns), body: configMap('twice') });
    expectStatus(res, 409);
    expect(statusOf(res)).toMatchObject({ status: 'Failure', reason: 'AlreadyExists', code: 409, details: { name: 'twice', kind: 'configmaps' } });
  });

  it('422 Invalid lists every problem as a cause with its field path', async () => {
    const res = await cluster.request({
      method: 'POST',
      path: widgetsPath(ns),
      body: widget('invalid', { size: 101, color: 'purple', nickname: 'UPPER' }),
    });
    expectStatus(res, 422);
    const s = statusOf(res);
    expect(s).toMatchObject({ status: 'Failure', reason: 'Invalid', code: 422, details: { name: 'invalid', group: WIDGET_GROUP, kind: 'Widget' } });
    const byField = new Map((s.details?.causes ?? []).map((c) => [c.field, c]));
    expect(byField.get('spec.size')?.reason).toBe('FieldValueInvalid');
    expect(byField.get('spec.color')?.reason).toBe('FieldValueNotSupported');
    expect(byField.get('spec.nickname')?.reason).toBe('FieldValueInvalid');
    expect(s.message).toContain('spec.size');
  });

  it('422 for a missing required field is FieldValueRequired', async () => {
    const res = await cluster.request({ method: 'POST', path: widgetsPath(ns), body: widget('nosize', {}) });
    expectStatus(res, 422);
    const causes = statusOf(res).details?.causes ?? [];
    expect(causes).toContainEqual(expect.objectContaining({ field: 'spec.size', reason: 'FieldValueRequired' }));
  });

  it('404 for an unknown resource type', async () => {
    const res = await cluster.request({ path: `/apis/${WIDGET_GROUP}/v1/namespaces/${ns}/sprockets` });
    expectStatus(res, 404);
  });

  it('405 MethodNotAllowed for a verb a built-in resource does not support', async () => {
    // (For custom resources kube-apiserver answers a collection PUT with 400 "name must be provided".)
    const res = await cluster.request({ method: 'PUT', path: configMapsPath(ns), body: configMap('collection-put') });
    expectStatus(res, 405);
    expect(statusOf(res).reason).toBe('MethodNotAllowed');
  });

  it('401 without credentials', async () => {
    const res = await cluster.request({ path: `/api/v1/namespaces/${ns}/configmaps`, headers: { Authorization: 'Bearer not-a-valid-token' } });
    expectStatus(res, 401);
    expect(statusOf(res).reason).toBe('Unauthorized');
  });
});
