import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigMap, PodSpec } from './core.js';
import { decodeMessage, ProtobufUnsupportedError } from './decode.js';
import { decodeProtobufObject } from './index.js';
import { ObjectMeta } from './meta.js';
import { ClusterRole } from './rbac.js';
import { entry, envelope, field, msg, varint } from './test-encoder.js';
import { ProtobufDecodeError } from './wire.js';
import { Deployment } from './workloads.js';

const TESTDATA = path.join(import.meta.dirname, 'testdata');

describe('real kubectl 1.32 request bodies', () => {
  // testdata/<name>.pb is what `kubectl create ...` sent (capture-fixtures.ts); <name>.json is
  // `kubectl create ... --dry-run=client -o json` for the same command: Go's JSON of the same struct.
  const names = readdirSync(TESTDATA).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5));
  const read = (name: string) => decodeProtobufObject(readFileSync(path.join(TESTDATA, `${name}.pb`)));

  it('covers every typed create command', () => {
    expect(names.sort()).toEqual([
      'clusterrole', 'clusterrole-aggregated', 'clusterrolebinding', 'configmap', 'cronjob', 'deployment', 'ingress', 'job',
      'namespace', 'poddisruptionbudget', 'priorityclass', 'quota', 'role', 'rolebinding', 'secret-docker-registry',
      'secret-generic', 'service-clusterip', 'service-externalname', 'service-nodeport', 'serviceaccount',
    ]);
  });

  // kubectl debug has no --dry-run, so its pods are checked field by field.
  it('kubectl debug --copy-to: the copied pod with the debug container', () => {
    expect(read('debug-copy-to')).toEqual({
      kind: 'Pod', apiVersion: 'v1', metadata: { name: 'p1-copy', namespace: 'default', creationTimestamp: null },
      spec: {
        containers: [
          { name: 'p1', image: 'busybox', args: ['sleep', '1'], env: [{ name: 'A', value: 'b' }], resources: {},
            terminationMessagePath: '/dev/termination-log', imagePullPolicy: 'Always', terminationMessagePolicy: 'File' },
          { name: expect.stringMatching(/^debugger-/) as unknown, image: 'busybox', command: ['sh'], resources: {},
            securityContext: { capabilities: { add: ['SYS_PTRACE'] } }, terminationMessagePolicy: 'File' },
        ],
        restartPolicy: 'Never', terminationGracePeriodSeconds: 30, dnsPolicy: 'ClusterFirst', serviceAccountName: 'default',
        serviceAccount: 'default', securityContext: {}, schedulerName: 'default-scheduler',
        tolerations: [
          { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
          { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
        ],
        priority: 0, shareProcessNamespace: true, enableServiceLinks: true, preemptionPolicy: 'PreemptLowerPriority',
      },
      status: {},
    });
  });

  it('kubectl debug node/<n> --profile=sysadmin: a privileged host pod', () => {
    expect(read('debug-node')).toEqual({
      kind: 'Pod', apiVersion: 'v1', metadata: { name: expect.stringMatching(/^node-debugger-n1-/) as unknown, creationTimestamp: null },
      spec: {
        volumes: [{ name: 'host-root', hostPath: { path: '/' } }],
        containers: [{ name: 'debugger', image: 'busybox', resources: {}, volumeMounts: [{ name: 'host-root', mountPath: '/host' }],
          securityContext: { privileged: true }, terminationMessagePolicy: 'File' }],
        restartPolicy: 'Never', nodeName: 'n1', hostNetwork: true, hostPID: true, hostIPC: true, tolerations: [{ operator: 'Exists' }],
      },
      status: {},
    });
  });

  it('kubectl drain: the DeleteOptions body of a pod deletion', () => {
    expect(read('drain-delete-options')).toEqual({ kind: 'DeleteOptions', apiVersion: 'v1', gracePeriodSeconds: 7 });
  });

  it.each(names)('%s decodes to the JSON kubectl would send', (name) => {
    const pb = readFileSync(path.join(TESTDATA, `${name}.pb`));
    const json: unknown = JSON.parse(readFileSync(path.join(TESTDATA, `${name}.json`), 'utf8'));
    expect(decodeProtobufObject(pb)).toEqual(json);
  });
});

