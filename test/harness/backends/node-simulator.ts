// The node simulator as the integration harness and the benchmarks start it against a backend:
// it always stands in for the kubelet; for kube-scheduler and the controller manager only where the
// cluster runs neither.
import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { NodeSimulator, RuntimeImage } from '../../../hack/nodesim/index.js';
import { isNotFound, KubeClient } from '../../../operators/runtime/kube.js';
import { LEASES } from '../../../operators/runtime/leader.js';
import type { BackendName } from './types.js';

export interface SimulatorRoles {
  /** The simulator schedules pods (no kube-scheduler runs). */
  scheduler: boolean;
  /** The simulator runs the Deployment, Job, PVC and endpoints controllers (no kube-controller-manager runs). */
  controllers: boolean;
}

/**
 * Whether a component runs, by its leader-election Lease in kube-system (kube-scheduler and
 * kube-controller-manager hold one by default: `--leader-elect=true`). A Lease we may not read
 * counts as running, the safe side on a cluster we do not own.
 */
async function holdsLease(client: KubeClient, name: string): Promise<boolean> {
  try {
    await client.get(LEASES, 'kube-system', name);
    return true;
  } catch (err) {
    if (isNotFound(err)) return false;
    return true;
  }
}

/**
 * embedded and envtest: only an API server runs, so the simulator takes both roles; k3s: a full
 * cluster. An existing cluster (kubeconfig) may be either (kind, k3s, or a bare kube-apiserver):
 * its kube-system Leases tell.
 */
export async function simulatorRoles(backend: BackendName, kc: KubeConfig): Promise<SimulatorRoles> {
  if (backend === 'embedded' || backend === 'envtest') return { scheduler: true, controllers: true };
  if (backend === 'k3s') return { scheduler: false, controllers: false };
  const client = new KubeClient(kc);
  try {
    const [scheduler, controllers] = await Promise.all([holdsLease(client, 'kube-scheduler'), holdsLease(client, 'kube-controller-manager')]);
    return { scheduler: !scheduler, controllers: !controllers };
  } finally {
    client.close();
  }
}

/** Starts the simulator with the homelab's nodes and the roles the backend leaves to it. */
export async function startSimulatorFor(kubeConfig: KubeConfig, backend: BackendName, logger: Logger, extra: { runtimeImages?: RuntimeImage[] } = {}): Promise<{ sim: NodeSimulator; roles: SimulatorRoles }> {
  const { startNodeSimulator, HOMELAB_NODES } = await import('../../../hack/nodesim/index.js');
  const roles = await simulatorRoles(backend, kubeConfig);
  const sim = await startNodeSimulator({ kubeConfig, nodes: HOMELAB_NODES, logger, ...roles, ...extra });
  return { sim, roles };
}
