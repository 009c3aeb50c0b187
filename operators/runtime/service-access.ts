import type { KubeClient } from './kube.js';

/** Where one port of a Service answers, and the fetch that can reach it there. */
export interface ServiceEndpoint {
  /** Base URL without a trailing slash; request paths are appended to it. */
  url: string;
  fetch: typeof globalThis.fetch;
}

/** One port of a Service: its name (the service proxy addresses it) and number (Service DNS does). */
export interface ServicePortRef {
  name: string;
  port: number;
}

/**
 * How the operator and the router reach a Service that runs in the cluster (a ModelServer's
 * Ollama or vLLM). One seam, so that an environment without cluster networking (the node
 * simulator on a real kube-apiserver) can supply its own route.
 */
export interface ServiceAccess {
  base(namespace: string, service: string, port: ServicePortRef): Promise<ServiceEndpoint>;
}

/** Inside a pod the Service DNS name works; outside, the API server's service proxy does. */
export function inCluster(env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(env.KUBERNETES_SERVICE_HOST);
}

/** The Service's cluster DNS name, as a pod in the cluster reaches it. */
export function serviceDnsUrl(namespace: string, service: string, port: ServicePortRef): string {
  return `http://${service}.${namespace}.svc:${port.port}`;
}

/** `/api/v1/namespaces/<ns>/services/<name>:<port name>/proxy` on the API server. */
export function serviceProxyUrl(server: URL, namespace: string, service: string, port: ServicePortRef): string {
  const base = server.toString().replace(/\/$/, '');
  return `${base}/api/v1/namespaces/${encodeURIComponent(namespace)}/services/${encodeURIComponent(service)}:${encodeURIComponent(port.name)}/proxy`;
}

/**
 * The default: Service DNS in the cluster; outside it, the API server's service proxy with the
 * client's credentials (RBAC `services/proxy` get/create).
 */
export function kubeServiceAccess(client: Pick<KubeClient, 'server' | 'fetch'>, env: NodeJS.ProcessEnv = process.env): ServiceAccess {
  const local = inCluster(env);
  return {
    base: async (namespace, service, port) => local
      ? { url: serviceDnsUrl(namespace, service, port), fetch: globalThis.fetch }
      : { url: serviceProxyUrl(client.server, namespace, service, port), fetch: client.fetch },
  };
}
