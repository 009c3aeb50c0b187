import { describe, expect, it } from 'vitest';
import { validateBuiltin } from './builtin-validation.js';
import { applyBuiltinDefaults, applyJobSelector, invalidSecretData } from './defaults.js';
import type { KObject } from './types.js';

const container = { name: 'main', image: 'busybox' };
const deployment = (labels: Record<string, string>, selector: object = { matchLabels: { app: 'a' } }): KObject => ({
  spec: { replicas: 1, selector, template: { metadata: { labels }, spec: { containers: [container] } } } });

describe('built-in validation', () => {
  it.each<[string, string, KObject, string[]]>([
    ['a valid pod', 'pods.', { spec: { containers: [container] } }, []],
    ['a pod without containers', 'pods.', { spec: {} }, ['spec.containers']],
    ['a container without image, duplicate names', 'pods.', { spec: { containers: [container, { name: 'main' }] } },
      ['spec.containers[1].name', 'spec.containers[1].image']],
    ['a bad restart policy', 'pods.', { spec: { containers: [container], restartPolicy: 'Sometimes' } }, ['spec.restartPolicy']],
    ['a matching deployment', 'deployments.apps', deployment({ app: 'a' }), []],
    ['a selector that misses the template', 'deployments.apps', deployment({ app: 'b' }), ['spec.template.metadata.labels']],
    ['a deployment without selector', 'deployments.apps', { spec: { template: { spec: { containers: [container] } } } }, ['spec.selector']],
    ['a service without ports', 'services.', { spec: { type: 'ClusterIP' } }, ['spec.ports']],
    ['a headless service without ports', 'services.', { spec: { clusterIP: 'None' } }, []],
    ['unnamed ports among several', 'services.', { spec: { ports: [{ port: 80 }, { port: 81, name: 'b' }] } }, ['spec.ports[0].name']],
    ['a PVC without size', 'persistentvolumeclaims.', { spec: { accessModes: ['ReadWriteOnce'] } }, ['spec.resources[storage]']],
    ['a config key with a slash', 'configmaps.', { data: { 'a/b': 'x' } }, ['data']],
  ])('%s', (_what, storage, obj, fields) => {
    expect(validateBuiltin(storage, obj, undefined).map((c) => c.field)).toEqual(fields);
  });

  it('lets pod updates change only images and the few mutable fields', () => {
    const pod = (spec: object): KObject => ({ spec: { containers: [container], ...spec } });
    expect(validateBuiltin('pods.', pod({ containers: [{ ...container, image: 'busybox:2' }] }), pod({}))).toEqual([]);
    expect(validateBuiltin('pods.', pod({ nodeName: 'n1' }), pod({}))).toEqual([]);
    expect(validateBuiltin('pods.', pod({ nodeName: 'n2' }), pod({ nodeName: 'n1' })).map((c) => c.field)).toEqual(['spec']);
    expect(validateBuiltin('pods.', pod({ restartPolicy: 'Never' }), pod({})).map((c) => c.field)).toEqual(['spec']);
  });

  it('lets pod updates remove scheduling gates but not add them', () => {
    const pod = (gates: string[]): KObject => ({ spec: { containers: [container], schedulingGates: gates.map((name) => ({ name })) } });
    expect(validateBuiltin('pods.', pod(['a']), pod(['a', 'b']))).toEqual([]);
    expect(validateBuiltin('pods.', pod([]), pod(['a']))).toEqual([]);
    expect(validateBuiltin('pods.', pod(['a', 'c']), pod(['a']))).toEqual([{
      reason: 'FieldValueForbidden', field: 'spec.schedulingGates', message: "Forbidden: only deletion is allowed, but found new scheduling gate 'c'",
    }]);
  });

  it('keeps immutable config and a deployment selector from changing', () => {
    expect(validateBuiltin('configmaps.', { data: { a: '2' }, immutable: true }, { data: { a: '1' }, immutable: true })
      .map((c) => c.field)).toEqual(['data']);
    expect(validateBuiltin('deployments.apps', deployment({ app: 'a', b: 'c' }, { matchLabels: { b: 'c' } }), deployment({ app: 'a' }))
      .map((c) => c.field)).toEqual(['spec.selector']);
  });
});

