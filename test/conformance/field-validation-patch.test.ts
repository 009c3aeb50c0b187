import { beforeAll, describe, expect, it } from 'vitest';
import { useCluster } from '../harness/cluster.js';
import { expectStatus, ok, statusOf, widget, widgetsPath } from './support.js';

// The bytes of a JSON merge patch or a JSON patch are decoded strictly too: under fieldValidation=Strict
// a duplicate field refuses the patch (422 Invalid on the field `patch`), under Warn it comes back as a
// Warning header, under Ignore the last value wins.
const cluster = useCluster();
let ns: string;
const MERGE = 'application/merge-patch+json';

beforeAll(async () => {
  ns = await cluster.newNamespace('fvpatch');
  ok(await cluster.request({ method: 'POST', path: widgetsPath(ns), body: widget('w', { size: 1 }) }));
});

const patch = (fieldValidation: string, body: string, contentType = MERGE) =>
  cluster.request({ method: 'PATCH', path: `${widgetsPath(ns, 'w')}?fieldValidation=${fieldValidation}`, body, contentType });

describe('duplicate fields in a patch', () => {
  it('Strict refuses a merge patch with a duplicate field, naming it', async () => {
    const res = await patch('Strict', '{"spec":{"size":5,"size":6}}');
    expectStatus(res, 422);
    const status = statusOf(res);
    expect(status.reason).toBe('Invalid');
    expect(status.details?.causes?.[0]?.field).toBe('patch');
    expect(status.details?.causes?.[0]?.message).toContain('strict decoding error: duplicate field "spec.size"');
    expect(ok(await cluster.request({ path: widgetsPath(ns, 'w') })).spec.size).toBe(1);
  });

  it('Strict refuses a JSON patch operation with a duplicate field', async () => {
    const res = await patch('Strict', '[{"op":"replace","path":"/spec/size","value":5,"value":6}]', 'application/json-patch+json');
    expectStatus(res, 422);
    expect(statusOf(res).details?.causes?.[0]?.message).toContain('strict decoding error: json patch duplicate field');
  });

  it('Warn applies it and says so in a Warning header', async () => {
    const res = await patch('Warn', '{"spec":{"size":7,"size":8}}');
    expectStatus(res, 200);
    expect(String(res.headers.warning)).toContain('duplicate field \\"spec.size\\"');
    expect(res.json<{ spec: { size: number } }>().spec.size).toBe(8);
  });

  it('Ignore applies it silently, the last value winning', async () => {
    const res = await patch('Ignore', '{"spec":{"size":3,"size":4}}');
    expectStatus(res, 200);
    expect(res.headers.warning).toBeUndefined();
    expect(res.json<{ spec: { size: number } }>().spec.size).toBe(4);
  });
});
