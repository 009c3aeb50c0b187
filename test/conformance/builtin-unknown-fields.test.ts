import { beforeAll, describe, expect, it } from 'vitest';
import { useCluster } from '../harness/cluster.js';
import { expectStatus, ok, statusOf } from './support.js';

// Built-in kinds are decoded into their Go types, so a field the type does not have is an
// "unknown field" at any depth (kube-apiserver's strict JSON decoder, KEP 2885): under
// fieldValidation=Strict the request fails, under Warn (the default) it succeeds with a
// Warning header, under Ignore silently; the field is never stored. kubectl apply and create
// ask for Strict, so a typo in a manifest is an error a person sees.
const cluster = useCluster();
let ns: string;

beforeAll(async () => {
  ns = await cluster.newNamespace('builtin-unknown');
});

const deploymentsPath = (name?: string): string => `/apis/apps/v1/namespaces/${ns}/deployments${name ? `/${name}` : ''}`;

function deployment(name: string, container: Record<string, unknown> = {}): Record<string, any> {
  return {
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name },
    spec: {
      replicas: 0, selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'main', image: 'busybox:1.36', ...container }] } },
    },
  };
}

const NESTED = 'spec.template.spec.containers[0].imagePullPolcy';

describe('unknown fields in built-in objects', () => {
  it('Strict refuses a nested unknown field with 400, naming its path', async () => {
    const res = await cluster.request({ method: 'POST', path: `${deploymentsPath()}?fieldValidation=Strict`,
      body: deployment('strict', { imagePullPolcy: 'Always' }) });
    expectStatus(res, 400);
    const status = statusOf(res);
    expect(status.reason).toBe('BadRequest');
    expect(status.message).toBe(`Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: unknown field "${NESTED}"`);
    expectStatus(await cluster.request({ path: deploymentsPath('strict') }), 404);
  });

  it('Strict lists every unknown field, metadata and template metadata included', async () => {
    const body = deployment('strict-many', { resourcez: {} });
    body.metadata.labelz = { a: 'b' };
    body.spec.template.metadata.annotationz = {};
    const res = await cluster.request({ method: 'POST', path: `${deploymentsPath()}?fieldValidation=Strict`, body });
    expectStatus(res, 400);
    const message = statusOf(res).message;
    for (const f of ['metadata.labelz', 'spec.template.metadata.annotationz', 'spec.template.spec.containers[0].resourcez']) {
      expect(message).toContain(`unknown field "${f}"`);
    }
  });

  it('Warn (the default) accepts, warns in a Warning header and drops the field', async () => {
    const res = await cluster.request({ method: 'POST', path: deploymentsPath(), body: deployment('warn', { imagePullPolcy: 'Always' }) });
    expectStatus(res, 201);
    expect(String(res.headers.warning)).toContain(`unknown field \\"${NESTED}\\"`);
    const stored = ok(await cluster.request({ path: deploymentsPath('warn') }));
    expect(stored.spec.template.spec.containers[0]).not.toHaveProperty('imagePullPolcy');
  });

  it('Ignore accepts silently and drops the field', async () => {
    const res = await cluster.request({ method: 'POST', path: `${deploymentsPath()}?fieldValidation=Ignore`,
      body: deployment('ignore', { imagePullPolcy: 'Always' }) });
    expectStatus(res, 201);
    expect(res.headers.warning).toBeUndefined();
    expect(res.json().spec.template.spec.containers[0]).not.toHaveProperty('imagePullPolcy');
  });

  it('an update (PUT) is decoded the same way', async () => {
    const live = ok(await cluster.request({ path: deploymentsPath('warn') }));
    live.spec.template.spec.containers[0].imagePullPolcy = 'Always';
    const res = await cluster.request({ method: 'PUT', path: `${deploymentsPath('warn')}?fieldValidation=Strict`, body: live });
    expectStatus(res, 400);
    expect(statusOf(res).message).toContain(`unknown field "${NESTED}"`);
  });

  it('a merge patch under Strict is 422 Invalid on the field "patch"', async () => {
    const res = await cluster.request({ method: 'PATCH', path: `${deploymentsPath('warn')}?fieldValidation=Strict`,
      contentType: 'application/merge-patch+json', body: { spec: { template: { spec: { containers: [{ name: 'main', image: 'busybox:1.36', imagePullPolcy: 'Always' }] } } } } });
    expectStatus(res, 422);
    const status = statusOf(res);
    expect(status.reason).toBe('Invalid');
    expect(status.details?.causes?.[0]?.field).toBe('patch');
    expect(status.details?.causes?.[0]?.message).toContain(`strict decoding error: unknown field "${NESTED}"`);
  });

  it('kubectl apply prints the strict decoding error and creates nothing', async () => {
    const input = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: typo
spec:
  replicas: 0
  selector:
    matchLabels: {app: typo}
  template:
    metadata:
      labels: {app: typo}
    spec:
      containers:
      - name: main
        image: busybox:1.36
        imagePullPolcy: Always
`;
    const res = await cluster.kubectl(['apply', '-n', ns, '-f', '-'], { input, allowFailure: true });
    expect(res.code).not.toBe(0);
    expect(res.stderr).toContain('Error from server (BadRequest)');
    expect(res.stderr).toContain(`Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: unknown field "${NESTED}"`);
    expectStatus(await cluster.request({ path: deploymentsPath('typo') }), 404);
  });
});
