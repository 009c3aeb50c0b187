import { beforeAll, describe, expect, it } from 'vitest';
import { useCluster } from '../harness/cluster.js';
import { expectStatus, ok, statusOf } from './support.js';

// A Job's pod template is immutable (pkg/apis/batch/validation ValidateJobSpecUpdate): a change is
// 422 Invalid on spec.template, "field is immutable". The exception: while a Job is suspended and
// has never started, its scheduling directives (node selector, tolerations, node affinity, labels,
// annotations, scheduling gates) may change, so a queue can place it before it runs.
const cluster = useCluster();
let ns: string;

beforeAll(async () => {
  ns = await cluster.newNamespace('job-template');
});

const jobsPath = (name?: string): string => `/apis/batch/v1/namespaces/${ns}/jobs${name ? `/${name}` : ''}`;

function job(name: string, suspend: boolean): Record<string, unknown> {
  return {
    apiVersion: 'batch/v1', kind: 'Job', metadata: { name },
    spec: { suspend, template: { spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'busybox:1.36', command: ['true'] }] } } },
  };
}

async function create(name: string, suspend: boolean): Promise<void> {
  expectStatus(await cluster.request({ method: 'POST', path: jobsPath(), body: job(name, suspend) }), 201);
}

const patchTemplate = (name: string, template: Record<string, unknown>) => cluster.request({
  method: 'PATCH', path: jobsPath(name), contentType: 'application/strategic-merge-patch+json', body: { spec: { template } },
});

describe('Job spec.template', () => {
  it('a changed image is 422 Invalid: spec.template field is immutable', async () => {
    await create('running', false);
    const res = await patchTemplate('running', { spec: { containers: [{ name: 'main', image: 'busybox:1.37' }] } });
    expectStatus(res, 422);
    const status = statusOf(res);
    expect(status.reason).toBe('Invalid');
    expect(status.details).toMatchObject({ kind: 'Job', group: 'batch', name: 'running' });
    const cause = status.details?.causes?.find((c) => c.field === 'spec.template');
    expect(cause?.reason).toBe('FieldValueInvalid');
    expect(cause?.message).toMatch(/field is immutable$/);
    expect(status.message).toMatch(/^Job\.batch "running" is invalid: spec\.template: Invalid value: .*: field is immutable$/s);
    const stored = ok(await cluster.request({ path: jobsPath('running') }));
    expect(stored.spec.template.spec.containers[0].image).toBe('busybox:1.36');
  });

  it('a changed node selector of a running Job is refused too', async () => {
    const res = await patchTemplate('running', { spec: { nodeSelector: { 'kubernetes.io/hostname': 'elsewhere' } } });
    expectStatus(res, 422);
    expect(statusOf(res).details?.causes?.map((c) => c.field)).toContain('spec.template');
  });

  it('a suspended Job that never started may change its node selector and labels, not its containers', async () => {
    await create('queued', true);
    const moved = await patchTemplate('queued', { metadata: { labels: { queue: 'gpu' } }, spec: { nodeSelector: { 'kubernetes.io/hostname': 'gpu-1' } } });
    const updated = ok(moved);
    expect(updated.spec.template.spec.nodeSelector).toEqual({ 'kubernetes.io/hostname': 'gpu-1' });
    expect(updated.spec.template.metadata.labels.queue).toBe('gpu');
    const res = await patchTemplate('queued', { spec: { containers: [{ name: 'main', image: 'busybox:1.37' }] } });
    expectStatus(res, 422);
    expect(statusOf(res).details?.causes?.map((c) => c.field)).toContain('spec.template');
  });

  it('kubectl set image on a Job prints the immutability error', async () => {
    const res = await cluster.kubectl(['set', 'image', '-n', ns, 'job/running', 'main=busybox:1.37'], { allowFailure: true });
    expect(res.code).not.toBe(0);
    expect(res.stderr).toContain('spec.template: Invalid value');
    expect(res.stderr).toContain('field is immutable');
  });
});
