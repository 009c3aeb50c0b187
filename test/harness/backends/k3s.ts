import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Backend } from './types.js';

/** Pinned to the Kubernetes minor the suite targets; override with AGENTLAB_TEST_K3S_IMAGE. */
export const DEFAULT_K3S_IMAGE = 'rancher/k3s:v1.32.4-k3s1';

/**
 * k3s in a container through @testcontainers/k3s. Returns undefined when no container
 * engine answers, so the caller can fall back with a visible notice instead of failing.
 * testcontainers is imported lazily: it is heavy and only this backend needs it.
 */
export async function startK3sBackend(workDir: string, image = DEFAULT_K3S_IMAGE): Promise<Backend | { unavailable: string }> {
  const { getContainerRuntimeClient } = await import('testcontainers');
  try {
    await getContainerRuntimeClient();
  } catch (err) {
    return { unavailable: err instanceof Error ? err.message : String(err) };
  }
  const { K3sContainer } = await import('@testcontainers/k3s');
  const container = await new K3sContainer(image).start();
  const kubeconfigPath = path.join(workDir, 'kubeconfig.yaml');
  await writeFile(kubeconfigPath, container.getKubeConfig(), { mode: 0o600 });
  return {
    name: 'k3s',
    detail: image,
    kubeconfigPath,
    disposable: true,
    tokenUsers: [],
    stop: async () => {
      await container.stop();
    },
  };
}
