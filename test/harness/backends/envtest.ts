import { spawnSync } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import { apiServerArgs, envtestFiles, etcdArgs, parseEtcdVersion, tokenFileLine, type EnvtestLayout } from './envtest-args.js';
import { tokenKubeconfig } from './kubeconfig-yaml.js';
import { freePort, startProcess, waitUntilReady, type ManagedProcess } from './processes.js';
import { makeTestUsers, tokenFileLines } from './test-users.js';
import type { Backend } from './types.js';

/**
 * A real etcd + kube-apiserver from the folder named by KUBEBUILDER_ASSETS (the layout
 * `setup-envtest use` produces), started on loopback ports the way controller-runtime's
 * envtest does. Nothing else of a cluster runs: no controller manager, no scheduler.
 */
export async function startEnvtestBackend(assetsDir: string, workDir: string): Promise<Backend> {
  const etcdBin = path.join(assetsDir, 'etcd');
  const apiServerBin = path.join(assetsDir, 'kube-apiserver');
  for (const bin of [etcdBin, apiServerBin]) {
    if (!existsSync(bin)) throw new Error(`KUBEBUILDER_ASSETS=${assetsDir}: missing ${path.basename(bin)} (expected ${bin})`);
  }
  const layout: EnvtestLayout = {
    dir: workDir,
    etcdClientPort: await freePort(),
    etcdPeerPort: await freePort(),
    apiServerPort: await freePort(),
  };
  const files = envtestFiles(workDir);
  await mkdir(files.certDir, { recursive: true });
  const token = randomBytes(24).toString('hex');
  const { publicKey, privateKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  await writeFile(files.saPublicKey, publicKey);
  await writeFile(files.saPrivateKey, privateKey, { mode: 0o600 });
  const tokenUsers = makeTestUsers();
  await writeFile(files.tokenFile, tokenFileLine(token) + tokenFileLines(tokenUsers), { mode: 0o600 });

  const started: ManagedProcess[] = [];
  const stopAll = async (): Promise<void> => {
    // kube-apiserver first: it holds watches on etcd.
    for (const p of started.reverse()) await p.stop();
  };
  try {
    const etcdVersion = parseEtcdVersion(spawnSync(etcdBin, ['--version'], { encoding: 'utf8' }).stdout ?? '');
    const etcd = startProcess('etcd', etcdBin, etcdArgs(layout, etcdVersion), path.join(workDir, 'etcd.log'));
    started.push(etcd);
    await waitUntilReady(etcd, 'etcd /health', () => etcdHealthy(layout.etcdClientPort), 30_000);

    const apiServer = startProcess('kube-apiserver', apiServerBin, apiServerArgs(layout), path.join(workDir, 'kube-apiserver.log'));
    started.push(apiServer);
    const server = `https://127.0.0.1:${layout.apiServerPort}`;
    await waitUntilReady(apiServer, 'kube-apiserver /readyz', () => apiServerGet(server, token, '/readyz'), 90_000);
    // /readyz does not wait for the system namespaces controller: `default` and kube-node-lease
    // (where the node simulator renews Leases) appear a moment later.
    await waitUntilReady(apiServer, `namespaces ${SYSTEM_NAMESPACES.join(', ')}`, async () => {
      const found = await Promise.all(SYSTEM_NAMESPACES.map((ns) => apiServerGet(server, token, `/api/v1/namespaces/${ns}`)));
      return found.every(Boolean);
    }, 30_000);

    const kubeconfigPath = path.join(workDir, 'kubeconfig.yaml');
    await writeFile(kubeconfigPath, tokenKubeconfig({ name: 'envtest', server, token }), { mode: 0o600 });
    return { name: 'envtest', detail: `${server} (binaries from ${assetsDir})`, kubeconfigPath, disposable: true, tokenUsers, stop: stopAll };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

function etcdHealthy(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    http
      .get({ host: '127.0.0.1', port, path: '/health', timeout: 2000 }, (res) => {
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve(res.statusCode === 200 && /"health":\s*"true"/.test(body)));
      })
      // The timeout option only reports a stalled socket; destroying it ends the probe as "not yet".
      .on('timeout', function (this: http.ClientRequest) {
        this.destroy();
      })
      .on('error', () => resolve(false));
  });
}

/** What kube-apiserver's system namespaces controller creates on every cluster. */
const SYSTEM_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

/** Whether a GET of `urlPath` answers 200 (the serving certificate is self-signed). */
function apiServerGet(server: string, token: string, urlPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    https
      .get(`${server}${urlPath}`, { headers: { Authorization: `Bearer ${token}` }, rejectUnauthorized: false, timeout: 2000 }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode === 200));
      })
      // The timeout option only reports a stalled socket; destroying it ends the probe as "not yet".
      .on('timeout', function (this: http.ClientRequest) {
        this.destroy();
      })
      .on('error', () => resolve(false));
  });
}