describe('field decoding', () => {
  it('drops zero values of plain fields and keeps those of pointer fields', () => {
    const meta = msg(field(1, 'x'), field(2, ''), field(7, 0), field(10, 0));
    expect(decodeMessage(ObjectMeta, meta)).toEqual({ name: 'x', deletionGracePeriodSeconds: 0 });
    expect(decodeMessage(ConfigMap, msg(field(4, false)))).toEqual({ immutable: false });
  });

  it('keeps an explicit replicas: 0 and decodes negative int32', () => {
    expect(decodeMessage(Deployment, msg(field(2, msg(field(1, 0)))))).toEqual({ spec: { replicas: 0 } });
    expect(decodeMessage(Deployment, msg(field(2, msg(field(1, -1)))))).toEqual({ spec: { replicas: -1 } });
  });

  it('decodes maps, with base64 for bytes values and a missing value as empty', () => {
    const cm = msg(entry(2, 'a', '1'), field(2, msg(field(1, 'empty'))), entry(3, 'bin', Uint8Array.of(0, 1, 255)));
    expect(decodeMessage(ConfigMap, cm)).toEqual({ data: { a: '1', empty: '' }, binaryData: { bin: 'AAH/' } });
  });

  it('gives an absent list without omitempty null, like a nil Go slice', () => {
    expect(decodeMessage(ClusterRole, msg(field(1, msg(field(1, 'agg')))))).toEqual({ metadata: { name: 'agg' }, rules: null });
    expect(decodeMessage(ClusterRole, msg(field(2, msg(field(1, 'get')))))).toEqual({ rules: [{ verbs: ['get'] }] });
  });

  it('keeps a map key named __proto__ as data', () => {
    const out = decodeMessage(ConfigMap, msg(entry(2, '__proto__', 'x')));
    expect(JSON.stringify(out)).toBe('{"data":{"__proto__":"x"}}');
  });

  it('decodes Time as RFC3339 seconds, and the zero Time as null like Go', () => {
    const when = msg(field(1, 1_700_000_000), field(2, 123_000_000));
    expect(decodeMessage(ObjectMeta, msg(field(8, when), field(9, new Uint8Array())))).toEqual({
      creationTimestamp: '2023-11-14T22:13:20Z', deletionTimestamp: null,
    });
  });

  it('decodes owner references and managed fields (FieldsV1 is raw JSON)', () => {
    const owner = msg(field(1, 'CronJob'), field(3, 'cj'), field(4, 'u-1'), field(5, 'batch/v1'), field(6, true), field(7, false));
    const managed = msg(field(1, 'kubectl'), field(2, 'Update'), field(3, 'v1'), field(6, 'FieldsV1'),
      field(7, msg(field(1, '{"f:data":{".":{}}}'))));
    expect(decodeMessage(ObjectMeta, msg(field(13, owner), field(17, managed)))).toEqual({
      ownerReferences: [{ kind: 'CronJob', name: 'cj', uid: 'u-1', apiVersion: 'batch/v1', controller: true, blockOwnerDeletion: false }],
      managedFields: [{ manager: 'kubectl', operation: 'Update', apiVersion: 'v1', fieldsType: 'FieldsV1', fieldsV1: { 'f:data': { '.': {} } } }],
    });
  });

  it('decodes IntOrString as a number or a string, keeping pointer ones at zero', () => {
    const strategy = msg(field(1, 'RollingUpdate'), field(2, msg(
      field(1, msg(field(1, 0), field(2, 0))),
      field(2, msg(field(1, 1), field(3, '25%'))),
    )));
    expect(decodeMessage(Deployment, msg(field(2, msg(field(4, strategy)))))).toEqual({
      spec: { strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: '25%' } } },
    });
  });

  it('flattens embedded structs (LocalObjectReference, VolumeSource) into their parent like Go JSON', () => {
    const keyRef = msg(field(1, msg(field(1, 'settings'))), field(2, 'mode'));
    const env = msg(field(1, 'MODE'), field(3, msg(field(3, keyRef))));
    const container = msg(field(1, 'app'), field(7, env), field(8, msg(field(1, msg(field(1, 'cpu'), field(2, msg(field(1, '500m'))))))));
    const volume = msg(field(1, 'cfg'), field(2, msg(field(19, msg(field(1, msg(field(1, 'settings'))), field(3, 420))))));
    expect(decodeMessage(PodSpec, msg(field(1, volume), field(2, container)))).toEqual({
      volumes: [{ name: 'cfg', configMap: { name: 'settings', defaultMode: 420 } }],
      containers: [{
        name: 'app',
        env: [{ name: 'MODE', valueFrom: { configMapKeyRef: { name: 'settings', key: 'mode' } } }],
        resources: { limits: { cpu: '500m' } },
      }],
    });
  });

  it('reads repeated numbers packed or one per field', () => {
    const packed = Uint8Array.from([...varint((4 << 3) | 2), 3, ...varint(1000).slice(0, 2), 7]);
    expect(decodeMessage(PodSpec, msg(field(14, msg(field(4, 5), packed))))).toEqual({
      securityContext: { supplementalGroups: [5, 1000, 7] }, containers: null,
    });
  });
});

