import { beforeAll, describe, expect, it } from 'vitest';
import { useCluster } from '../harness/cluster.js';
import { configMap, configMapsPath, expectStatus, statusOf, widgetsPath } from './support.js';

// Malformed requests get a Status error, never a crash or a hang: bad JSON is 400, a body in
// an unsupported media type is 415, an over-large body is 413, and names are validated as
// DNS-1123 so they can never escape into paths.
const cluster = useCluster();
let ns: string;

beforeAll(async () => {
  ns = await cluster.newNamespace('badinput');
});

describe('bad input', () => {
  it('malformed JSON is 400 BadRequest', async () => {
    const res = await cluster.request({ method: 'POST', path: configMapsPath(ns), body: '{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {' });
    expectStatus(res, 400);
    expect(statusOf(res).reason).toBe('BadRequest');
  });

  it('a JSON body that is not an object is 400', async () => {
    const res = await cluster.request({ method: 'POST', path: widgetsPath(ns), body: '[1, 2, 3]' });
    expectStatus(res, 400);
  });

  it('an unsupported Content-Type is 415 UnsupportedMediaType', async () => {
    const res = await cluster.request({ method: 'POST', path: configMapsPath(ns), body: JSON.stringify(configMap('plain')), contentType: 'text/plain' });
    expectStatus(res, 415);
    expect(statusOf(res).reason).toBe('UnsupportedMediaType');
  });

  it('a PATCH with a non-patch Content-Type is 415', async () => {
    const res = await cluster.request({ method: 'PATCH', path: configMapsPath(ns, 'anything'), body: '{}', contentType: 'application/json' });
    expectStatus(res, 415);
    expect(statusOf(res).reason).toBe('UnsupportedMediaType');
  });

  it('YAML is accepted as a request body', async () => {
    const yaml = `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-yaml\ndata:\n  k: v\n`;
    const res = await cluster.request({ method: 'POST', path: configMapsPath(ns), body: yaml, contentType: 'application/yaml' });
    expectStatus(res, 201);
    expect(res.json().data).toEqual({ k: 'v' });
  });

  it('malformed YAML is 400', async () => {
    const res = await cluster.request({ method: 'POST', path: configMapsPath(ns), body: 'kind: ConfigMap\n  metadata: [\n', contentType: 'application/yaml' });
    expectStatus(res, 400);
  });

  it('a body over 3 MiB is 413 RequestEntityTooLarge', async () => {
    const big = configMap('huge', { blob: 'x'.repeat(3 * 1024 * 1024 + 1024) });
    const res = await cluster.request({ method: 'POST', path: configMapsPath(ns), body: big });
    expectStatus(res, 413);
    expect(statusOf(res).reason).toBe('RequestEntityTooLarge');
  });

  it.each(['Upper-Case', 'under_score', 'a'.repeat(254), '-leading-dash'])('an invalid object name %s is 422 with a metadata.name cause', async (name) => {
    const res = await cluster.request({ method: 'POST', path: configMapsPath(ns), body: configMap(name) });
    expectStatus(res, 422);
    expect(statusOf(res).details?.causes?.some((c) => c.field === 'metadata.name')).toBe(true);
  });

  it('a name in the body that differs from the URL is 400 on update', async () => {
    const res = await cluster.request({ method: 'PUT', path: configMapsPath(ns, 'one-name'), body: configMap('other-name') });
    expectStatus(res, 400);
    expect(statusOf(res).reason).toBe('BadRequest');
  });

  it('a namespace in the body that differs from the URL is 400', async () => {
    const res = await cluster.request({ method: 'POST', path: configMapsPath(ns), body: configMap('elsewhere', {}, { namespace: 'default' }) });
    expectStatus(res, 400);
    expect(statusOf(res).reason).toBe('BadRequest');
  });

  it('path traversal in a name never reaches another object', async () => {
    const res = await cluster.request({ path: `${configMapsPath(ns)}/..%2F..%2Fsecrets` });
    expect(res.status).toBeGreaterThanOrEqual(300);
    expect(res.text).not.toContain('SecretList');
  });

  it('a kind that does not match the URL is 400', async () => {
    const res = await cluster.request({ method: 'POST', path: configMapsPath(ns), body: { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'wrong-kind' } } });
    expectStatus(res, 400);
  });
});
