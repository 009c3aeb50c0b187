import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Backend } from './types.js';

/** A cluster the developer already has (kind, k3d, k3s...), named by AGENTLAB_TEST_KUBECONFIG. */
export function useExistingCluster(kubeconfigSetting: string): Backend {
  const kubeconfigPath = path.resolve(kubeconfigSetting.replace(/^~(?=$|\/)/, os.homedir()));
  if (!existsSync(kubeconfigPath)) {
    throw new Error(`AGENTLAB_TEST_KUBECONFIG=${kubeconfigSetting}: no such file (${kubeconfigPath})`);
  }
  return {
    name: 'kubeconfig',
    detail: kubeconfigPath,
    // The file is used in place: a kubeconfig may reference certificate files by relative path.
    kubeconfigPath,
    disposable: false,
    tokenUsers: [],
    stop: async () => {},
  };
}