describe('DeleteOptions', () => {
  it('decodes preconditions, propagation policy and dry run', () => {
    const body = envelope('meta.k8s.io/v1', 'DeleteOptions', msg(field(1, 0), field(2, msg(field(1, 'u-1'), field(2, '42'))),
      field(4, 'Foreground'), field(5, 'All')));
    expect(decodeProtobufObject(body)).toEqual({
      kind: 'DeleteOptions', apiVersion: 'meta.k8s.io/v1', gracePeriodSeconds: 0,
      preconditions: { uid: 'u-1', resourceVersion: '42' }, propagationPolicy: 'Foreground', dryRun: ['All'],
    });
  });
});

describe('Eviction', () => {
  it('decodes the pod name and its deleteOptions', () => {
    const body = envelope('policy/v1', 'Eviction', msg(field(1, msg(field(1, 'web-0'), field(3, 'apps'))), field(2, msg(field(1, 30)))));
    expect(decodeProtobufObject(body)).toEqual({
      kind: 'Eviction', apiVersion: 'policy/v1', metadata: { name: 'web-0', namespace: 'apps' }, deleteOptions: { gracePeriodSeconds: 30 },
    });
  });
});

describe('decode errors', () => {
  it('names a field the decoder does not cover, with its path', () => {
    // Container field 10 is livenessProbe, which the descriptors leave out.
    const body = envelope('apps/v1', 'Deployment', msg(field(2, msg(field(3, msg(field(2, msg(field(2, msg(field(1, 'c'))), field(2, msg(field(10, msg())))))))))));
    expect(() => decodeProtobufObject(body)).toThrow(ProtobufUnsupportedError);
    expect(() => decodeProtobufObject(body)).toThrow(
      "field 10 of k8s.io.api.core.v1.Container (at spec.template.spec.containers[1]) is not supported by the embedded API server's protobuf decoder");
  });

  it.each([
    ['a wire type that does not match the field', msg(field(1, msg(field(1, 5)))), 'metadata.name: expected a length-delimited field, got wire type 0'],
    ['an int32 out of range', msg(field(2, msg(field(1, 2 ** 31)))), 'spec.replicas: 2147483648 does not fit in int32'],
    ['a truncated nested message', msg(field(1, Uint8Array.of(0x0a, 0x05, 0x61))), 'metadata: field 1 at offset 0 declares 5 bytes but only 1 remain'],
    ['a timestamp with out-of-range nanos', msg(field(1, msg(field(8, msg(field(1, 1), field(2, 2_000_000_000)))))), 'metadata.creationTimestamp: invalid timestamp 1s 2000000000ns'],
    ['a timestamp beyond year 9999', msg(field(1, msg(field(8, msg(field(1, 300_000_000_000)))))), 'invalid timestamp 300000000000s 0ns'],
    ['FieldsV1 that is not JSON', msg(field(1, msg(field(17, msg(field(7, msg(field(1, '{nope')))))))), 'metadata.managedFields[0].fieldsV1: raw bytes are not JSON'],
    ['an IntOrString of unknown type', msg(field(2, msg(field(4, msg(field(2, msg(field(1, msg(field(1, 7)))))))))), 'IntOrString has unknown type 7'],
  ])('rejects %s', (_name, raw, message) => {
    const body = envelope('apps/v1', 'Deployment', raw);
    expect(() => decodeProtobufObject(body)).toThrow(ProtobufDecodeError);
    expect(() => decodeProtobufObject(body)).toThrow(message);
  });
});
