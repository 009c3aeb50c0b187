import { KubeConfig } from '@kubernetes/client-node';

/**
 * For unit tests that stand up their own HTTP server as an API server: a kubeconfig that points at
 * it with a bearer token (plain HTTP needs skipTLSVerify with client-node). Not used at run time.
 */
export function kubeConfigFor(server: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server, skipTLSVerify: true }],
    users: [{ name: 'u', token: 't' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  return kc;
}
