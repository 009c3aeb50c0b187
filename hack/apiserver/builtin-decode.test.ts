import * as clientNode from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { decodeBuiltinRequest, goValueString } from './builtin-decode.js';
import { builtinModel, decodeBuiltin, QUANTITY_FIELDS } from './builtin-schema.js';
import { ApiError } from './errors.js';
import { apiVersionOf, builtinResources, type ResourceInfo } from './registry.js';
import { QUANTITY_FORMAT_WRONG } from './quantity.js';

const resource = (kind: string): ResourceInfo => builtinResources().find((r) => r.kind === kind && r.group !== 'events.k8s.io')!;
const deployment = (container: Record<string, unknown>): Record<string, unknown> => ({
  apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd' },
  spec: { selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'i', ...container }] } } },
});
const errorOf = (fn: () => unknown): ApiError => {
  try { fn(); } catch (e) { if (e instanceof ApiError) return e; throw e; }
  throw new Error('expected an ApiError');
};

describe('built-in schema from client-node models', () => {
  it('has a model for every built-in resource served', () => {
    for (const r of builtinResources()) expect(builtinModel(apiVersionOf(r), r.kind), `${r.resource}.${r.group}`).toBeDefined();
  });

  it('names only quantity fields that exist', () => {
    const models = clientNode as unknown as Record<string, { attributeTypeMap: { name: string }[] }>;
    for (const f of QUANTITY_FIELDS) {
      const [model, attr] = f.split('.') as [string, string];
      expect(models[model]?.attributeTypeMap.some((a) => a.name === attr), f).toBe(true);
    }
  });

  it('reports unknown fields at any depth, in document order, with list indexes, and drops them', () => {
    const d = deployment({ foo: 1, env: [{ name: 'A', value: 'x', bogus: true }] });
    (d.metadata as Record<string, unknown>).extra = 'x';
    (d.spec as Record<string, unknown>).paused = false;
    expect(decodeBuiltin('V1Deployment', d).unknownFields).toEqual([
      'metadata.extra', 'spec.template.spec.containers[0].foo', 'spec.template.spec.containers[0].env[0].bogus',
    ]);
    const expected = deployment({ env: [{ name: 'A', value: 'x' }] });
    (expected.spec as Record<string, unknown>).paused = false;
    expect(d).toEqual(expected);
  });

  it('keeps map values and free-form fields as they are', () => {
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', labels: { any: 'thing' } }, data: { 'k.y': 'v' } };
    expect(decodeBuiltin('V1ConfigMap', cm).unknownFields).toEqual([]);
    const crd = { spec: { versions: [{ name: 'v1', schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', default: { a: 1 }, 'x-kubernetes-preserve-unknown-fields': true, nope: 1 } } } } }] } };
    expect(decodeBuiltin('V1CustomResourceDefinition', crd).unknownFields).toEqual(['spec.versions[0].schema.openAPIV3Schema.properties.spec.nope']);
  });

  it('stops at the first malformed quantity', () => {
    const out = decodeBuiltin('V1Deployment', deployment({ resources: { requests: { cpu: 'abc' } }, later: 1 }));
    expect(out.decodeError).toBe(QUANTITY_FORMAT_WRONG);
    for (const bad of [{ volumes: [{ name: 'v', emptyDir: { sizeLimit: '1GB' } }] }]) {
      expect(decodeBuiltin('V1PodSpec', bad).decodeError).toBeDefined();
    }
    const pvc = { spec: { resources: { requests: { storage: '10 Gi' } } } };
    expect(decodeBuiltin('V1PersistentVolumeClaim', pvc).decodeError).toBe(QUANTITY_FORMAT_WRONG);
    expect(decodeBuiltin('V1Deployment', deployment({ resources: { limits: { cpu: 2, memory: '1Gi' } } })).decodeError).toBeUndefined();
  });
});

describe('kube-apiserver answers for built-in bodies that do not decode', () => {
  const deploy = resource('Deployment');

  it('Strict: 400 naming the kind and every unknown field', () => {
    const err = errorOf(() => decodeBuiltinRequest(deploy, deployment({ foo: 1 }), 'Strict', { kind: 'body' }));
    expect(err.status).toMatchObject({ code: 400, reason: 'BadRequest',
      message: 'Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: unknown field "spec.template.spec.containers[0].foo"' });
  });

  it('Strict: duplicates and unknown fields in one error', () => {
    const err = errorOf(() => decodeBuiltinRequest(deploy, deployment({ foo: 1 }), 'Strict', { kind: 'body', duplicates: ['metadata.name'] }));
    expect(err.status.message).toBe('Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: duplicate field "metadata.name", unknown field "spec.template.spec.containers[0].foo"');
  });

  it('Warn: warnings; Ignore: nothing; both drop the field', () => {
    const warned = deployment({ foo: 1 });
    expect(decodeBuiltinRequest(deploy, warned, 'Warn', { kind: 'body' })).toEqual(['unknown field "spec.template.spec.containers[0].foo"']);
    const ignored = deployment({ foo: 1 });
    expect(decodeBuiltinRequest(deploy, ignored, 'Ignore', { kind: 'body' })).toEqual([]);
    expect(warned).toEqual(deployment({}));
    expect(ignored).toEqual(deployment({}));
  });

  it('a malformed quantity is a 400 decode error whatever fieldValidation says, and beats strict errors', () => {
    for (const fv of ['Strict', 'Warn', 'Ignore'] as const) {
      const err = errorOf(() => decodeBuiltinRequest(deploy, deployment({ foo: 1, resources: { limits: { memory: '1GB' } } }), fv, { kind: 'body' }));
      expect(err.status).toMatchObject({ code: 400, reason: 'BadRequest', message: `Deployment in version "v1" cannot be handled as a Deployment: ${QUANTITY_FORMAT_WRONG}` });
    }
  });

  it('a patch: 422 Invalid on the field "patch"', () => {
    const err = errorOf(() => decodeBuiltinRequest(deploy, deployment({ foo: 1 }), 'Strict', { kind: 'patch', patchValue: 'map[x:1]' }));
    expect(err.status).toMatchObject({ code: 422, reason: 'Invalid' });
    expect(err.status.details?.causes).toEqual([{ reason: 'FieldValueInvalid', field: 'patch',
      message: 'Invalid value: "map[x:1]": strict decoding error: unknown field "spec.template.spec.containers[0].foo"' }]);
  });

  it('server-side apply: a 500 that the patch object does not fit the schema', () => {
    const err = errorOf(() => decodeBuiltinRequest(deploy, deployment({ foo: 1 }), 'Strict', { kind: 'apply', namespace: 'ns', name: 'd' }));
    expect(err.status).toMatchObject({ code: 500,
      message: 'failed to create typed patch object (ns/d; apps/v1, Kind=Deployment): .spec.template.spec.containers[0].foo: field not declared in schema' });
  });

  it('leaves custom resources and bodies of another kind alone', () => {
    const body = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, nope: 1 };
    expect(decodeBuiltinRequest(resource('ConfigMap'), body, 'Strict', { kind: 'body' })).toEqual([]);
    expect(body.nope).toBe(1);
  });

  it('prints patch maps as Go does', () => {
    expect(goValueString({ spec: { b: [1, 'x'], a: null } })).toBe('map[spec:map[a:<nil> b:[1 x]]]');
  });
});
