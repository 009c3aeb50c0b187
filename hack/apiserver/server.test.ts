import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServer, type EmbeddedApiServer } from './server.js';
import { client, readWatch } from './testing.js';

const CRD = {
  apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition',
  metadata: { name: 'widgets.test.agentlab.dev' },
  spec: {
    group: 'test.agentlab.dev', scope: 'Namespaced',
    names: { plural: 'widgets', singular: 'widget', kind: 'Widget', shortNames: ['wg'], categories: ['agentlab'] },
    versions: [{
      name: 'v1', served: true, storage: true,
      subresources: { status: {}, scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas' } },
      additionalPrinterColumns: [{ name: 'Size', type: 'string', jsonPath: '.spec.size' }],
      schema: { openAPIV3Schema: { type: 'object', properties: {
        spec: { type: 'object', description: 'What the widget should be.', required: ['size'], properties: {
          size: { type: 'string', enum: ['S', 'M', 'L'], description: 'How big.' },
          replicas: { type: 'integer', default: 1, minimum: 0 },
          color: { type: 'string', 'x-kubernetes-validations': [{ rule: 'self != "red"', message: 'red is not allowed' }] } } },
        status: { type: 'object', properties: { replicas: { type: 'integer' }, phase: { type: 'string' } } } } } },
    }],
  },
};

const widget = (name: string, spec: Record<string, unknown> = { size: 'S' }) =>
  ({ apiVersion: 'test.agentlab.dev/v1', kind: 'Widget', metadata: { name }, spec });
const cm = (name: string, extra: Record<string, unknown> = {}) =>
  ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, ...extra }, data: { a: '1' } });
const W = '/apis/test.agentlab.dev/v1/namespaces/default/widgets';
const CM = '/api/v1/namespaces/default/configmaps';

let s: EmbeddedApiServer;
let call: ReturnType<typeof client>;

