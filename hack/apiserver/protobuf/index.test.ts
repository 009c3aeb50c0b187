import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ApiError } from '../errors.js';
import { decodeProtobufBody, supportedKinds } from './index.js';
import { envelope, field, msg } from './test-encoder.js';

function apiError(fn: () => unknown): ApiError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ApiError) return err;
    throw err;
  }
  throw new Error('expected an ApiError');
}

describe('decodeProtobufBody', () => {
  it('puts kind and apiVersion from the envelope on the object', () => {
    const body = envelope('v1', 'ConfigMap', msg(field(1, msg(field(1, 'x'))), field(2, msg(field(1, 'k'), field(2, 'v')))));
    expect(decodeProtobufBody(body)).toEqual({ kind: 'ConfigMap', apiVersion: 'v1', metadata: { name: 'x' }, data: { k: 'v' } });
  });

  it('answers a body without the k8s\\0 prefix with 400, in kube-apiserver\'s words', () => {
    const e = apiError(() => decodeProtobufBody(new TextEncoder().encode('{"kind":"ConfigMap"}')));
    expect(e.status).toMatchObject({ code: 400, reason: 'BadRequest',
      message: 'provided data does not appear to be a protobuf message, expected prefix [107 56 115 0]' });
  });

  it('answers an envelope without a kind with 400', () => {
    const e = apiError(() => decodeProtobufBody(Uint8Array.of(0x6b, 0x38, 0x73, 0x00)));
    expect(e.status).toMatchObject({ code: 400, reason: 'BadRequest', message: "Object 'Kind' is missing in protobuf envelope" });
  });

  it('answers a kind without a descriptor with 415 saying so', () => {
    const e = apiError(() => decodeProtobufBody(envelope('apps/v1', 'StatefulSet', msg())));
    expect(e.status).toMatchObject({ code: 415, reason: 'UnsupportedMediaType',
      message: 'the embedded API server cannot decode apps/v1, Kind=StatefulSet from protobuf; send it as application/json' });
  });

  it('answers an unsupported content encoding with 415', () => {
    const e = apiError(() => decodeProtobufBody(envelope('v1', 'ConfigMap', msg(), [field(3, 'gzip')])));
    expect(e.status).toMatchObject({ code: 415, message: 'protobuf content encoding "gzip" is not supported' });
  });

  it('answers a malformed envelope with 400 naming the problem', () => {
    const e = apiError(() => decodeProtobufBody(Uint8Array.of(0x6b, 0x38, 0x73, 0x00, 0x0a, 0x09, 0x0a)));
    expect(e.status).toMatchObject({ code: 400, message: 'field 1 at offset 0 declares 9 bytes but only 1 remain' });
  });

  it('knows the kinds kubectl create sends', () => {
    expect(supportedKinds()).toEqual(expect.arrayContaining(['v1/ConfigMap', 'v1/Secret', 'v1/Namespace', 'v1/ServiceAccount',
      'v1/Service', 'v1/Pod', 'apps/v1/Deployment', 'batch/v1/Job', 'batch/v1/CronJob', 'autoscaling/v1/Scale']));
  });
});

describe('decodeProtobufBody on arbitrary input', () => {
  const outcome = (body: Uint8Array): 'ok' | 400 | 415 => {
    try {
      decodeProtobufBody(body);
      return 'ok';
    } catch (err) {
      if (err instanceof ApiError && (err.code === 400 || err.code === 415)) return err.code as 400 | 415;
      throw err;
    }
  };
  const magic = Uint8Array.of(0x6b, 0x38, 0x73, 0x00);
  const fixtures = readdirSync(path.join(import.meta.dirname, 'testdata')).filter((f) => f.endsWith('.pb'))
    .map((f) => Uint8Array.from(readFileSync(path.join(import.meta.dirname, 'testdata', f))));

  it('random bytes, with or without the magic, give an object, a 400 or a 415', () => {
    fc.assert(fc.property(fc.boolean(), fc.uint8Array({ maxLength: 200 }), (withMagic, bytes) => {
      expect(['ok', 400, 415]).toContain(outcome(withMagic ? msg(magic, bytes) : bytes));
    }), { numRuns: 2000 });
  });

  it('real kubectl bodies with flipped bytes or truncated give an object, a 400 or a 415', () => {
    fc.assert(fc.property(fc.constantFrom(...fixtures), fc.nat(), fc.integer({ min: 0, max: 255 }), fc.boolean(), (pb, at, value, truncate) => {
      const i = 4 + (at % (pb.length - 4));
      const body = truncate ? pb.subarray(0, i) : Uint8Array.from(pb, (b, j) => (j === i ? value : b));
      expect(['ok', 400, 415]).toContain(outcome(body));
    }), { numRuns: 3000 });
  });
});
