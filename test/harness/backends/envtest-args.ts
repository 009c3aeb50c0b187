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
export function etcdArgs(l: EnvtestLayout, etcdVersion?: string): string[] {
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
    ...(supportsNoFsync(etcdVersion) ? ['--unsafe-no-fsync=true'] : []),
  ];
}

/** `--unsafe-no-fsync` exists from etcd 3.5 (what envtest ships); older etcds refuse it. */
function supportsNoFsync(version: string | undefined): boolean {
  const m = /^(\d+)\.(\d+)/.exec(version ?? '');
  if (!m) return true;
  const [major, minor] = [Number(m[1]), Number(m[2])];
  return major > 3 || (major === 3 && minor >= 5);
}

/** The version `etcd --version` prints on its first line ("etcd Version: 3.5.16"). */
export function parseEtcdVersion(output: string): string | undefined {
  return /etcd Version:\s*(\d+\.\d+\.\d+)/.exec(output)?.[1];
}

/**
 * kube-apiserver flags after controller-runtime's envtest defaults (pkg/internal/testing/
 * controlplane/apiserver.go): RBAC, the ServiceAccount admission plugin off (no controller
 * manager creates default service accounts), a self-signed serving certificate generated into
 * --cert-dir, and a static token for a system:masters user instead of client certificates.
 *
 * One addition: TaintNodesByCondition is off too. It taints every new Node
 * node.kubernetes.io/not-ready:NoSchedule, and only kube-controller-manager's node lifecycle
 * controller lifts it once the node is Ready; without it, the node simulator's Ready nodes
 * would refuse every pod. Off, a Ready node looks as it does on a full cluster.
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
    '--disable-admission-plugins=ServiceAccount,TaintNodesByCondition',
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
