import { describe, expect, it } from 'vitest';
import type { V1Pod } from '@kubernetes/client-node';
import { ContainerConfigError, resolveEnv } from './env.js';
import { expandVars } from './podstatus.js';

const pod: V1Pod = { metadata: { name: 'p', namespace: 'ns', uid: 'u', labels: { app: 'a' } }, spec: { nodeName: 'n1', containers: [] } };
const lookups = {
  secret: async (_ns: string, name: string) => (name === 'creds' ? { data: { token: Buffer.from('s3cret').toString('base64') } } : undefined),
  configMap: async (_ns: string, name: string) => (name === 'cfg' ? { data: { MODE: 'fast', url: 'http://x' } } : undefined),
};
const ips = { podIP: '127.0.0.1', hostIP: '127.0.0.1' };

describe('resolveEnv', () => {
  it('applies envFrom, then env in order with references, secrets, config maps and the downward API', async () => {
    const env = await resolveEnv(pod, {
      name: 'c',
      envFrom: [{ configMapRef: { name: 'cfg' }, prefix: 'CFG_' }],
      env: [
        { name: 'TOKEN', valueFrom: { secretKeyRef: { name: 'creds', key: 'token' } } },
        { name: 'URL', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'url' } } },
        { name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
        { name: 'APP', valueFrom: { fieldRef: { fieldPath: "metadata.labels['app']" } } },
        { name: 'IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
        { name: 'BOTH', value: '$(POD)@$(IP) $$(POD) $(NOPE)' },
        { name: 'OPT', valueFrom: { secretKeyRef: { name: 'none', key: 'k', optional: true } } },
      ],
    }, lookups, ips);
    expect(env).toEqual({ CFG_MODE: 'fast', CFG_url: 'http://x', TOKEN: 's3cret', URL: 'http://x', POD: 'p', APP: 'a', IP: '127.0.0.1', BOTH: 'p@127.0.0.1 $(POD) $(NOPE)' });
  });

  it('fails like the kubelet on missing objects and keys', async () => {
    await expect(resolveEnv(pod, { name: 'c', env: [{ name: 'X', valueFrom: { secretKeyRef: { name: 'gone', key: 'k' } } }] }, lookups, ips)).rejects.toThrow('secret "gone" not found');
    await expect(resolveEnv(pod, { name: 'c', env: [{ name: 'X', valueFrom: { secretKeyRef: { name: 'creds', key: 'k' } } }] }, lookups, ips)).rejects.toThrow("couldn't find key k in Secret ns/creds");
    await expect(resolveEnv(pod, { name: 'c', envFrom: [{ configMapRef: { name: 'gone' } }] }, lookups, ips)).rejects.toBeInstanceOf(ContainerConfigError);
  });

  it('expands $(VAR) like Kubernetes', () => {
    expect(expandVars('a$(X)b$$(X)$(Y)', { X: '1' })).toBe('a1b$(X)$(Y)');
  });
});
