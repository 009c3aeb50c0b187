import { beforeAll, describe, expect, it } from 'vitest';
import { useCluster } from '../harness/cluster.js';
import { expectStatus, ok, statusOf } from './support.js';

// Every pod spec gets SetDefaults_PodSpec and SetDefaults_Container (pkg/apis/core/v1/defaults.go):
// restartPolicy, dnsPolicy, schedulerName, securityContext, terminationGracePeriodSeconds,
// imagePullPolicy, terminationMessagePath/Policy. Only a Pod also gets SetDefaults_Pod
// (enableServiceLinks, requests copied from limits) and what the Priority and
// DefaultTolerationSeconds admission plugins add; the pod template of a Deployment or Job does not.
const cluster = useCluster();
let ns: string;

beforeAll(async () => {
  ns = await cluster.newNamespace('template-defaults');
});

const container = { name: 'main', image: 'busybox:1.36', resources: { limits: { cpu: '500m', memory: '64Mi' } } };
const POD_ONLY = ['enableServiceLinks', 'priority', 'preemptionPolicy', 'serviceAccountName', 'serviceAccount', 'tolerations'];

describe('pod template defaults', () => {
  it('a Deployment template gets the PodSpec defaults and none of the Pod-only ones', async () => {
    const body = {
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' },
      spec: { replicas: 0, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [container] } } },
    };
    const created = ok(await cluster.request({ method: 'POST', path: `/apis/apps/v1/namespaces/${ns}/deployments`, body }));
    const spec = created.spec.template.spec;
    expect(spec).toMatchObject({ restartPolicy: 'Always', dnsPolicy: 'ClusterFirst', schedulerName: 'default-scheduler',
      securityContext: {}, terminationGracePeriodSeconds: 30 });
    for (const f of POD_ONLY) expect(spec, f).not.toHaveProperty(f);
    expect(spec.containers[0]).toMatchObject({ imagePullPolicy: 'IfNotPresent', terminationMessagePath: '/dev/termination-log',
      terminationMessagePolicy: 'File' });
    expect(spec.containers[0].resources).toEqual({ limits: { cpu: '500m', memory: '64Mi' } });
  });

  it('a Job template likewise', async () => {
    const body = {
      apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'once' },
      spec: { suspend: true, template: { spec: { restartPolicy: 'Never', containers: [container] } } },
    };
    const created = ok(await cluster.request({ method: 'POST', path: `/apis/batch/v1/namespaces/${ns}/jobs`, body }));
    const spec = created.spec.template.spec;
    expect(spec).toMatchObject({ restartPolicy: 'Never', dnsPolicy: 'ClusterFirst', schedulerName: 'default-scheduler' });
    for (const f of POD_ONLY) expect(spec, f).not.toHaveProperty(f);
  });

  it('a Job template without restartPolicy defaults to Always, which a Job refuses', async () => {
    const body = {
      apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'no-policy' },
      spec: { template: { spec: { containers: [container] } } },
    };
    const res = await cluster.request({ method: 'POST', path: `/apis/batch/v1/namespaces/${ns}/jobs`, body });
    expectStatus(res, 422);
    const cause = statusOf(res).details?.causes?.find((c) => c.field === 'spec.template.spec.restartPolicy');
    expect(cause?.reason).toBe('FieldValueNotSupported');
    expect(cause?.message).toContain('Unsupported value: "Always"');
  });

  it('a Pod gets the Pod-only defaults', async () => {
    const body = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'lone' }, spec: { containers: [container] } };
    const created = ok(await cluster.request({ method: 'POST', path: `/api/v1/namespaces/${ns}/pods`, body }));
    expect(created.spec).toMatchObject({ enableServiceLinks: true, priority: 0, preemptionPolicy: 'PreemptLowerPriority' });
    expect(created.spec.tolerations).toEqual(expect.arrayContaining([
      { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
      { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
    ]));
    expect(created.spec.containers[0].resources).toEqual({ limits: { cpu: '500m', memory: '64Mi' }, requests: { cpu: '500m', memory: '64Mi' } });
  });
});
