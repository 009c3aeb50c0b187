// What every chaos, fault and soak run stands on: a control plane with the node simulator, a fake
// Ollama answering the workload's prompts, a fake GitHub and Forgejo for the issue workflow, and
// the lane router in this process. Either the test
// suite's cluster (useCluster) or a private embedded API server whose faults the run controls.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { KubeConfig } from '@kubernetes/client-node';
import pino from 'pino';
import { startApiServer, type FaultInjector } from '../../hack/apiserver/index.js';
import { startFakeOllama, type FakeOllama } from '../../hack/fakes/index.js';
import { startNodeSimulator, HOMELAB_NODES } from '../../hack/nodesim/index.js';
import { startRouter, type Router } from '../../operators/router/server.js';
import type { ServiceAccess } from '../../operators/runtime/service-access.js';
import { parseAllDocuments } from 'yaml';
import { ManifestApplier } from '../../operators/runtime/manifests.js';
import type { KubeObject } from '../../operators/runtime/kube.js';
import { CHART_DIR, helm } from '../gitops/chart.js';
import { installCrds, readCrdManifests } from '../harness/crds.js';
import { ChaosApi } from './api.js';
import { startForges, type ChaosForges } from './forge.js';
import { CHAOS_RULES } from './workload.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const ROUTER_POD_LABELS = { 'app.kubernetes.io/name': 'agentlab-router', 'chaos.test.agentlab.dev/router': 'true' };
export const ROUTER_PORT = 8080;
export const LANE_KEY = 'chaos.test.agentlab.dev/run';

export interface ChaosCluster {
  kc: KubeConfig;
  kubeconfigPath: string;
  serviceAccess: ServiceAccess | undefined;
  /** Whether a garbage collector deletes dependents (not on envtest). */
  gc: boolean;
  newNamespace(prefix: string): Promise<string>;
  /** Only on a private embedded server. */
  faults?: FaultInjector;
}

export interface Stage {
  cluster: ChaosCluster;
  api: ChaosApi;
  ollama: FakeOllama;
  router: Router;
  /** The fake GitHub and Forgejo the issue workflow reports to. */
  forges: ChaosForges;
  routerNs: string;
  /** Label selecting this stage's LanePolicies (router and operators see only those). */
  selector: string;
  laneLabels: Record<string, string>;
  stop(): Promise<void>;
}

const quiet = () => pino({ level: process.env.AGENTLAB_TEST_LOG_LEVEL ?? 'silent' }, pino.destination(2));

export async function startStage(cluster: ChaosCluster): Promise<Stage> {
  const id = Math.random().toString(36).slice(2, 8);
  const laneLabels = { 'chaos.test.agentlab.dev/stage': id };
  const selector = `chaos.test.agentlab.dev/stage=${id}`;
  const api = new ChaosApi(cluster.kc);
  const routerNs = await cluster.newNamespace('chaos-router');
  await installApprovalPolicy(cluster.kc);
  const ollama = await startFakeOllama({ models: ['llama3.1:8b'], rules: CHAOS_RULES });
  const router = await startRouter({ kubeConfig: cluster.kc, logger: quiet(), laneSelector: selector, namespace: routerNs, flushIntervalMs: 200, serviceAccess: cluster.serviceAccess });
  const forges = await startForges();
  return {
    cluster, api, ollama, router, forges, routerNs, selector, laneLabels,
    async stop() {
      await router.stop();
      await ollama.close();
      await forges.close();
    },
  };
}

/**
 * The chart's admission policy that verifies who completes and approves HardwareTask steps: the
 * controller counts a person's completion only while it is installed (as the chart installs it).
 */
async function installApprovalPolicy(kc: KubeConfig): Promise<void> {
  const rendered = helm(['template', 'agentlab', CHART_DIR, '--namespace', 'agentlab-system', '--show-only', 'templates/approval-policy.yaml']);
  if (rendered.code !== 0) throw new Error(`helm template approval-policy.yaml: ${rendered.stderr}`);
  const applier = new ManifestApplier(kc, 'agentlab-chaos');
  try {
    for (const doc of parseAllDocuments(rendered.stdout)) {
      const obj = doc.toJSON() as (KubeObject & { apiVersion: string; kind: string }) | null;
      if (obj) await applier.apply(obj);
    }
  } finally {
    applier.close();
  }
}

/** A private embedded API server (faults under the caller's control), the CRDs and the node simulator. */
export async function startPrivateCluster(): Promise<{ cluster: ChaosCluster; stop(): Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'agentlab-chaos-'));
  const server = await startApiServer({ host: '127.0.0.1', port: 0, logger: quiet() });
  const kubeconfigPath = path.join(dir, 'kubeconfig.yaml');
  await server.writeKubeconfig(kubeconfigPath);
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfigPath);
  await installCrds(kc, await readCrdManifests(path.join(ROOT, 'crds')));
  const sim = await startNodeSimulator({ kubeConfig: kc, nodes: HOMELAB_NODES, logger: quiet(), scheduler: true, controllers: true });
  const api = new ChaosApi(kc);
  const cluster: ChaosCluster = {
    kc, kubeconfigPath, serviceAccess: undefined, gc: true, faults: server.faults,
    async newNamespace(prefix) {
      const name = `${prefix}-${Math.random().toString(36).slice(2, 8)}`;
      await api.write('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
      return name;
    },
  };
  return {
    cluster,
    async stop() {
      server.faults.reset();
      await sim.stop();
      await server.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