async function eventually(check: () => Promise<boolean>, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

beforeAll(async () => {
  s = await startApiServer({ watchHistory: 50 });
  call = client(s);
  expect((await call('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', CRD)).status).toBe(201);
  await eventually(async () => {
    const crd = await call('GET', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.test.agentlab.dev');
    return (crd.body.status?.conditions ?? []).some((c: { type: string; status: string }) => c.type === 'Established' && c.status === 'True');
  });
});
afterAll(async () => { await s?.close(); });

describe('authentication and discovery', () => {
  it('answers 401 Unauthorized without the bearer token', async () => {
    const r = await call('GET', '/api/v1/namespaces', undefined, { token: null });
    expect(r.status).toBe(401);
    expect(r.body).toMatchObject({ kind: 'Status', reason: 'Unauthorized', code: 401 });
    expect((await call('GET', '/api/v1/namespaces', undefined, { token: 'wrong' })).status).toBe(401);
    expect((await call('GET', '/version', undefined, { token: null })).body).toMatchObject({ major: '1', minor: '32' });
  });

  it('serves the CRD in discovery with short names, categories and subresources', async () => {
    const groups = await call('GET', '/apis');
    expect(groups.body.groups.map((g: { name: string }) => g.name)).toContain('test.agentlab.dev');
    const list = await call('GET', '/apis/test.agentlab.dev/v1');
    const names = list.body.resources.map((r: { name: string }) => r.name);
    expect(names).toEqual(['widgets', 'widgets/status', 'widgets/scale']);
    expect(list.body.resources[0]).toMatchObject({ kind: 'Widget', namespaced: true, shortNames: ['wg'], categories: ['agentlab'] });
  });

  it('serves aggregated discovery when asked for it, legacy discovery otherwise', async () => {
    const accept = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json';
    const agg = await call('GET', '/apis', undefined, { accept });
    expect(agg.headers.get('content-type')).toBe('application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList');
    const group = agg.body.items.find((g: { metadata: { name: string } }) => g.metadata.name === 'test.agentlab.dev');
    expect(group.versions[0]).toMatchObject({ version: 'v1', freshness: 'Current' });
    expect(group.versions[0].resources[0]).toMatchObject({ resource: 'widgets', scope: 'Namespaced', shortNames: ['wg'],
      responseKind: { group: 'test.agentlab.dev', version: 'v1', kind: 'Widget' } });
    expect(group.versions[0].resources[0].subresources.map((x: { subresource: string }) => x.subresource)).toEqual(['status', 'scale']);
    const core = await call('GET', '/api', undefined, { accept });
    expect(core.body.items[0].metadata.name).toBe('');
    const legacy = await call('GET', '/api');
    expect(legacy.body).toMatchObject({ kind: 'APIVersions', versions: ['v1'] });
  });

  it('publishes the CRD schema and the fieldValidation parameter in OpenAPI v3', async () => {
    const root = await call('GET', '/openapi/v3');
    const url: string = root.body.paths['apis/test.agentlab.dev/v1'].serverRelativeURL;
    const doc = await call('GET', url);
    const schema = doc.body.components.schemas['dev.agentlab.test.v1.Widget'];
    expect(schema.properties.spec.properties.size.description).toBe('How big.');
    expect(schema['x-kubernetes-group-version-kind']).toEqual([{ group: 'test.agentlab.dev', version: 'v1', kind: 'Widget' }]);
    const patch = doc.body.paths['/apis/test.agentlab.dev/v1/namespaces/{namespace}/widgets/{name}'].patch;
    expect(patch.parameters.map((p: { name: string }) => p.name)).toContain('fieldValidation');
  });
});

describe('object semantics', () => {
  it('fills in server metadata and enforces optimistic concurrency', async () => {
    const created = await call('POST', CM, cm('occ'));
    expect(created.status).toBe(201);
    const m = created.body.metadata;
    expect(m.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(m.creationTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(m.managedFields[0]).toMatchObject({ operation: 'Update' });
    const updated = await call('PUT', `${CM}/occ`, { ...created.body, data: { a: '2' } });
    expect(Number(updated.body.metadata.resourceVersion)).toBeGreaterThan(Number(m.resourceVersion));
    const stale = await call('PUT', `${CM}/occ`, { ...created.body, data: { a: '3' } });
    expect(stale.status).toBe(409);
    expect(stale.body).toMatchObject({ reason: 'Conflict', message: 'Operation cannot be fulfilled on configmaps "occ": the object has been modified; please apply your changes to the latest version and try again' });
    expect((await call('POST', CM, cm('occ'))).body).toMatchObject({ code: 409, reason: 'AlreadyExists', message: 'configmaps "occ" already exists' });
  });

  it('generates names from generateName', async () => {
    const r = await call('POST', CM, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { generateName: 'gen-' } });
    expect(r.body.metadata.name).toMatch(/^gen-[a-z0-9]{5}$/);
  });

  it('returns NotFound with the qualified resource name', async () => {
    const r = await call('GET', `${W}/nope`);
    expect(r.status).toBe(404);
    expect(r.body).toMatchObject({ reason: 'NotFound', message: 'widgets.test.agentlab.dev "nope" not found',
      details: { name: 'nope', group: 'test.agentlab.dev', kind: 'widgets' } });
  });

  it('requires the namespace to exist', async () => {
    const r = await call('POST', '/api/v1/namespaces/missing/configmaps', cm('x'));
    expect(r.body).toMatchObject({ code: 404, message: 'namespaces "missing" not found' });
  });

  it('bumps generation on spec changes only and keeps status and spec writes apart', async () => {
    const c = await call('POST', W, widget('gen', { size: 'S' }));
    expect(c.body.metadata.generation).toBe(1);
    expect(c.body.spec.replicas).toBe(1);
    const st = await call('PUT', `${W}/gen/status`, { ...c.body, spec: { size: 'L' }, status: { phase: 'Ready' } });
    expect(st.body.status).toEqual({ phase: 'Ready' });
    expect(st.body.spec.size).toBe('S');
    expect(st.body.metadata.generation).toBe(1);
    const sp = await call('PUT', `${W}/gen`, { ...st.body, spec: { size: 'M' }, status: { phase: 'Ignored' } });
    expect(sp.body.metadata.generation).toBe(2);
    expect(sp.body.status).toEqual({ phase: 'Ready' });
    const meta = await call('PATCH', `${W}/gen`, { metadata: { labels: { a: 'b' } } }, { contentType: 'application/merge-patch+json' });
    expect(meta.body.metadata.generation).toBe(2);
  });

  it('does not write an update that changes nothing', async () => {
    const c = await call('POST', CM, cm('noop'));
    const u = await call('PUT', `${CM}/noop`, c.body);
    expect(u.body.metadata.resourceVersion).toBe(c.body.metadata.resourceVersion);
  });

  it('rejects invalid custom resources with 422 and field causes, and runs CEL rules', async () => {
    const r = await call('POST', W, widget('bad', { size: 'XL' }));
    expect(r.status).toBe(422);
    expect(r.body.reason).toBe('Invalid');
    expect(r.body.details.causes[0]).toMatchObject({ field: 'spec.size', reason: 'FieldValueNotSupported' });
    expect(r.body.message).toMatch(/^Widget\.test\.agentlab\.dev "bad" is invalid: \[?spec\.size: Unsupported value: "XL": supported values: "S", "M", "L"/);
    const cel = await call('POST', W, widget('red', { size: 'S', color: 'red' }));
    expect(cel.status).toBe(422);
    expect(cel.body.message).toContain('red is not allowed');
  });

  it('prunes unknown fields per fieldValidation: Strict fails, Warn warns, Ignore drops silently', async () => {
    const strict = await call('POST', `${W}?fieldValidation=Strict`, widget('fv1', { size: 'S', extra: 1 }));
    expect(strict.status).toBe(400);
    expect(strict.body.message).toContain('unknown field "spec.extra"');
    const warn = await call('POST', `${W}?fieldValidation=Warn`, widget('fv2', { size: 'S', extra: 1 }));
    expect(warn.status).toBe(201);
    expect(warn.headers.get('warning')).toContain('unknown field \\"spec.extra\\"');
    expect(warn.body.spec.extra).toBeUndefined();
    const ignore = await call('POST', `${W}?fieldValidation=Ignore`, widget('fv3', { size: 'S', extra: 1 }));
    expect(ignore.headers.get('warning')).toBeNull();
  });

  it('does not persist dryRun=All writes', async () => {
    const r = await call('POST', `${CM}?dryRun=All`, cm('dry'));
    expect(r.status).toBe(201);
    expect((await call('GET', `${CM}/dry`)).status).toBe(404);
  });

  it('keeps an object with finalizers until they are removed', async () => {
    const c = await call('POST', CM, cm('fin', { finalizers: ['agentlab.dev/test'] }));
    const del = await call('DELETE', `${CM}/fin`);
    expect(del.status).toBe(200);
    const got = await call('GET', `${CM}/fin`);
    expect(got.body.metadata.deletionTimestamp).toBeDefined();
    const add = await call('PUT', `${CM}/fin`, { ...got.body, metadata: { ...got.body.metadata, finalizers: ['agentlab.dev/test', 'agentlab.dev/new'] } });
    expect(add.status).toBe(422);
    await call('PATCH', `${CM}/fin`, [{ op: 'remove', path: '/metadata/finalizers' }], { contentType: 'application/json-patch+json' });
    expect((await call('GET', `${CM}/fin`)).status).toBe(404);
    void c;
  });

  it('garbage collects dependents in the background', async () => {
    const owner = await call('POST', CM, cm('owner'));
    const ref = { apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: owner.body.metadata.uid };
    await call('POST', CM, cm('dependent', { ownerReferences: [ref] }));
    await call('DELETE', `${CM}/owner`);
    await eventually(async () => (await call('GET', `${CM}/dependent`)).status === 404);
  });

  it('orphans dependents with propagationPolicy=Orphan', async () => {
    const owner = await call('POST', CM, cm('owner2'));
    const ref = { apiVersion: 'v1', kind: 'ConfigMap', name: 'owner2', uid: owner.body.metadata.uid };
    await call('POST', CM, cm('dependent2', { ownerReferences: [ref] }));
    await call('DELETE', `${CM}/owner2`, { propagationPolicy: 'Orphan' });
    await eventually(async () => (await call('GET', `${CM}/owner2`)).status === 404);
    const dep = await call('GET', `${CM}/dependent2`);
    expect(dep.status).toBe(200);
    expect(dep.body.metadata.ownerReferences).toBeUndefined();
  });

  it('empties a deleted namespace, then removes it', async () => {
    await call('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'doomed' } });
    await call('POST', '/api/v1/namespaces/doomed/configmaps', cm('a'));
    await call('POST', '/api/v1/namespaces/doomed/configmaps', cm('held', { finalizers: ['agentlab.dev/hold'] }));
    const del = await call('DELETE', '/api/v1/namespaces/doomed');
    expect(del.body.status.phase).toBe('Terminating');
    const refused = await call('POST', '/api/v1/namespaces/doomed/configmaps', cm('b'));
    expect(refused.body).toMatchObject({ code: 403, reason: 'Forbidden' });
    await eventually(async () => (await call('GET', '/api/v1/namespaces/doomed/configmaps/a')).status === 404);
    expect((await call('GET', '/api/v1/namespaces/doomed')).body.status.phase).toBe('Terminating');
    await call('PATCH', '/api/v1/namespaces/doomed/configmaps/held', { metadata: { finalizers: null } }, { contentType: 'application/merge-patch+json' });
    await eventually(async () => (await call('GET', '/api/v1/namespaces/doomed')).status === 404);
  });
});

describe('patches', () => {
  it('applies server-side with conflicts between managers', async () => {
    const apply = (manager: string, size: string, force = false) => call('PATCH',
      `${W}/ssa?fieldManager=${manager}${force ? '&force=true' : ''}`,
      JSON.stringify(widget('ssa', { size })), { contentType: 'application/apply-patch+yaml' });
    expect((await apply('alice', 'S')).status).toBe(201);
    const clash = await apply('bob', 'M');
    expect(clash.status).toBe(409);
    expect(clash.body.reason).toBe('Conflict');
    const forced = await apply('bob', 'M', true);
    expect(forced.status).toBe(200);
    expect(forced.body.spec.size).toBe('M');
    expect(forced.body.metadata.managedFields.map((f: { manager: string }) => f.manager)).toContain('bob');
  });

  it('refuses strategic merge patch for custom resources with 415', async () => {
    await call('POST', W, widget('smp'));
    const r = await call('PATCH', `${W}/smp`, { spec: { size: 'M' } }, { contentType: 'application/strategic-merge-patch+json' });
    expect(r.status).toBe(415);
    expect(r.body.reason).toBe('UnsupportedMediaType');
  });

  it('serves the scale subresource', async () => {
    await call('POST', W, widget('scaled'));
    const sc = await call('GET', `${W}/scaled/scale`);
    expect(sc.body).toMatchObject({ kind: 'Scale', apiVersion: 'autoscaling/v1', spec: { replicas: 1 } });
    const up = await call('PATCH', `${W}/scaled/scale`, { spec: { replicas: 4 } }, { contentType: 'application/merge-patch+json' });
    expect(up.body.spec.replicas).toBe(4);
    expect((await call('GET', `${W}/scaled`)).body.spec.replicas).toBe(4);
  });
});

describe('lists, tables and watches', () => {
  it('pages with limit and continue', async () => {
    for (const n of ['p1', 'p2', 'p3']) await call('POST', CM, cm(n, { labels: { page: 'yes' } }));
    const first = await call('GET', `${CM}?labelSelector=page%3Dyes&limit=2`);
    expect(first.body.items.map((i: { metadata: { name: string } }) => i.metadata.name)).toEqual(['p1', 'p2']);
    expect(first.body.metadata.continue).toBeTruthy();
    const second = await call('GET', `${CM}?labelSelector=page%3Dyes&limit=2&continue=${first.body.metadata.continue}`);
    expect(second.body.items.map((i: { metadata: { name: string } }) => i.metadata.name)).toEqual(['p3']);
    expect(second.body.metadata.continue).toBeUndefined();
  });

  it('renders Table output with printer columns', async () => {
    const r = await call('GET', W, undefined, { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json' });
    expect(r.body.kind).toBe('Table');
    expect(r.body.columnDefinitions.map((c: { name: string }) => c.name)).toEqual(['Name', 'Size']);
    expect(r.body.rows.length).toBeGreaterThan(0);
  });

  it('streams watch events from a resourceVersion and answers 410 when it is too old', async () => {
    const c = await call('POST', CM, cm('w1'));
    const rv = c.body.metadata.resourceVersion;
    await call('DELETE', `${CM}/w1`);
    const events = await readWatch(s, `${CM}?watch=true&resourceVersion=${rv}&fieldSelector=metadata.name%3Dw1`, 1);
    expect(events[0]).toMatchObject({ type: 'DELETED', object: { metadata: { name: 'w1' } } });
    for (let i = 0; i < 60; i++) await call('POST', CM, cm(`churn-${i}`));
    const gone = await readWatch(s, `${CM}?watch=true&resourceVersion=${rv}`, 1);
    expect(gone[0]).toMatchObject({ type: 'ERROR', object: { kind: 'Status', code: 410, reason: 'Expired' } });
  });

  it('sends the current state as ADDED events when no resourceVersion is given', async () => {
    const events = await readWatch(s, `${CM}?watch=true&fieldSelector=metadata.name%3Dp1`, 1);
    expect(events[0]).toMatchObject({ type: 'ADDED', object: { metadata: { name: 'p1' } } });
  });

  it('ends a watch after timeoutSeconds', async () => {
    const events = await readWatch(s, `${CM}?watch=true&resourceVersion=999999&timeoutSeconds=1`, 5, 4000);
    expect(events).toEqual([]);
  });

  it('sends a bookmark 2 s before a watch\'s deadline once the resourceVersion moved past what it saw, as the watch cache does', async () => {
    const rv = (await call('GET', CM)).body.metadata.resourceVersion as string;
    const started = Date.now();
    const reading = readWatch(s, `${CM}?watch=true&resourceVersion=${rv}&allowWatchBookmarks=true&timeoutSeconds=3`, 1, 6000);
    await new Promise((r) => setTimeout(r, 200));
    // A write the watch does not select (another namespace) moves the resourceVersion on.
    const other = await call('POST', '/api/v1/namespaces/kube-system/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { generateName: 'bm-' } });
    const events = await reading;
    const at = Date.now() - started;
    // Read before the stream ended (no event comes after the end): before the deadline, not with it.
    expect(events).toEqual([{ type: 'BOOKMARK', object: { kind: 'ConfigMap', apiVersion: 'v1', metadata: { resourceVersion: other.body.metadata.resourceVersion } } }]);
    // And not at once (load only delays it).
    expect(at).toBeGreaterThanOrEqual(900);
  });

  it('sends no bookmark when the watcher has already seen the newest resourceVersion', async () => {
    const rv = (await call('GET', CM)).body.metadata.resourceVersion as string;
    const reading = readWatch(s, `${CM}?watch=true&resourceVersion=${rv}&allowWatchBookmarks=true&timeoutSeconds=3`, 2, 6000);
    await new Promise((r) => setTimeout(r, 200));
    await call('POST', CM, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'bm-seen' } });
    expect((await reading).map((e) => e.type)).toEqual(['ADDED']);
  });
});

describe('bad input', () => {
  it.each([
    ['malformed JSON', '{bad', 'application/json', 400, 'BadRequest'],
    ['malformed YAML', 'a: [b', 'application/yaml', 400, 'BadRequest'],
    ['wrong content type', '{}', 'text/plain', 415, 'UnsupportedMediaType'],
    ['protobuf without a kind', 'k8s\u0000', 'application/vnd.kubernetes.protobuf', 400, 'BadRequest'],
    ['a non-object', '[1,2]', 'application/json', 400, 'BadRequest'],
  ])('%s', async (_what, body, contentType, code, reason) => {
    const r = await call('POST', CM, body, { contentType });
    expect(r.body).toMatchObject({ kind: 'Status', code, reason });
  });

  it('refuses absurdly nested documents with 400 instead of failing inside', async () => {
    const deep = `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"deep"},"x":${'['.repeat(5000)}${']'.repeat(5000)}}`;
    expect((await call('POST', CM, deep)).body).toMatchObject({ code: 400, reason: 'BadRequest', message: 'json: exceeded max depth of 1000' });
    const yaml = `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: deep}\nx: ${'['.repeat(5000)}${']'.repeat(5000)}\n`;
    expect((await call('POST', CM, yaml, { contentType: 'application/yaml' })).body).toMatchObject({ code: 400, reason: 'BadRequest' });
  });

  it('rejects bodies over 3 MiB with 413', async () => {
    const r = await call('POST', CM, 'x'.repeat(3 * 1024 * 1024 + 1));
    expect(r.body).toMatchObject({ code: 413, reason: 'RequestEntityTooLarge' });
  });

  it('validates names', async () => {
    const r = await call('POST', CM, cm('Not_Valid'));
    expect(r.body).toMatchObject({ code: 422, reason: 'Invalid', details: { causes: [{ field: 'metadata.name' }] } });
    const svc = await call('POST', '/api/v1/namespaces/default/services', { apiVersion: 'v1', kind: 'Service', metadata: { name: '1svc' }, spec: { ports: [{ port: 80 }] } });
    expect(svc.body.details.causes[0].message).toMatch(/DNS-1035/);
    expect((await call('GET', `${CM}/..%2F..`)).body).toMatchObject({ code: 400, reason: 'BadRequest' });
  });

  it('answers unknown resources with 404', async () => {
    expect((await call('GET', '/apis/nope.dev/v1/things')).body).toMatchObject({ code: 404, reason: 'NotFound' });
  });
});

describe('fault injection', () => {
  it('fails requests at the configured rate and status', async () => {
    const remove = s.faults.addError({ verbs: ['get'], resources: ['configmaps'], rate: 1, status: 429 });
    const r = await call('GET', `${CM}/p1`);
    expect(r.body).toMatchObject({ code: 429, reason: 'TooManyRequests' });
    expect(r.headers.get('retry-after')).toBe('1');
    remove();
    expect((await call('GET', `${CM}/p1`)).status).toBe(200);
  });

  it('forces 410 on the next watch', async () => {
    s.faults.expireNextWatch();
    const events = await readWatch(s, `${CM}?watch=true`, 1);
    expect(events[0]).toMatchObject({ type: 'ERROR', object: { code: 410, reason: 'Expired' } });
  });

  it('drops open watch streams', async () => {
    const pending = readWatch(s, `${CM}?watch=true&resourceVersion=999999`, 1, 3000);
    await eventually(async () => s.faults.openWatches() > 0);
    expect(s.faults.dropWatches()).toBe(1);
    expect(await pending).toEqual([]);
  });
});

describe('built-in specifics', () => {
  it('stores events.k8s.io and core events once, converting between the shapes', async () => {
    const e = await call('POST', '/apis/events.k8s.io/v1/namespaces/default/events', {
      apiVersion: 'events.k8s.io/v1', kind: 'Event', metadata: { name: 'ev1' }, eventTime: '2026-01-01T00:00:00.000000Z',
      reportingController: 'agentlab.dev/test', reportingInstance: 'x', action: 'Reconcile', reason: 'Ready', note: 'all good',
      type: 'Normal', regarding: { kind: 'Widget', name: 'w', namespace: 'default' } });
    expect(e.status).toBe(201);
    expect(e.body).toMatchObject({ apiVersion: 'events.k8s.io/v1', note: 'all good', regarding: { name: 'w' } });
    const core = await call('GET', '/api/v1/namespaces/default/events?fieldSelector=involvedObject.name%3Dw');
    expect(core.body.items).toHaveLength(1);
    expect(core.body.items[0]).toMatchObject({ message: 'all good', involvedObject: { kind: 'Widget' }, reportingComponent: 'agentlab.dev/test' });
  });

  it('rejects unknown and duplicate fields of built-ins under Strict', async () => {
    const unknown = await call('POST', `${CM}?fieldValidation=Strict`, { ...cm('strict1'), extra: true });
    expect(unknown.body).toMatchObject({ code: 400, message: 'ConfigMap in version "v1" cannot be handled as a ConfigMap: strict decoding error: unknown field "extra"' });
    const dup = await call('POST', `${CM}?fieldValidation=Strict`, '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"d","name":"e"}}');
    expect(dup.body).toMatchObject({ code: 400, message: 'ConfigMap in version "v1" cannot be handled as a ConfigMap: strict decoding error: duplicate field "metadata.name"' });
    const warn = await call('POST', CM, '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"dw"},"data":{"a":"1","a":"2"}}');
    expect(warn.status).toBe(201);
    expect(warn.headers.get('warning')).toContain('duplicate field \\"data.a\\"');
  });

  it('binds pods once and deletes bound pods gracefully', async () => {
    const pods = '/api/v1/namespaces/default/pods';
    await call('POST', pods, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'bp' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } });
    const binding = { apiVersion: 'v1', kind: 'Binding', metadata: { name: 'bp' }, target: { apiVersion: 'v1', kind: 'Node', name: 'n1' } };
    expect((await call('POST', `${pods}/bp/binding`, binding)).status).toBe(201);
    const pod = (await call('GET', `${pods}/bp`)).body;
    expect(pod.spec.nodeName).toBe('n1');
    expect(pod.status.conditions).toEqual([expect.objectContaining({ type: 'PodScheduled', status: 'True' })]);
    expect((await call('POST', `${pods}/bp/binding`, binding)).body).toMatchObject({ code: 409, reason: 'Conflict' });
    const del = await call('DELETE', `${pods}/bp`);
    expect(del.body.metadata.deletionGracePeriodSeconds).toBe(30);
    expect((await call('GET', `${pods}/bp`)).status).toBe(200);
    await call('DELETE', `${pods}/bp`, { gracePeriodSeconds: 0 });
    expect((await call('GET', `${pods}/bp`)).status).toBe(404);
  });

  it('never removes a Terminating pod bound to a node by itself (only its kubelet\'s grace-0 delete does); an unbound pod goes at once', async () => {
    const pods = '/api/v1/namespaces/default/pods';
    await call('POST', pods, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'tp' }, spec: { terminationGracePeriodSeconds: 1, containers: [{ name: 'c', image: 'busybox' }] } });
    await call('POST', `${pods}/tp/binding`, { apiVersion: 'v1', kind: 'Binding', metadata: { name: 'tp' }, target: { apiVersion: 'v1', kind: 'Node', name: 'gone-node' } });
    const del = await call('DELETE', `${pods}/tp`);
    expect(del.body.metadata.deletionGracePeriodSeconds).toBe(1);
    await new Promise((r) => setTimeout(r, 1500));
    const stays = await call('GET', `${pods}/tp`);
    expect(stays.status).toBe(200);
    expect(stays.body.metadata.deletionTimestamp).toBeDefined();
    expect((await call('DELETE', `${pods}/tp`, { gracePeriodSeconds: 0, preconditions: { uid: 'not-its-uid' } })).body).toMatchObject({ code: 409, reason: 'Conflict' });
    // With a body, kube-apiserver reads DeleteOptions from the body alone: the query's grace period does not count.
    const queryIgnored = await call('DELETE', `${pods}/tp?gracePeriodSeconds=0&dryRun=All`, { preconditions: { uid: stays.body.metadata.uid } });
    expect(queryIgnored.status).toBe(200);
    expect((await call('GET', `${pods}/tp`)).status).toBe(200);
    await call('DELETE', `${pods}/tp`, { gracePeriodSeconds: 0, preconditions: { uid: stays.body.metadata.uid } });
    expect((await call('GET', `${pods}/tp`)).status).toBe(404);

    // A negative grace period on a pod bound to a node is 1 s (CheckGracefulDelete), not an immediate removal.
    await call('POST', pods, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'np' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } });
    await call('POST', `${pods}/np/binding`, { apiVersion: 'v1', kind: 'Binding', metadata: { name: 'np' }, target: { apiVersion: 'v1', kind: 'Node', name: 'gone-node' } });
    expect((await call('DELETE', `${pods}/np`, { gracePeriodSeconds: -1 })).body.metadata.deletionGracePeriodSeconds).toBe(1);
    expect((await call('GET', `${pods}/np`)).status).toBe(200);
    await call('DELETE', `${pods}/np`, { gracePeriodSeconds: 0 });

    await call('POST', pods, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'up' }, spec: { terminationGracePeriodSeconds: 30, containers: [{ name: 'c', image: 'busybox' }] } });
    // Without a body, the query is read: dryRun=All keeps the pod.
    expect((await call('DELETE', `${pods}/up?dryRun=All`)).status).toBe(200);
    expect((await call('GET', `${pods}/up`)).status).toBe(200);
    expect((await call('DELETE', `${pods}/up`)).status).toBe(200);
    expect((await call('GET', `${pods}/up`)).status).toBe(404);
  });

  it('keeps the status a Node registers with', async () => {
    const n = await call('POST', '/api/v1/nodes', { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' },
      status: { capacity: { cpu: '4' }, conditions: [{ type: 'Ready', status: 'True' }] } });
    expect(n.body.status.capacity).toEqual({ cpu: '4' });
  });

  it('forwards pods/log to the published log URL', async () => {
    const http = await import('node:http');
    const logs = http.createServer((req, res) => { res.end(`log of ${new URL(req.url!, 'http://x').searchParams.get('container')}\n`); });
    await new Promise<void>((r) => logs.listen(0, '127.0.0.1', () => r()));
    const port = (logs.address() as { port: number }).port;
    try {
      await call('POST', '/api/v1/namespaces/default/pods', { apiVersion: 'v1', kind: 'Pod',
        metadata: { name: 'lp', annotations: { 'sim.agentlab.dev/log-url': `http://127.0.0.1:${port}/logs/lp` } },
        spec: { containers: [{ name: 'main', image: 'busybox' }, { name: 'side', image: 'busybox' }] } });
      expect((await call('GET', '/api/v1/namespaces/default/pods/lp/log?container=side')).body).toBe('log of side\n');
      expect((await call('GET', '/api/v1/namespaces/default/pods/lp/log')).body).toMatchObject({ code: 400,
        message: 'a container name must be specified for pod lp, choose one of: [main side]' });
    } finally {
      logs.close();
    }
  });

  it('deletes dependents first with propagationPolicy=Foreground', async () => {
    const owner = await call('POST', CM, cm('fg-owner'));
    const ref = { apiVersion: 'v1', kind: 'ConfigMap', name: 'fg-owner', uid: owner.body.metadata.uid, blockOwnerDeletion: true };
    await call('POST', CM, cm('fg-dep', { ownerReferences: [ref], finalizers: ['agentlab.dev/hold'] }));
    const del = await call('DELETE', `${CM}/fg-owner`, { propagationPolicy: 'Foreground' });
    expect(del.body.metadata.finalizers).toEqual(['foregroundDeletion']);
    await eventually(async () => Boolean((await call('GET', `${CM}/fg-dep`)).body.metadata?.deletionTimestamp));
    expect((await call('GET', `${CM}/fg-owner`)).status).toBe(200);
    await call('PATCH', `${CM}/fg-dep`, { metadata: { finalizers: null } }, { contentType: 'application/merge-patch+json' });
    await eventually(async () => (await call('GET', `${CM}/fg-owner`)).status === 404);
  });

  it('sends initial events and a bookmark for sendInitialEvents', async () => {
    const events = await readWatch(s, `${CM}?watch=true&sendInitialEvents=true&allowWatchBookmarks=true&resourceVersionMatch=NotOlderThan&fieldSelector=metadata.name%3Dp1`, 2);
    expect(events[0]).toMatchObject({ type: 'ADDED', object: { metadata: { name: 'p1' } } });
    expect(events[1]).toMatchObject({ type: 'BOOKMARK', object: { metadata: { annotations: { 'k8s.io/initial-events-end': 'true' } } } });
  });

  it('stops serving a deleted CRD once its objects are gone', async () => {
    const crd = { ...CRD, metadata: { name: 'gadgets.test.agentlab.dev' },
      spec: { ...CRD.spec, names: { plural: 'gadgets', singular: 'gadget', kind: 'Gadget' } } };
    await call('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', crd);
    const G = '/apis/test.agentlab.dev/v1/namespaces/default/gadgets';
    expect((await call('POST', G, { apiVersion: 'test.agentlab.dev/v1', kind: 'Gadget', metadata: { name: 'g' }, spec: { size: 'S' } })).status).toBe(201);
    await call('DELETE', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/gadgets.test.agentlab.dev');
    await eventually(async () => (await call('GET', G)).status === 404);
    expect((await call('GET', '/apis/test.agentlab.dev/v1')).body.resources.map((r: { name: string }) => r.name)).not.toContain('gadgets');
  });
});
