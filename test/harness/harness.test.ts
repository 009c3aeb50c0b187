import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { parseColumns } from '../e2e/table.js';
import { apiServerArgs, etcdArgs, parseEtcdVersion, tokenFileLine } from './backends/envtest-args.js';
import { startEnvtestBackend } from './backends/envtest.js';
import { tokenKubeconfig } from './backends/kubeconfig-yaml.js';
import { waitFor } from './wait.js';
import { clusterServiceAccess } from './cluster.js';

// Self-tests of the harness's pure parts (they need no particular backend).
const layout = { dir: '/tmp/envtest-x', etcdClientPort: 40001, etcdPeerPort: 40002, apiServerPort: 40003 };

const flag = (args: string[], name: string): string | undefined => args.find((a) => a.startsWith(`--${name}=`))?.split('=').slice(1).join('=');

describe('envtest flags', () => {
  it('keeps etcd on loopback with a throw-away data dir', () => {
    const args = etcdArgs(layout);
    expect(flag(args, 'listen-client-urls')).toBe('http://127.0.0.1:40001');
    expect(flag(args, 'listen-peer-urls')).toBe('http://127.0.0.1:40002');
    expect(flag(args, 'data-dir')).toBe(path.join('/tmp/envtest-x', 'etcd'));
  });

  it('passes --unsafe-no-fsync only to etcd 3.5 and later', () => {
    expect(flag(etcdArgs(layout, '3.5.16'), 'unsafe-no-fsync')).toBe('true');
    expect(flag(etcdArgs(layout, '3.4.23'), 'unsafe-no-fsync')).toBeUndefined();
    expect(parseEtcdVersion('etcd Version: 3.4.23\nGit SHA: Not provided\n')).toBe('3.4.23');
  });

  it('gives kube-apiserver what envtest gives it', () => {
    const args = apiServerArgs(layout);
    expect(flag(args, 'etcd-servers')).toBe('http://127.0.0.1:40001');
    expect(flag(args, 'secure-port')).toBe('40003');
    expect(flag(args, 'bind-address')).toBe('127.0.0.1');
    expect(flag(args, 'authorization-mode')).toBe('RBAC');
    expect(flag(args, 'disable-admission-plugins')).toBe('ServiceAccount,TaintNodesByCondition');
    expect(flag(args, 'service-account-issuer')).toBe('https://127.0.0.1:40003/');
    for (const f of ['cert-dir', 'token-auth-file', 'service-account-key-file', 'service-account-signing-key-file', 'service-cluster-ip-range', 'allow-privileged']) {
      expect(flag(args, f), f).toBeTruthy();
    }
  });

  it('writes a token file line for a system:masters user', () => {
    expect(tokenFileLine('abc')).toBe('abc,agentlab-test,agentlab-test,"system:masters"\n');
  });

  it('fails with the missing binary named when KUBEBUILDER_ASSETS is incomplete', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'agentlab-assets-'));
    try {
      await expect(startEnvtestBackend(dir, dir)).rejects.toThrow(`KUBEBUILDER_ASSETS=${dir}: missing etcd`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('tokenKubeconfig', () => {
  it('loads in client-node with the token and TLS verification off', async () => {
    const kc = new KubeConfig();
    kc.loadFromString(tokenKubeconfig({ name: 'x', server: 'https://127.0.0.1:6443', token: 'secret-token' }));
    expect(kc.getCurrentCluster()).toMatchObject({ server: 'https://127.0.0.1:6443', skipTLSVerify: true });
    const opts: { headers?: Record<string, string> } = {};
    await kc.applyToHTTPSOptions(opts);
    expect(opts.headers?.Authorization).toBe('Bearer secret-token');
  });
});

describe('waitFor', () => {
  it('returns the first truthy value', async () => {
    let n = 0;
    expect(await waitFor(() => (++n >= 3 ? n : undefined), { intervalMs: 1 })).toBe(3);
  });

  it('names what it waited for and the last error on timeout', async () => {
    const probe = (): never => {
      throw new Error('still 404');
    };
    await expect(waitFor(probe, { what: 'the widget', timeoutMs: 30, intervalMs: 5 })).rejects.toThrow(
      'timed out after 30 ms waiting for the widget; last error: still 404',
    );
  });
});

describe('parseColumns', () => {
  it('keeps empty cells empty', () => {
    const out = 'NAME    SIZE   READY   AGE\nalpha   3              5s\nbeta    5      True    6s\n';
    expect(parseColumns(out)).toEqual([
      { NAME: 'alpha', SIZE: '3', READY: '', AGE: '5s' },
      { NAME: 'beta', SIZE: '5', READY: 'True', AGE: '6s' },
    ]);
  });
});

describe('clusterServiceAccess', () => {
  const kc = new KubeConfig();
  kc.loadFromOptions({ clusters: [{ name: 'c', server: 'https://127.0.0.1:6443' }], users: [{ name: 'u' }], contexts: [{ name: 'x', cluster: 'c', user: 'u' }], currentContext: 'x' });

  it("keeps the API server's service proxy on the embedded server and uses the simulator's network where loopback Endpoints are refused", () => {
    expect(clusterServiceAccess('embedded', true, kc, {})).toBeUndefined();
    expect(clusterServiceAccess('envtest', true, kc, {})).toBeDefined();
    expect(clusterServiceAccess('kubeconfig', true, kc, {})).toBeDefined();
    expect(clusterServiceAccess('kubeconfig', false, kc, {})).toBeUndefined();
    expect(clusterServiceAccess('embedded', true, kc, { AGENTLAB_TEST_SERVICE_ACCESS: 'simulated' })).toBeDefined();
    expect(clusterServiceAccess('envtest', true, kc, { AGENTLAB_TEST_SERVICE_ACCESS: 'default' })).toBeUndefined();
    expect(() => clusterServiceAccess('envtest', true, kc, { AGENTLAB_TEST_SERVICE_ACCESS: 'proxy' })).toThrow('AGENTLAB_TEST_SERVICE_ACCESS="proxy": expected "simulated" or "default"');
  });
});
