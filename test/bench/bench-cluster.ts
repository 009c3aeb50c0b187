// The control plane a benchmark runs against, chosen as the integration harness chooses it: the
// embedded API server in this process by default, or an existing cluster named by BENCH_KUBECONFIG
// (the harness's AGENTLAB_TEST_KUBECONFIG). The node simulator starts as the harness starts it
// (test/harness/backends/node-simulator.ts): the kubelet of the homelab's three nodes always, the
// scheduler and controllers only where the cluster runs none. On an existing cluster the
// benchmark's namespaces and cluster-scoped objects are deleted at the end.
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { installCrds, readCrdManifests } from '../harness/crds.js';
import { startEmbeddedBackend } from '../harness/backends/embedded.js';
import { startSimulatorFor, type SimulatorRoles } from '../harness/backends/node-simulator.js';
import type { Backend } from '../harness/backends/types.js';
import type { NodeSimulator, RuntimeImage } from '../../hack/nodesim/index.js';
import { isNotFound, KubeClient, type ResourceRef } from '../../operators/runtime/kube.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const NAMESPACES: ResourceRef = { group: '', version: 'v1', plural: 'namespaces', kind: 'Namespace', namespaced: false };
const SERVICE_ACCOUNTS: ResourceRef = { group: '', version: 'v1', plural: 'serviceaccounts', kind: 'ServiceAccount', namespaced: true };

export interface BenchCluster {
  backend: Backend;
  kc: KubeConfig;
  kubeconfigPath: string;
  /** Set once startSimulator ran. */
  simulator?: { sim: NodeSimulator; roles: SimulatorRoles };
  /** Creates a namespace (deleted at stop() on an existing cluster) and waits for its `default` ServiceAccount. */
  newNamespace(name: string, labels?: Record<string, string>): Promise<string>;
  /** Deletes a cluster-scoped object at stop() on an existing cluster. */
  deleteAtStop(resource: ResourceRef, name: string): void;
  /** Starts the node simulator (once) with the roles the backend leaves to it. */
  startSimulator(extra?: { runtimeImages?: RuntimeImage[] }): Promise<NodeSimulator>;
  /** One line saying where the benchmark ran: backend, server, node simulator roles. */
  describe(): string;
  stop(): Promise<void>;
}

/** BENCH_KUBECONFIG, resolved (`~` expanded); undefined for the embedded server. */
export function benchKubeconfig(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const setting = env.BENCH_KUBECONFIG?.trim();
  if (!setting) return undefined;
  const file = path.resolve(setting.replace(/^~(?=$|\/)/, os.homedir()));
  if (!existsSync(file)) throw new Error(`BENCH_KUBECONFIG=${setting}: no such file (${file}); point it at a kubeconfig or unset it to use the embedded API server`);
  return file;
}

/**
 * The embedded API server on a random port (its kubeconfig in `dir`), or BENCH_KUBECONFIG's
 * cluster, with the project's CRDs installed.
 */
export async function benchCluster(dir: string, log: Logger): Promise<BenchCluster> {
  const existing = benchKubeconfig();
  const backend: Backend = existing
    ? { name: 'kubeconfig', detail: existing, kubeconfigPath: existing, disposable: false, tokenUsers: [], stop: async () => {} }
    : await startEmbeddedBackend(dir, log);
  const kc = new KubeConfig();
  kc.loadFromFile(backend.kubeconfigPath);
  if (existing) backend.detail = `${kc.getCurrentCluster()?.server ?? '?'} from ${existing}`;
  await installCrds(kc, await readCrdManifests(path.join(repo, 'crds')));
  const client = new KubeClient(kc);
  const cleanups: { resource: ResourceRef; name: string }[] = [];
  const cluster: BenchCluster = {
    backend, kc, kubeconfigPath: backend.kubeconfigPath,
    async newNamespace(name, labels) {
      await client.create(NAMESPACES, { apiVersion: 'v1', kind: 'Namespace', metadata: { name, ...(labels ? { labels } : {}) } });
      cleanups.push({ resource: NAMESPACES, name });
      // Pods are refused until the service account controller has made `default` (the embedded server makes it at once).
      const deadline = Date.now() + 60_000;
      for (;;) {
        try {
          await client.get(SERVICE_ACCOUNTS, name, 'default');
          return name;
        } catch (err) {
          if (!isNotFound(err) || Date.now() > deadline) throw new Error(`namespace ${name}: no ServiceAccount default after 60 s (${(err as Error).message})`);
        }
        await new Promise((r) => setTimeout(r, 250));
      }
    },
    deleteAtStop(resource, name) {
      cleanups.push({ resource, name });
    },
    async startSimulator(extra = {}) {
      cluster.simulator ??= await startSimulatorFor(kc, backend.name, log, extra);
      return cluster.simulator.sim;
    },
    describe() {
      const roles = cluster.simulator?.roles;
      const sim = !roles ? 'not started' : `kubelet${roles.scheduler ? ' + scheduler' : ''}${roles.controllers ? ' + controllers' : ''} of 3 nodes${roles.scheduler ? '' : ' (the cluster schedules)'}`;
      return `backend: ${backend.name} (${backend.detail}); node simulator: ${sim}`;
    },
    async stop() {
      await cluster.simulator?.sim.stop();
      if (!backend.disposable) {
        // Not awaited to the end: namespace teardown is the cluster's business. A failed delete is
        // said, not thrown: the figures are printed already.
        for (const c of cleanups.reverse()) {
          await client.delete(c.resource, undefined, c.name).catch((err: unknown) => {
            if (!isNotFound(err)) console.error(`deleting ${c.resource.kind} ${c.name} failed: ${(err as Error).message}; delete it by hand`);
          });
        }
      }
      client.close();
      await backend.stop();
    },
  };
  return cluster;
}
