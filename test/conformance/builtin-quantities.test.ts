import { beforeAll, describe, expect, it } from 'vitest';
import { useCluster } from '../harness/cluster.js';
import { expectStatus, statusOf } from './support.js';

// Resource quantities in built-in objects are resource.Quantity values, parsed while the body is
// decoded: a malformed one ("abc", "1GB", "10 Gi") fails the request before any validation, with
// apimachinery's parse error, whatever fieldValidation says (400 for a body, 422 on "patch" for a
// patch). kubectl shows the same error.
const cluster = useCluster();
let ns: string;

beforeAll(async () => {
  ns = await cluster.newNamespace('quantities');
});

const FORMAT = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";

function pod(name: string, resources: Record<string, unknown>): Record<string, unknown> {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { containers: [{ name: 'main', image: 'busybox:1.36', resources }] } };
}

describe('malformed quantities in built-in objects', () => {
  it.each(['Strict', 'Ignore'])('a Pod with cpu "abc" is 400 BadRequest under fieldValidation=%s', async (fv) => {
    const res = await cluster.request({ method: 'POST', path: `/api/v1/namespaces/${ns}/pods?fieldValidation=${fv}`,
      body: pod(`bad-cpu-${fv.toLowerCase()}`, { requests: { cpu: 'abc' } }) });
    expectStatus(res, 400);
    const status = statusOf(res);
    expect(status.reason).toBe('BadRequest');
    expect(status.message).toBe(`Pod in version "v1" cannot be handled as a Pod: ${FORMAT}`);
  });

  it('an unknown suffix is refused with its own message', async () => {
    const res = await cluster.request({ method: 'POST', path: `/api/v1/namespaces/${ns}/pods`, body: pod('bad-suffix', { limits: { memory: '1KM' } }) });
    expectStatus(res, 400);
    expect(statusOf(res).message).toBe(`Pod in version "v1" cannot be handled as a Pod: unable to parse quantity's suffix`);
  });

  it('a PersistentVolumeClaim asking for "10 Gi" is refused', async () => {
    const body = { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'cache' },
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '10 Gi' } } } };
    const res = await cluster.request({ method: 'POST', path: `/api/v1/namespaces/${ns}/persistentvolumeclaims`, body });
    expectStatus(res, 400);
    expect(statusOf(res).message).toBe(`PersistentVolumeClaim in version "v1" cannot be handled as a PersistentVolumeClaim: ${FORMAT}`);
  });

  it('well-formed quantities, numbers included, are accepted', async () => {
    const res = await cluster.request({ method: 'POST', path: `/api/v1/namespaces/${ns}/pods`,
      body: pod('good', { requests: { cpu: '250m', memory: '64Mi' }, limits: { cpu: 1, memory: '1Gi' } }) });
    expectStatus(res, 201);
  });

  it('a merge patch that makes a quantity malformed is 422 Invalid on "patch"', async () => {
    const body = {
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' },
      spec: { replicas: 0, selector: { matchLabels: { app: 'web' } },
        template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'main', image: 'busybox:1.36' }] } } },
    };
    expectStatus(await cluster.request({ method: 'POST', path: `/apis/apps/v1/namespaces/${ns}/deployments`, body }), 201);
    const res = await cluster.request({ method: 'PATCH', path: `/apis/apps/v1/namespaces/${ns}/deployments/web`, contentType: 'application/merge-patch+json',
      body: { spec: { template: { spec: { containers: [{ name: 'main', image: 'busybox:1.36', resources: { limits: { memory: '1GB' } } }] } } } } });
    expectStatus(res, 422);
    const status = statusOf(res);
    expect(status.reason).toBe('Invalid');
    expect(status.details?.causes?.[0]?.field).toBe('patch');
    expect(status.details?.causes?.[0]?.message).toContain(FORMAT);
  });

  it('kubectl apply prints the parse error', async () => {
    const input = `apiVersion: v1
kind: Pod
metadata:
  name: typo
spec:
  containers:
  - name: main
    image: busybox:1.36
    resources:
      requests:
        memory: 64 Mi
`;
    const res = await cluster.kubectl(['apply', '-n', ns, '-f', '-'], { input, allowFailure: true });
    expect(res.code).not.toBe(0);
    expect(res.stderr).toContain('Error from server (BadRequest)');
    expect(res.stderr).toContain(`Pod in version "v1" cannot be handled as a Pod: ${FORMAT}`);
  });
});
