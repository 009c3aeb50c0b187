import { describe, expect, it } from 'vitest';
import { knownSecrets, maskSecretValues, presentable } from './mask.js';

describe('presentable', () => {
  it('masks Secret data, stringData and the last-applied annotation, and keeps the key names', () => {
    const secret = {
      apiVersion: 'v1', kind: 'Secret',
      metadata: { name: 'k', annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{"data":{"apiKey":"c2stYW50"}}', other: 'x' }, managedFields: [{}] },
      data: { apiKey: Buffer.from('sk-ant-secret').toString('base64') },
      stringData: { token: 'abc' },
    };
    const shown = presentable(secret);
    expect(JSON.stringify(shown)).not.toContain('c2stYW50');
    expect(JSON.stringify(shown)).not.toContain(secret.data.apiKey);
    expect(shown.data).toEqual({ apiKey: '<masked: 13 bytes>' });
    expect(shown.stringData).toEqual({ token: '<masked: 3 bytes>' });
    expect(shown.metadata.annotations.other).toBe('x');
    expect(shown.metadata.managedFields).toBeUndefined();
    // The input is not changed.
    expect(secret.data.apiKey).toBe(Buffer.from('sk-ant-secret').toString('base64'));
  });

  it('leaves other kinds\' data alone', () => {
    const cm = { kind: 'ConfigMap', metadata: { name: 'c' }, data: { a: 'b' } };
    expect(presentable(cm).data).toEqual({ a: 'b' });
  });
});

describe('maskSecretValues', () => {
  const secrets = knownSecrets([{ metadata: { namespace: 'ai', name: 'keys' }, data: { apiKey: Buffer.from('sk-ant-12345').toString('base64'), flag: Buffer.from('true').toString('base64') } }]);

  it('replaces a Secret value, decoded or base64, anywhere in strings of the answer', () => {
    const b64 = Buffer.from('sk-ant-12345').toString('base64');
    const out = maskSecretValues({ events: [{ message: 'auth failed with key sk-ant-12345 (twice: sk-ant-12345)' }], text: `env ${b64}`, n: 3 }, secrets);
    expect(out).toEqual({ events: [{ message: 'auth failed with key <masked: secret ai/keys/apiKey> (twice: <masked: secret ai/keys/apiKey>)' }], text: 'env <masked: secret ai/keys/apiKey>', n: 3 });
  });

  it('does not search for short values such as true', () => {
    expect(maskSecretValues({ m: 'ready is true' }, secrets)).toEqual({ m: 'ready is true' });
  });
});
