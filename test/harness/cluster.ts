import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ApiException, CoreV1Api, KubeConfig, KubernetesObjectApi, type KubernetesObject } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { afterAll, inject } from 'vitest';
import type { BackendName } from './backends/types.js';
import type { TestUser } from './backends/test-users.js';
import type { ServiceAccess } from '../../operators/runtime/service-access.js';
import { simulatedServiceAccess } from '../../hack/nodesim/service-access.js';
import { ManifestApplier } from '../../operators/runtime/manifests.js';
import type { KubeObject } from '../../operators/runtime/kube.js';
import { openWatch, rawRequest, type RawRequest, type RawResponse, type WatchStream } from './http.js';
import { runKubectl, spawnKubectl, type KubectlOptions, type KubectlProcess, type KubectlResult } from './kubectl.js';
import { waitFor, type WaitOptions } from './wait.js';
import { runFileTeardowns } from './file-teardown.js';

export const TEST_FIELD_MANAGER = 'agentlab-test';

export interface Cluster {
  backend: BackendName;
  /** Whether the node simulator schedules and runs pods on this backend. */
  nodeSimulator: boolean;
  /**
   * Whether kube-controller-manager loops (garbage collector, namespace deletion) run.
   * envtest starts only etcd + kube-apiserver, exactly like controller-runtime's envtest.
   */
  controllers: boolean;
  /**
   * How the operator and router started by a test reach simulated Services (pass it as their
   * `serviceAccess`). `undefined` on the embedded backend, so the real path (the API server's
   * service proxy following the simulator's Endpoints) is what gets tested there; the node
   * simulator's network elsewhere, because kube-apiserver refuses the simulator's loopback
   * Endpoints. `AGENTLAB_TEST_SERVICE_ACCESS=simulated` forces the latter on any backend.
   */
  serviceAccess: ServiceAccess | undefined;
  kubeconfigPath: string;
  /** Users with their own bearer tokens (test/harness/backends/test-users.ts); empty where the backend has none. */
  tokenUsers: TestUser[];
  kc: KubeConfig;
  core: CoreV1Api;
  objects: KubernetesObjectApi;
  /** Creates a namespace `<prefix>-<random>`, deleted after this test file. */
  newNamespace(prefix: string): Promise<string>;
  /** Runs the real kubectl against the backend; throws on a non-zero exit unless allowFailure. */
  kubectl(args: string[], opts?: KubectlOptions): Promise<KubectlResult>;
  /** Starts a long-running kubectl (`get -w`); stopped after the file if the test did not. */
  spawnKubectl(args: string[]): KubectlProcess;
  /** Server-side applies every document in `yaml` (field manager `agentlab-test`, forced). */
  applyYaml(yaml: string, opts?: { namespace?: string }): Promise<KubernetesObject[]>;
  request(req: RawRequest): Promise<RawResponse>;
  watch(path: string): Promise<WatchStream>;
  waitFor<T>(probe: () => T | undefined | null | false | Promise<T | undefined | null | false>, opts?: WaitOptions): Promise<T>;
}

/** See Cluster.serviceAccess. */
export function clusterServiceAccess(backend: BackendName, nodeSimulator: boolean, kc: KubeConfig, env: NodeJS.ProcessEnv = process.env): ServiceAccess | undefined {
  const forced = env.AGENTLAB_TEST_SERVICE_ACCESS;
  if (forced !== undefined && forced !== '' && forced !== 'simulated' && forced !== 'default') {
    throw new Error(`AGENTLAB_TEST_SERVICE_ACCESS=${JSON.stringify(forced)}: expected "simulated" or "default"`);
  }
  if (!nodeSimulator || forced === 'default') return undefined;
  return forced === 'simulated' || backend !== 'embedded' ? simulatedServiceAccess(kc) : undefined;
}

/**
 * The cluster for one test file. Call it at the top of the file (it registers an afterAll
 * hook that runs the file's fixture teardowns (file-teardown.ts), deletes the file's namespaces
 * and stops stray kubectl processes).
 */
