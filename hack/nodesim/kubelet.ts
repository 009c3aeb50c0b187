// The kubelet's serving certificate. kube-apiserver reads pods/log from a node's kubelet over
// HTTPS (node InternalIP, port status.daemonEndpoints.kubeletEndpoint.Port); envtest-style API
// servers do not verify the kubelet's certificate, so a self-signed one made at start-up is enough.
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Creates a self-signed certificate for `ip` with the openssl CLI; undefined when openssl is unavailable. */
export async function kubeletCertificate(dir: string, ip: string): Promise<{ key: string; cert: string } | undefined> {
  const keyPath = path.join(dir, 'kubelet.key');
  const certPath = path.join(dir, 'kubelet.crt');
  const san = ip.includes(':') || /^\d+\.\d+\.\d+\.\d+$/.test(ip) ? `IP:${ip}` : `DNS:${ip}`;
  try {
    await run('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-keyout', keyPath, '-out', certPath, '-days', '30', '-subj', '/CN=nodesim-kubelet', '-addext', `subjectAltName=${san}`,
    ], { timeout: 10_000 });
    return { key: await readFile(keyPath, 'utf8'), cert: await readFile(certPath, 'utf8') };
  } catch {
    return undefined;
  }
}
