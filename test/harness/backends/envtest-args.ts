import path from 'node:path';

/** Where everything for one envtest control plane lives. */
export interface EnvtestLayout {
  dir: string;
  etcdClientPort: number;
  etcdPeerPort: number;
  apiServerPort: number;
}

export const envtestFiles = (dir: string) => ({
  etcdData: path.join(dir, 'etcd'),
  certDir: path.join(dir, 'certs'),
  tokenFile: path.join(dir, 'tokens.csv'),
  saPublicKey: path.join(dir, 'sa.pub'),
  saPrivateKey: path.join(dir, 'sa.key'),
});

/** etcd flags as controller-runtime's envtest passes them: loopback only, throw-away data. */
export function etcdArgs(l: EnvtestLayout): string[] {
  const client = `http://127.0.0.1:${l.etcdClientPort}`;
  const peer = `http://127.0.0.1:${l.etcdPeerPort}`;
  return [
    `--data-dir=${envtestFiles(l.dir).etcdData}`,
    `--listen-client-urls=${client}`,
    `--advertise-client-urls=${client}`,
    `--listen-peer-urls=${peer}`,
    `--initial-advertise-peer-urls=${peer}`,
    `--initial-cluster=default=${peer}`,
    '--name=default',
    // Test data need not survive a power cut; fsync dominates etcd's latency on small disks.
    '--unsafe-no-fsync=true',
  ];
}

/**
 * kube-apiserver flags after controller-runtime's envtest defaults (pkg/internal/testing/
 * controlplane/apiserver.go): RBAC, the ServiceAccount admission plugin off (no controller
 * manager creates default service accounts), a self-signed serving certificate generated into
 * --cert-dir, and a static token for a system:masters user instead of client certificates.
 */
export function apiServerArgs(l: EnvtestLayout): string[] {
  const f = envtestFiles(l.dir);
  return [
    `--etcd-servers=http://127.0.0.1:${l.etcdClientPort}`,
    `--cert-dir=${f.certDir}`,
    `--secure-port=${l.apiServerPort}`,
    '--bind-address=127.0.0.1',
    '--advertise-address=127.0.0.1',
    '--service-cluster-ip-range=10.0.0.0/24',
    '--allow-privileged=true',
    '--disable-admission-plugins=ServiceAccount',
    '--authorization-mode=RBAC',
    `--token-auth-file=${f.tokenFile}`,
    `--service-account-issuer=https://127.0.0.1:${l.apiServerPort}/`,
    `--service-account-key-file=${f.saPublicKey}`,
    `--service-account-signing-key-file=${f.saPrivateKey}`,
  ];
}

/** kube-apiserver's static token file: token,user,uid,"group1,group2". */
export function tokenFileLine(token: string): string {
  return `${token},agentlab-test,agentlab-test,"system:masters"\n`;
}
