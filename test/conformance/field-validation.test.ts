import { beforeAll, describe, expect, it } from 'vitest';
import { useCluster } from '../harness/cluster.js';
import { configMapsPath, expectStatus, ok, statusOf, widgetsPath, WIDGET_API_VERSION } from './support.js';

// fieldValidation decides what happens to fields the schema does not know: Strict refuses the
// request (400), Warn (the default) accepts it with a Warning header, Ignore accepts silently.
// Either way an accepted unknown field is dropped (pruned), never stored.
const cluster = useCluster();
let ns: string;

beforeAll(async () => {
  ns = await cluster.newNamespace('fieldval');
});

function widgetWithUnknown(name: string): Record<string, unknown> {
  return { apiVersion: WIDGET_API_VERSION, kind: 'Widget', metadata: { name }, spec: { size: 1, bogus: 'x' } };
}

describe('fieldValidation', () => {
  it('Strict refuses an unknown field with 400 BadRequest naming it', async () => {
    const res = await cluster.request({ method: 'POST', path: `${widgetsPath(ns)}?fieldValidation=Strict`, body: widgetWithUnknown('strict') });
    expectStatus(res, 400);
    const status = statusOf(res);
    expect(status.reason).toBe('BadRequest');
    expect(status.message).toContain('unknown field "spec.bogus"');
    expectStatus(await cluster.request({ path: widgetsPath(ns, 'strict') }), 404);
  });

  it('Strict refuses a duplicate field with 400', async () => {
    const text = `{"apiVersion":"${WIDGET_API_VERSION}","kind":"Widget","metadata":{"name":"dup"},"spec":{"size":1,"size":2}}`;
    const res = await cluster.request({ method: 'POST', path: `${widgetsPath(ns)}?fieldValidation=Strict`, body: text });
    expectStatus(res, 400);
    expect(statusOf(res).message).toContain('duplicate field "spec.size"');
  });

  it('Warn accepts, prunes, and warns in a Warning header', async () => {
    const res = await cluster.request({ method: 'POST', path: `${widgetsPath(ns)}?fieldValidation=Warn`, body: widgetWithUnknown('warn') });
    expectStatus(res, 201);
    expect(res.json().spec).not.toHaveProperty('bogus');
    expect(String(res.headers.warning)).toMatch(/^299 - ".*unknown field \\"spec\.bogus\\".*"$/);
  });

  it('Warn is the default', async () => {
    const res = await cluster.request({ method: 'POST', path: widgetsPath(ns), body: widgetWithUnknown('default') });
    expectStatus(res, 201);
    expect(String(res.headers.warning)).toContain('spec.bogus');
  });

  it('Ignore accepts and prunes without a warning', async () => {
    const res = await cluster.request({ method: 'POST', path: `${widgetsPath(ns)}?fieldValidation=Ignore`, body: widgetWithUnknown('ignore') });
    expectStatus(res, 201);
    expect(res.headers.warning).toBeUndefined();
    const stored = ok(await cluster.request({ path: widgetsPath(ns, 'ignore') }));
    expect(stored.spec).toEqual({ size: 1, color: 'blue' });
  });

  it('applies to built-in kinds too', async () => {
    const body = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm' }, data: { a: 'b' }, extra: true };
    const strict = await cluster.request({ method: 'POST', path: `${configMapsPath(ns)}?fieldValidation=Strict`, body });
    expectStatus(strict, 400);
    expect(statusOf(strict).message).toContain('unknown field "extra"');
    const ignore = await cluster.request({ method: 'POST', path: `${configMapsPath(ns)}?fieldValidation=Ignore`, body });
    expectStatus(ignore, 201);
    expect(ignore.json()).not.toHaveProperty('extra');
  });

  it('an unsupported value is 422 Invalid on the CreateOptions field', async () => {
    const res = await cluster.request({ method: 'POST', path: `${widgetsPath(ns)}?fieldValidation=Sometimes`, body: widgetWithUnknown('odd') });
    expectStatus(res, 422);
    expect(statusOf(res).details?.causes?.some((c) => c.field === 'fieldValidation')).toBe(true);
  });
});
