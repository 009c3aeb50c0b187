import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { KubeConfig } from '@kubernetes/client-node';
import { pino, type Logger } from 'pino';
import type { TestProject } from 'vitest/node';
import type { Backend, BackendName } from './backends/types.js';
import type { TestUser } from './backends/test-users.js';
import { deleteCrds, installCrds, readCrdManifests } from './crds.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** kubeconfig file for the backend (the developer's own file for the `kubeconfig` backend). */
    kubeconfigPath: string;
    backend: BackendName;
    /** Whether the node simulator runs (it schedules and "runs" pods; nothing else does on envtest). */
    nodeSimulator: boolean;
    /** Users with their own tokens in the server's token file (none on a developer's cluster or k3s). */
    tokenUsers: TestUser[];
  }
}

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
/** Test-only CRDs (group conformance.agentlab.dev) used by the conformance and e2e suites. */
export const TEST_CRDS_DIR = path.join(repoRoot, 'test', 'conformance', 'testdata', 'crds');

function harnessLogger(): Logger {
  return pino({ name: 'test-harness', level: process.env.AGENTLAB_TEST_LOG_LEVEL ?? 'warn' }, pino.destination(2));
}

async function pickBackend(workDir: string, logger: Logger): Promise<Backend> {
  const existing = process.env.AGENTLAB_TEST_KUBECONFIG;
  if (existing) {
    const { useExistingCluster } = await import('./backends/existing.js');
    return useExistingCluster(existing);
  }
  const assets = process.env.KUBEBUILDER_ASSETS;
  if (assets) {
    const { startEnvtestBackend } = await import('./backends/envtest.js');
    return startEnvtestBackend(path.resolve(assets), workDir);
  }
  if (process.env.AGENTLAB_TEST_BACKEND === 'k3s') {
    const { startK3sBackend } = await import('./backends/k3s.js');
    const k3s = await startK3sBackend(workDir, process.env.AGENTLAB_TEST_K3S_IMAGE);
    if ('unavailable' in k3s) {
      console.warn(`[test-harness] NOTICE: AGENTLAB_TEST_BACKEND=k3s but no container engine is reachable (${k3s.unavailable}); the k3s backend is skipped and the embedded server is used instead.`);
    } else {
      return k3s;
    }
  } else if (process.env.AGENTLAB_TEST_BACKEND && process.env.AGENTLAB_TEST_BACKEND !== 'embedded') {
    throw new Error(`AGENTLAB_TEST_BACKEND=${process.env.AGENTLAB_TEST_BACKEND}: expected "embedded" or "k3s" (use KUBEBUILDER_ASSETS or AGENTLAB_TEST_KUBECONFIG for the others)`);
  }
  const { startEmbeddedBackend } = await import('./backends/embedded.js');
  return startEmbeddedBackend(workDir, logger);
}

/** The simulator stands in for scheduler and kubelet; a cluster with real nodes has its own. */
function wantNodeSimulator(backend: BackendName): boolean {
  const setting = process.env.AGENTLAB_TEST_NODESIM;
  if (setting === '1' || setting === 'true') return true;
  if (setting === '0' || setting === 'false') return false;
  return backend === 'embedded' || backend === 'envtest';
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const logger = harnessLogger();
  const workDir = await mkdtemp(path.join(os.tmpdir(), 'agentlab-test-'));
  const cleanups: Array<() => Promise<void>> = [];
  const teardown = async (): Promise<void> => {
    for (const cleanup of cleanups.reverse()) {
      await cleanup().catch((err: unknown) => logger.error({ err }, 'test harness teardown step failed'));
    }
    if (!process.env.AGENTLAB_TEST_KEEP_TMP) await rm(workDir, { recursive: true, force: true });
  };
  try {
    const backend = await pickBackend(workDir, logger);
    cleanups.push(() => backend.stop());

    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromFile(backend.kubeconfigPath);

    await installCrds(kubeConfig, await readCrdManifests(path.join(repoRoot, 'crds')));
    const testCrds = await readCrdManifests(TEST_CRDS_DIR);
    await installCrds(kubeConfig, testCrds);
    // On a developer's cluster, take our test-only API away again; disposable ones vanish whole.
    if (!backend.disposable) cleanups.push(() => deleteCrds(kubeConfig, testCrds));

    const nodeSimulator = wantNodeSimulator(backend.name);
    if (nodeSimulator) {
      // On a full cluster the real kube-scheduler and controller manager already do those jobs.
      const { startSimulatorFor } = await import('./backends/node-simulator.js');
      const { sim } = await startSimulatorFor(kubeConfig, backend.name, logger.child({ component: 'nodesim' }));
      cleanups.push(() => sim.stop());
    }

    project.provide('kubeconfigPath', backend.kubeconfigPath);
    project.provide('backend', backend.name);
    project.provide('nodeSimulator', nodeSimulator);
    project.provide('tokenUsers', backend.tokenUsers);
    console.log(`[test-harness] backend: ${backend.name} (${backend.detail}); node simulator: ${nodeSimulator ? 'on' : 'off'}; kubeconfig: ${backend.kubeconfigPath}`);
    return teardown;
  } catch (err) {
    await teardown();
    throw err;
  }
}