export function useCluster(): Cluster {
  const kubeconfigPath = inject('kubeconfigPath');
  const backend = inject('backend');
  const nodeSimulator = inject('nodeSimulator');
  const tokenUsers = inject('tokenUsers') ?? [];
  if (!kubeconfigPath) throw new Error('useCluster() needs the integration project (test/harness/global-setup.ts did not run)');
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfigPath);
  const core = kc.makeApiClient(CoreV1Api);
  const objects = KubernetesObjectApi.makeApiClient(kc);
  // applyYaml sends manifests as the JSON they are (KubernetesObjectApi would re-serialize them
  // through client-node's typed models, which drops keys such as a CRD's x-kubernetes-*).
  const manifests = new ManifestApplier(kc, TEST_FIELD_MANAGER);
  afterAll(() => manifests.close());
  const cacheDir = mkdtempSync(path.join(os.tmpdir(), 'agentlab-kubectl-cache-'));
  const target = { kubeconfigPath, cacheDir };
  const namespaces: string[] = [];
  const processes: KubectlProcess[] = [];
  const watches: WatchStream[] = [];
  // envtest starts only etcd + kube-apiserver, exactly like controller-runtime's envtest.
  const controllers = backend !== 'envtest';
  const serviceAccess = clusterServiceAccess(backend, nodeSimulator, kc);

  afterAll(async () => {
    // The fixtures' teardowns first (operators, routers, clients), while the namespaces exist; a
    // failure among them is reported after the namespaces are deleted.
    const teardownFailure = await runFileTeardowns().then(() => undefined, (err: unknown) => err);
    for (const p of processes) await p.stop();
    for (const w of watches) w.close();
    // Deletion is not awaited: namespace teardown is the cluster's business, and on envtest
    // (no namespace controller) a namespace stays Terminating forever.
    await Promise.all(
      namespaces.map((name) =>
        core.deleteNamespace({ name }).catch((err: unknown) => {
          if (!(err instanceof ApiException && err.code === 404)) throw err;
        }),
      ),
    );
    rmSync(cacheDir, { recursive: true, force: true });
    if (teardownFailure !== undefined) throw teardownFailure;
  });

  const cluster: Cluster = {
    backend,
    nodeSimulator,
    controllers,
    serviceAccess,
    kubeconfigPath,
    tokenUsers,
    kc,
    core,
    objects,
    async newNamespace(prefix) {
      const name = `${prefix}-${Math.random().toString(36).slice(2, 8)}`;
      await core.createNamespace({ body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { 'agentlab.dev/test': 'true' } } } });
      namespaces.push(name);
      // As the Kubernetes e2e framework does: where kube-controller-manager runs, the
      // ServiceAccount admission plugin refuses pods (403 "error looking up service account")
      // until the service account controller has created `default` in the new namespace.
      if (controllers) {
        await waitFor(() => core.readNamespacedServiceAccount({ name: 'default', namespace: name }).then(() => true), {
          what: `ServiceAccount ${name}/default (created by the service account controller)`,
          timeoutMs: 30_000,
        });
      }
      return name;
    },
    kubectl: (args, opts) => runKubectl(target, args, opts),
    spawnKubectl(args) {
      const p = spawnKubectl(target, args);
      processes.push(p);
      return p;
    },
    async applyYaml(yaml, opts = {}) {
      const applied: KubernetesObject[] = [];
      for (const doc of parseAllDocuments(yaml)) {
        if (doc.errors.length > 0) throw new Error(`applyYaml: line ${doc.errors[0].linePos?.[0].line ?? '?'}: ${doc.errors[0].message}`);
        const obj = doc.toJSON() as (KubeObject & { apiVersion: string; kind: string }) | null;
        if (!obj) continue;
        if (opts.namespace && obj.metadata && !obj.metadata.namespace) obj.metadata.namespace = opts.namespace;
        applied.push((await manifests.apply(obj)) as KubernetesObject);
      }
      return applied;
    },
    request: (req) => rawRequest(kc, req),
    async watch(p) {
      const w = await openWatch(kc, p);
      watches.push(w);
      return w;
    },
    waitFor,
  };
  return cluster;
}
