import { existsSync } from 'node:fs';
// KubeConfig's own module rather than the package index (which loads every generated API); see slim-imports.ts.
import { KubeConfig } from '@kubernetes/client-node/dist/config.js';

/**
 * The client configuration, as kubectl finds it: --kubeconfig, else $KUBECONFIG, else
 * ~/.kube/config, else the in-cluster service account when running inside a pod.
 */
export function loadKubeConfig(path?: string): KubeConfig {
  const kc = new KubeConfig();
  if (path) {
    if (!existsSync(path)) throw new Error(`--kubeconfig: ${path} does not exist`);
    kc.loadFromFile(path);
  } else {
    kc.loadFromDefault();
  }
  if (!kc.getCurrentCluster()) {
    throw new Error('no Kubernetes cluster configured: pass --kubeconfig, set KUBECONFIG, or run inside a pod');
  }
  return kc;
}
