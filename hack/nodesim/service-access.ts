// The node simulator's network as a ServiceAccess: a client in any process (the operator, the
// router, a test) reaches a simulated Service the way kube-proxy would route it, by reading the
// Service and its ready Pods from the API server. Needed where the API server's service proxy
// cannot help: kube-apiserver refuses the loopback Endpoints the simulator would publish.
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import type { ServiceAccess } from '../../operators/runtime/service-access.js';
import { resolveServiceUrl, ServiceAccessError } from './network.js';

function statusCode(err: unknown): number | undefined {
  const e = err as { code?: unknown; statusCode?: unknown };
  return typeof e?.code === 'number' ? e.code : typeof e?.statusCode === 'number' ? e.statusCode : undefined;
}

/** Reaches Services whose pods the node simulator runs, through their published local endpoints. */
export function simulatedServiceAccess(kubeConfig: KubeConfig): ServiceAccess {
  const core = kubeConfig.makeApiClient(CoreV1Api);
  return {
    async base(namespace, service, port) {
      let svc;
      try {
        svc = await core.readNamespacedService({ name: service, namespace });
      } catch (err) {
        if (statusCode(err) === 404) throw new ServiceAccessError(`service ${namespace}/${service} not found`);
        throw err;
      }
      const selector = Object.entries(svc.spec?.selector ?? {}).map(([k, v]) => `${k}=${v}`).join(',');
      const pods = selector ? (await core.listNamespacedPod({ namespace, labelSelector: selector })).items : [];
      return { url: resolveServiceUrl(svc, pods, port.name), fetch: globalThis.fetch };
    },
  };
}