describe('Job updates', () => {
  const job = (spec: Record<string, unknown> = {}, template: Record<string, unknown> = {}, status: Record<string, unknown> = {}): KObject => ({
    spec: { selector: { matchLabels: { u: '1' } }, completionMode: 'NonIndexed', ...spec,
      template: { metadata: { labels: { u: '1' } }, spec: { restartPolicy: 'Never', containers: [container], ...template } } },
    status,
  });

  it('refuses any change to the pod template of a running Job', () => {
    const causes = validateBuiltin('jobs.batch', job({}, { containers: [{ ...container, image: 'busybox:2' }] }), job());
    expect(causes).toHaveLength(1);
    expect(causes[0]).toMatchObject({ reason: 'FieldValueInvalid', field: 'spec.template' });
    expect(causes[0]!.message).toMatch(/^Invalid value: .*: field is immutable$/);
    expect(validateBuiltin('jobs.batch', job({ parallelism: 3 }), job())).toEqual([]);
  });

  it('keeps selector and completion mode', () => {
    expect(validateBuiltin('jobs.batch', job({ selector: { matchLabels: { u: '2' } } }), job()).map((c) => c.field)).toEqual(['spec.selector']);
    expect(validateBuiltin('jobs.batch', job({ completionMode: 'Indexed' }), job()).map((c) => c.field)).toEqual(['spec.completionMode']);
  });

  it('lets a suspended Job that never started change its scheduling directives only', () => {
    const suspended = job({ suspend: true });
    const moved = job({ suspend: true }, { nodeSelector: { gpu: 'yes' }, tolerations: [{ key: 'k', operator: 'Exists' }],
      affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [] } } } });
    expect(validateBuiltin('jobs.batch', moved, suspended)).toEqual([]);
    expect(validateBuiltin('jobs.batch', job({ suspend: true }, { containers: [{ ...container, image: 'x' }] }), suspended)
      .map((c) => c.field)).toEqual(['spec.template']);
    const started = job({ suspend: true }, {}, { startTime: '2026-01-01T00:00:00Z' });
    expect(validateBuiltin('jobs.batch', job({ suspend: true }, { nodeSelector: { gpu: 'yes' } }), started).map((c) => c.field)).toEqual(['spec.template']);
  });
});

describe('pod defaults', () => {
  const podSpec = (): Record<string, unknown> => ({ containers: [{ name: 'c', image: 'busybox:1.36', resources: { limits: { cpu: '1' } } }] });

  it('gives a Pod the admission defaults and requests from limits', () => {
    const pod: KObject = { spec: podSpec() };
    applyBuiltinDefaults('pods.', pod);
    expect(pod.spec).toMatchObject({ enableServiceLinks: true, priority: 0, preemptionPolicy: 'PreemptLowerPriority',
      serviceAccountName: 'default', serviceAccount: 'default', restartPolicy: 'Always', dnsPolicy: 'ClusterFirst' });
    expect((pod.spec as { tolerations: unknown[] }).tolerations).toHaveLength(2);
    expect((pod.spec as { containers: { resources: unknown }[] }).containers[0]!.resources).toEqual({ limits: { cpu: '1' }, requests: { cpu: '1' } });
  });

  it.each([['deployments.apps'], ['jobs.batch']])('gives the pod template of %s only the PodSpec defaults', (gr) => {
    const o: KObject = { spec: { template: { spec: podSpec() } } };
    applyBuiltinDefaults(gr, o);
    const spec = (o.spec as { template: { spec: Record<string, unknown> } }).template.spec;
    expect(spec).toEqual({ restartPolicy: 'Always', terminationGracePeriodSeconds: 30, dnsPolicy: 'ClusterFirst', securityContext: {},
      schedulerName: 'default-scheduler', containers: [{ name: 'c', image: 'busybox:1.36', imagePullPolicy: 'IfNotPresent',
        terminationMessagePath: '/dev/termination-log', terminationMessagePolicy: 'File', resources: { limits: { cpu: '1' } } }] });
  });

  it('mirrors serviceAccountName into the deprecated serviceAccount in templates', () => {
    const o: KObject = { spec: { template: { spec: { serviceAccountName: 'runner', containers: [] } } } };
    applyBuiltinDefaults('deployments.apps', o);
    expect((o.spec as { template: { spec: unknown } }).template.spec).toMatchObject({ serviceAccountName: 'runner', serviceAccount: 'runner' });
  });
});

describe('built-in write normalisation', () => {
  it('merges Secret stringData into base64 data', () => {
    const s: KObject = { stringData: { token: 'abc' }, data: { other: 'eA==' } };
    applyBuiltinDefaults('secrets.', s);
    expect(s).toEqual({ type: 'Opaque', data: { other: 'eA==', token: 'YWJj' } });
    expect(invalidSecretData({ data: { k: 'not base64!' } })).toMatch(/illegal base64 data in data\["k"\]/);
    expect(invalidSecretData(s)).toBeUndefined();
  });

  it('gives Jobs the controller-uid selector and pod labels', () => {
    const job: KObject = { spec: { template: { metadata: { labels: { app: 'x' } }, spec: {} } } };
    applyJobSelector(job, 'u-1', 'j');
    expect(job.spec).toMatchObject({ selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': 'u-1' } },
      template: { metadata: { labels: { app: 'x', 'job-name': 'j', 'batch.kubernetes.io/job-name': 'j', 'controller-uid': 'u-1' } } } });
  });
});
