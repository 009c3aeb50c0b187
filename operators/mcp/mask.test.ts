import { describe, expect, it } from 'vitest';
import { presentable } from './mask.js';

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
