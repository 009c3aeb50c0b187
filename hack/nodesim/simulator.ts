// The node simulator: an ordinary API client that registers Nodes, renews their Leases and acts
// as scheduler, kubelet, endpoints controller and the Deployment/Job/PVC controllers.
// Decisions live in pure modules; this file only watches, queues and writes.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  AppsV1Api, BatchV1Api, CoordinationV1Api, CoreV1Api, KubeConfig, PatchStrategy, setHeaderOptions,
  type KubernetesListObject, type KubernetesObject,
  type V1Deployment, type V1Endpoints, type V1Job, type V1Node, type V1PersistentVolume, type V1PersistentVolumeClaim, type V1Pod, type V1Service,
} from '@kubernetes/client-node';
import pino, { type Logger } from 'pino';
import type { OllamaModelStore } from '../fakes/ollama.js';
import type { FakeServer } from '../fakes/server.js';
import { containedIn, toWire } from './compare.js';
import { PodRuntime } from './containers.js';
import { deploymentStatus, planDeployment, podFromTemplate, randomSuffix, templateHash, type WorkloadPlan } from './deployments.js';
import { desiredEndpoints, sameEndpoints, type Backend } from './endpoints.js';
import { ENDPOINTS_ANNOTATION, endpointsAnnotation, podEndpoints } from './network.js';
import { ContainerConfigError, resolveEnv, type EnvLookups } from './env.js';
import { podEvent, type EventSource } from './events.js';
import { classifyImage, RUNTIME_IMAGES, type RuntimeImage } from './images.js';
import { jobPodLabels, planJob } from './jobs.js';
import { kubeletCertificate } from './kubelet.js';
import { claimsOf, releasedFinalizers, releasedVolumeFinalizers } from './pvcprotection.js';
import { LogStore } from './logs.js';
import { watchInformer, WorkQueue, type Cache } from './loop.js';
import { HOMELAB_NODES, leaseManifest, nodeManifest, type SimNode } from './nodes.js';
import { podStatus, unschedulableCondition } from './podstatus.js';
import { addToLoad, loadOn, nodeLoads, schedulePod } from './schedule.js';
import { VmiDriver } from './kubevirt.js';
import { compiledTree, defaultCompiledDir, entrypointArgs, type CompiledTree } from './compiled.js';
import { KubeClient } from '../../operators/runtime/kube.js';

export const LOG_URL_ANNOTATION = 'sim.agentlab.dev/log-url';

export interface NodeSimulatorOptions {
  kubeConfig: KubeConfig;
  nodes?: SimNode[];
  logger?: Logger;
  /** Address of every pod and node, and where fake servers listen (default 127.0.0.1). */
  ip?: string;
  /** The project's runtime images and their entrypoints (default RUNTIME_IMAGES). */
  runtimeImages?: RuntimeImage[];
  /** Repository root the entrypoints are relative to (default: this checkout). */
  repoRoot?: string;
  /** Act as kube-scheduler (default true). Turn off on clusters that run a scheduler. */
  scheduler?: boolean;
  /** Act as the Deployment, Job, PVC and endpoints controllers (default true). */
  controllers?: boolean;
  /** Re-examine every object this often, in seconds (default 30). */
  resyncSeconds?: number;
  /** Node Lease renewal period, in seconds (default 10, the kubelet's). */
  leaseRenewSeconds?: number;
  /** Base of the container restart back-off, in ms (default 1000; doubles, capped at 10 s). */
  restartBackoffMs?: number;
  /**
   * Where runtime images' entrypoints are compiled to JavaScript before they run, as in the images
   * (compiled.ts; default the checkout's node_modules/.cache/agentlab/compiled); false runs the
   * TypeScript through tsx.
   */
  compiledDir?: string | false;
}

export interface FakeRegistryEntry {
  namespace: string;
  pod: string;
  container: string;
  kind: 'ollama' | 'vllm';
  server: FakeServer;
}

/** The fake model servers standing in for running pods, so a test can inspect or fault them. */
export interface FakeRegistry {
  list(): FakeRegistryEntry[];
  forPod(namespace: string, pod: string): FakeRegistryEntry | undefined;
}

export interface NodeSimulator {
  stop(): Promise<void>;
  fakes: FakeRegistry;
  /** Base URL of the log server (pods carry `<url>/logs/<ns>/<pod>` in sim.agentlab.dev/log-url). */
  logUrl: string;
}

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const EXPECTATION_TTL_MS = 15_000;
/**
 * Bindings and condition writes of one scheduling pass in flight at once: each may open a TLS
 * connection to the API server, and a thousand at once (a thousand pending pods) starved the
 * server's handshakes until the simulator's own watches dropped.
 */
const PASS_WRITES = 8;
const mergePatch = () => setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

function keyOf(o: KubernetesObject): string {
  return `${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`;
}

function splitKey(k: string): [string, string] {
  const i = k.indexOf('/');
  return [k.slice(0, i), k.slice(i + 1)];
}

function statusCode(err: unknown): number | undefined {
  const e = err as { code?: unknown; statusCode?: unknown };
  return typeof e?.code === 'number' ? e.code : typeof e?.statusCode === 'number' ? e.statusCode : undefined;
}

async function ignoreNotFound<T>(p: Promise<T>): Promise<T | undefined> {
  try {
    return await p;
  } catch (err) {
    if (statusCode(err) === 404) return undefined;
    throw err;
  }
}

function controllerRef(o: KubernetesObject): { kind: string; name: string; uid: string } | undefined {
  const r = o.metadata?.ownerReferences?.find((x) => x.controller);
  return r ? { kind: r.kind, name: r.name, uid: r.uid } : undefined;
}

export async function startNodeSimulator(opts: NodeSimulatorOptions): Promise<NodeSimulator> {
  const sim = new Simulator(opts);
  try {
    await sim.start();
  } catch (err) {
    await sim.stop();
    throw err;
  }
  return { stop: () => sim.stop(), fakes: sim.fakes, logUrl: sim.logBase };
}

class Simulator {
  private readonly core: CoreV1Api;
  private readonly apps: AppsV1Api;
  private readonly batch: BatchV1Api;
  private readonly coordination: CoordinationV1Api;
  private readonly log: Logger;
  private readonly ip: string;
  private readonly nodes: SimNode[];
  private readonly nodeNames: Set<string>;
  private readonly logs = new LogStore();
  /** Secrets and ConfigMaps for container env and runtime-image volumes, read when a container starts. */
  private readonly lookups: EnvLookups = {
    secret: (n, s) => ignoreNotFound(this.core.readNamespacedSecret({ name: s, namespace: n })),
    configMap: (n, c) => ignoreNotFound(this.core.readNamespacedConfigMap({ name: c, namespace: n })),
  };
  private readonly runtimes = new Map<string, { uid: string; runtime: PodRuntime }>(); // ns/name
  private readonly assumed = new Map<string, string>(); // pod uid -> node, until the cache shows the binding
  private readonly confirmedDeletions = new Set<string>(); // pod uids whose graceful deletion we confirmed
  private readonly expectations = new Map<string, { pending: Set<string>; until: number }>();
  private readonly writtenEndpoints = new Map<string, V1Endpoints>();
  /** Models "on disk" per PersistentVolumeClaim (`ns/claim`), so a model cache survives pod restarts. */
  private readonly modelStores = new Map<string, OllamaModelStore>();
  /** Endpoints read back from the server since the last resync (someone may delete or edit them). */
  private readonly verifiedEndpoints = new Set<string>();
  private readonly rejectedEndpoints = new Set<string>();
  private readonly informers: { stop(): Promise<void>; start(): Promise<void> }[] = [];
  private readonly syncedInformers = new Set<string>();
  private readonly queue: WorkQueue;
  private readonly timers: NodeJS.Timeout[] = [];
  private stopped = false;
  private logServer: { url: string; close(): Promise<void> } | undefined;
  private kubeletServer: { port: number; close(): Promise<void> } | undefined;
  private tmpDir = '';
  private compiled: Promise<CompiledTree> | undefined;
  private mirrorWarned = false;
  logBase = '';
  /** VirtualMachineInstances, once the cluster serves them (kubevirt.ts). */
  private vmis: VmiDriver | undefined;
  private vmiClient: KubeClient | undefined;

  private pods!: Cache<V1Pod>;
  private nodeCache!: Cache<V1Node>;
  private deployments!: Cache<V1Deployment>;
  private jobs!: Cache<V1Job>;
  private services!: Cache<V1Service>;
  private pvcs!: Cache<V1PersistentVolumeClaim>;
  private pvs!: Cache<V1PersistentVolume>;

  readonly fakes: FakeRegistry = {
    list: () => {
      const out: FakeRegistryEntry[] = [];
      for (const [k, { runtime }] of this.runtimes) {
        const [namespace, pod] = splitKey(k);
        for (const l of runtime.listeners.values()) {
          const spec = this.pods?.get(pod, namespace)?.spec?.containers.find((c) => c.name === l.container);
          const kind = classifyImage(spec?.image ?? '', this.opts.runtimeImages ?? RUNTIME_IMAGES).kind === 'vllm' ? 'vllm' : 'ollama';
          out.push({ namespace, pod, container: l.container, kind, server: l.server });
        }
      }
      return out;
    },
    forPod: (namespace, pod) => this.fakes.list().find((e) => e.namespace === namespace && e.pod === pod),
  };

  constructor(private readonly opts: NodeSimulatorOptions) {
    this.core = opts.kubeConfig.makeApiClient(CoreV1Api);
    this.apps = opts.kubeConfig.makeApiClient(AppsV1Api);
    this.batch = opts.kubeConfig.makeApiClient(BatchV1Api);
    this.coordination = opts.kubeConfig.makeApiClient(CoordinationV1Api);
    this.log = opts.logger ?? pino({ name: 'nodesim' });
    this.ip = opts.ip ?? '127.0.0.1';
    this.nodes = opts.nodes ?? HOMELAB_NODES;
    this.nodeNames = new Set(this.nodes.map((n) => n.name));
    // Pods are synced by a pool of workers, one per pod at a time, as a kubelet's pod workers are;
    // scheduling and the controllers stay on the one serial worker.
    this.queue = new WorkQueue((key) => this.handle(key), this.log, { parallel: (key) => key.startsWith('pod:') });
  }

  async start(): Promise<void> {
    this.tmpDir = await mkdtemp(path.join(os.tmpdir(), 'nodesim-'));
    await writeFile(path.join(this.tmpDir, 'kubeconfig'), this.opts.kubeConfig.exportConfig(), { mode: 0o600 });
    // A terminating pod's containers are stopped but its logs are still served, as a kubelet serves
    // them until the pod is gone (a controller reads what a deleted pod's agent did meanwhile).
    const containersOf = (ns: string, pod: string) => this.runtimes.get(`${ns}/${pod}`)?.runtime.containerNames() ?? this.terminatingContainers(ns, pod);
    this.logServer = await this.logs.serve(this.ip, containersOf);
    this.logBase = this.logServer.url;
    const cert = await kubeletCertificate(this.tmpDir, this.ip);
    if (cert) this.kubeletServer = await this.logs.serve(this.ip, containersOf, cert);
    else this.log.info('openssl not found: no kubelet endpoint, so pods/log works only through the log-url annotation');
    try {
      await this.ensureNamespace('kube-node-lease');
      for (const n of this.nodes) await this.registerNode(n);
      await this.renewLeases();
    } catch (err) {
      const detail = (err as { body?: unknown }).body ?? (err as Error).message;
      throw new Error(`node simulator: cannot register nodes with the API server at ${this.opts.kubeConfig.getCurrentCluster()?.server ?? '(no cluster in kubeconfig)'}: ${String(detail)}`);
    }

    this.nodeCache = this.watch('nodes', '/api/v1/nodes', () => this.core.listNode(), (n) => {
      if (this.nodeNames.has(n.metadata?.name ?? '')) this.enqueue('schedule');
    }, (n) => {
      // A kubelet registers its Node again when someone deletes it.
      const sim = this.nodes.find((s) => s.name === n.metadata?.name);
      if (sim && !this.stopped) void this.registerNode(sim).catch((err) => this.log.warn({ err: String(err) }, 're-registering node failed'));
    });
    this.pods = this.watch('pods', '/api/v1/pods', () => this.core.listPodForAllNamespaces(), (p) => this.onPod(p), (p) => this.onPod(p, true));
    if (this.opts.controllers !== false) {
      this.deployments = this.watch('deployments', '/apis/apps/v1/deployments', () => this.apps.listDeploymentForAllNamespaces(), (d) => this.enqueue(`deploy:${keyOf(d)}`));
      this.jobs = this.watch('jobs', '/apis/batch/v1/jobs', () => this.batch.listJobForAllNamespaces(), (j) => this.enqueue(`job:${keyOf(j)}`));
      this.services = this.watch('services', '/api/v1/services', () => this.core.listServiceForAllNamespaces(), (s) => this.enqueue(`svc:${keyOf(s)}`));
      this.pvcs = this.watch('pvcs', '/api/v1/persistentvolumeclaims', () => this.core.listPersistentVolumeClaimForAllNamespaces(), (c) => this.enqueue(`pvc:${keyOf(c)}`));
      this.pvs = this.watch('pvs', '/api/v1/persistentvolumes', () => this.core.listPersistentVolume(), (v) => this.enqueue(`pv:${keyOf(v)}`));
    }
    await Promise.all(this.informers.map((i) => i.start()));
    this.timers.push(setInterval(() => void this.renewLeases().catch((err) => this.log.warn({ err: String(err) }, 'lease renewal failed')), (this.opts.leaseRenewSeconds ?? 10) * 1000));
    this.timers.push(setInterval(() => this.resync(), (this.opts.resyncSeconds ?? 30) * 1000));
    this.queue.start();
    this.vmiClient = new KubeClient(this.opts.kubeConfig, { maxSockets: 4 });
    this.vmis = new VmiDriver({
      client: this.vmiClient, log: this.log, ip: this.ip,
      nodes: () => this.nodeCache.list().filter((n) => this.nodeNames.has(n.metadata?.name ?? '')),
      // A guest has no ServiceAccount token and no kubelet events; otherwise it runs as a pod's container does.
      runtimeDeps: (_vmi, changed) => ({
        ip: this.ip, logs: this.logs, runtimeImages: this.opts.runtimeImages ?? RUNTIME_IMAGES, repoRoot: this.opts.repoRoot ?? REPO_ROOT,
        kubeconfigPath: path.join(this.tmpDir, 'kubeconfig'),
        resolveEnv: (p, c) => resolveEnv(p, c, this.lookups, { podIP: this.ip, hostIP: this.ip }),
        lookups: this.lookups, changed, logger: this.log, backoffMs: this.opts.restartBackoffMs,
        entrypointArgs: this.opts.compiledDir === false ? undefined : (e) => this.compiledEntrypoint(e),
      }),
    });
    this.vmis.start();
    this.log.info({ nodes: [...this.nodeNames], ip: this.ip, logs: this.logBase }, 'node simulator started');
  }

  /** The node arguments that run a runtime image's entrypoint from the compiled mirror (compiled.ts). */
  private async compiledEntrypoint(entrypoint: string): Promise<string[]> {
    const root = this.opts.repoRoot ?? REPO_ROOT;
    this.compiled ??= compiledTree(root, this.opts.compiledDir || defaultCompiledDir(root)).catch((err: unknown) => {
      this.compiled = undefined;
      throw err;
    });
    const { args, unwritable } = await entrypointArgs(this.compiled, root, entrypoint);
    if (unwritable && !this.mirrorWarned) {
      this.mirrorWarned = true;
      this.log.warn({ err: String(unwritable), dir: this.opts.compiledDir || defaultCompiledDir(root) }, 'cannot write the compiled mirror; runtime images run through tsx');
    }
    return args;
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    for (const i of this.informers) await i.stop();
    await this.vmis?.stop();
    this.vmiClient?.close();
    await this.queue.stop();
    await Promise.all([...this.runtimes.values()].map((r) => r.runtime.stop()));
    this.runtimes.clear();
    await this.logServer?.close();
    await this.kubeletServer?.close();
    if (this.tmpDir) await rm(this.tmpDir, { recursive: true, force: true });
    this.log.info('node simulator stopped');
  }

  // ---- watching and queueing -------------------------------------------------------------

  private watch<T extends KubernetesObject>(
    name: string, apiPath: string, list: () => Promise<KubernetesListObject<T>>, onChange: (o: T) => void, onDelete?: (o: T) => void,
  ): Cache<T> {
    const informer = watchInformer(this.opts.kubeConfig, apiPath, list, {
      name, log: this.log, queue: this.queue, stopped: () => this.stopped, onChange, onDelete,
      onSynced: () => {
        this.syncedInformers.add(name);
        this.resync();
      },
    });
    this.informers.push(informer);
    return informer;
  }

  private synced(name: string): boolean {
    return this.syncedInformers.has(name);
  }

  private onPod(p: V1Pod, deleted = false): void {
    const k = keyOf(p);
    this.enqueue(`pod:${k}`);
    if (!p.spec?.nodeName || deleted || p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed') this.enqueue('schedule');
    const owner = controllerRef(p);
    if (owner?.kind === 'Deployment' || owner?.kind === 'Job') {
      const ownerKey = `${owner.kind === 'Deployment' ? 'deploy' : 'job'}:${p.metadata?.namespace}/${owner.name}`;
      const exp = this.expectations.get(ownerKey);
      if (exp && (exp.pending.delete(`+${p.metadata?.name}`) || (deleted || p.metadata?.deletionTimestamp ? exp.pending.delete(`-${p.metadata?.name}`) : false)) && exp.pending.size === 0) {
        this.expectations.delete(ownerKey);
      }
      this.enqueue(ownerKey);
    }
    if (this.opts.controllers !== false) {
      for (const s of this.services?.list(p.metadata?.namespace) ?? []) this.enqueue(`svc:${keyOf(s)}`);
      // A claim waiting for deletion may be released once this pod stops using it.
      for (const claim of claimsOf(p)) this.enqueue(`pvc:${p.metadata?.namespace}/${claim}`);
    }
  }

  private resync(): void {
    this.verifiedEndpoints.clear();
    this.enqueue('schedule');
    for (const p of this.pods?.list() ?? []) this.enqueue(`pod:${keyOf(p)}`);
    for (const k of this.runtimes.keys()) this.enqueue(`pod:${k}`);
    for (const d of this.deployments?.list() ?? []) this.enqueue(`deploy:${keyOf(d)}`);
    for (const j of this.jobs?.list() ?? []) this.enqueue(`job:${keyOf(j)}`);
    for (const s of this.services?.list() ?? []) this.enqueue(`svc:${keyOf(s)}`);
    for (const k of this.writtenEndpoints.keys()) this.enqueue(`svc:${k}`);
    for (const c of this.pvcs?.list() ?? []) this.enqueue(`pvc:${keyOf(c)}`);
    for (const v of this.pvs?.list() ?? []) this.enqueue(`pv:${keyOf(v)}`);
    // Owners that vanished while we were not watching still need their pods collected.
    for (const p of this.pods?.list() ?? []) {
      const o = controllerRef(p);
      if (o?.kind === 'Deployment') this.enqueue(`deploy:${p.metadata?.namespace}/${o.name}`);
      if (o?.kind === 'Job') this.enqueue(`job:${p.metadata?.namespace}/${o.name}`);
    }
  }

  private enqueue(key: string): void {
    this.queue.enqueue(key);
  }

  private async handle(key: string): Promise<void> {
    if (key === 'schedule') return this.schedule();
    const [kind, rest] = [key.slice(0, key.indexOf(':')), key.slice(key.indexOf(':') + 1)];
    const [ns, name] = splitKey(rest);
    switch (kind) {
      case 'pod': return this.syncPod(ns, name);
      case 'deploy': return this.syncDeployment(ns, name);
      case 'job': return this.syncJob(ns, name);
      case 'svc': return this.syncEndpoints(ns, name);
      case 'pvc': return this.syncPvc(ns, name);
      case 'pv': return this.syncPv(name);
    }
  }

  // ---- nodes and leases -----------------------------------------------------------------

  private async ensureNamespace(name: string): Promise<void> {
    try {
      await this.core.createNamespace({ body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name } } });
    } catch (err) {
      if (statusCode(err) !== 409) throw err;
    }
  }

  private async registerNode(sim: SimNode): Promise<void> {
    const manifest = nodeManifest(sim, this.ip, new Date(), this.kubeletServer?.port);
    try {
      await this.core.createNode({ body: manifest });
    } catch (err) {
      if (statusCode(err) !== 409) throw err;
    }
    // Status is ignored on create by some servers; write it through the status subresource.
    await this.core.patchNodeStatus({ name: sim.name, body: { status: toWire(manifest.status) } }, mergePatch());
  }

  private async renewLeases(): Promise<void> {
    const now = new Date();
    for (const n of this.nodes) {
      const lease = leaseManifest(n.name, this.nodeCache?.get(n.name)?.metadata?.uid, now);
      try {
        await this.coordination.patchNamespacedLease({ name: n.name, namespace: 'kube-node-lease', body: { spec: toWire(lease.spec) } }, mergePatch());
      } catch (err) {
        if (statusCode(err) !== 404) throw err;
        await this.coordination.createNamespacedLease({ namespace: 'kube-node-lease', body: lease });
      }
    }
  }

  // ---- scheduler ------------------------------------------------------------------------

  private async schedule(): Promise<void> {
    if (this.opts.scheduler === false || !this.synced('pods') || !this.synced('nodes')) return;
    const nodes = this.nodeCache.list().filter((n) => this.nodeNames.has(n.metadata?.name ?? ''));
    const all = this.pods.list().map((p) => {
      const assumed = this.assumed.get(p.metadata?.uid ?? '');
      if (p.spec?.nodeName) this.assumed.delete(p.metadata?.uid ?? '');
      return assumed && !p.spec?.nodeName ? { ...p, spec: { ...p.spec!, nodeName: assumed } } : p;
    });
    const pending = all
      .filter((p) => !p.spec?.nodeName && !p.metadata?.deletionTimestamp && (p.spec?.schedulerName ?? 'default-scheduler') === 'default-scheduler')
      .filter((p) => (p.status?.phase ?? 'Pending') === 'Pending')
      .sort((a, b) => (b.spec?.priority ?? 0) - (a.spec?.priority ?? 0) || new Date(a.metadata?.creationTimestamp ?? 0).getTime() - new Date(b.metadata?.creationTimestamp ?? 0).getTime());
    // Computed once per pass and kept up to date as pods are bound (not summed again per pending pod).
    const loads = nodeLoads(all);
    // Decisions are made one after another; their writes (bindings, conditions) go out a few at a
    // time (PASS_WRITES), as kube-scheduler's binding cycle runs apart from its scheduling cycle.
    // A write that failed fails the pass after all settled (it is retried with back-off).
    const writes: (() => Promise<unknown>)[] = [];
    for (const pod of pending) {
      const [ns, name] = [pod.metadata!.namespace!, pod.metadata!.name!];
      if (pod.spec?.schedulingGates?.length) {
        writes.push(() => this.markUnschedulable(pod, 'SchedulingGated', 'Scheduling is blocked due to non-empty scheduling gates'));
        continue;
      }
      const decision = schedulePod(pod, nodes, all, loads);
      if ('node' in decision) {
        // Assumed on the node until the watch shows the binding, or the binding fails.
        this.assumed.set(pod.metadata!.uid!, decision.node);
        addToLoad(loadOn(loads, decision.node), pod); // counted against the node for the rest of this pass
        writes.push(() => this.bind(pod, decision.node));
        continue;
      }
      writes.push(() => this.markUnschedulable(pod, 'Unschedulable', decision.unschedulable).then((written) => {
        if (written) this.log.info({ pod: `${ns}/${name}`, reason: decision.unschedulable }, 'unschedulable');
      }));
    }
    const failures: unknown[] = [];
    const next = async (): Promise<void> => {
      for (let w = writes.shift(); w; w = writes.shift()) await w().catch((err: unknown) => { failures.push(err); });
    };
    await Promise.all(Array.from({ length: PASS_WRITES }, next));
    if (failures.length > 0) throw failures[0];
  }

  /** Binds a pod to the node the pass chose for it. */
  private async bind(pod: V1Pod, node: string): Promise<void> {
    const [ns, name, uid] = [pod.metadata!.namespace!, pod.metadata!.name!, pod.metadata!.uid!];
    try {
      await this.core.createNamespacedPodBinding({
        name, namespace: ns,
        body: { apiVersion: 'v1', kind: 'Binding', metadata: { name, namespace: ns, uid }, target: { apiVersion: 'v1', kind: 'Node', name: node } },
      });
    } catch (err) {
      this.assumed.delete(uid);
      // Already bound or gone: the watch will tell us what happened.
      if (statusCode(err) === 409 || statusCode(err) === 404) return;
      throw err;
    }
    this.recordEvent(pod, { component: 'default-scheduler' }, 'Normal', 'Scheduled', `Successfully assigned ${ns}/${name} to ${node}`);
    this.log.info({ pod: `${ns}/${name}`, node }, 'scheduled');
  }

  /** Writes PodScheduled=False with the scheduler's reason, unless the pod already says so. */
  private async markUnschedulable(pod: V1Pod, reason: string, message: string): Promise<boolean> {
    const condition = unschedulableCondition(pod, reason, message, new Date());
    const current = pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
    if (current?.status === 'False' && current.reason === reason && current.message === message) return false;
    const conditions = [...(pod.status?.conditions ?? []).filter((c) => c.type !== 'PodScheduled'), condition];
    const [ns, name] = [pod.metadata!.namespace!, pod.metadata!.name!];
    await ignoreNotFound(this.core.patchNamespacedPodStatus({ name, namespace: ns, body: { status: toWire({ phase: 'Pending', conditions }) } }, mergePatch()));
    if (reason === 'Unschedulable') this.recordEvent(pod, { component: 'default-scheduler' }, 'Warning', 'FailedScheduling', message);
    return true;
  }

  /** Best effort, like client-go's recorder: a lost Event never blocks the work. */
  private recordEvent(pod: V1Pod, source: EventSource, type: 'Normal' | 'Warning', reason: string, message: string, fieldPath?: string): void {
    if (this.stopped) return;
    const ev = podEvent(pod, source, type, reason, message, new Date(), fieldPath);
    this.core.createNamespacedEvent({ namespace: pod.metadata?.namespace ?? 'default', body: toWire(ev) })
      .catch((err: unknown) => this.log.debug({ reason, err: String(err) }, 'event not recorded'));
  }

  // ---- kubelet --------------------------------------------------------------------------

  /**
   * What a kubelet mounts as the pod's projected ServiceAccount token, as a kubeconfig for the
   * process: a TokenRequest for the pod's ServiceAccount, bound to the pod (it dies with it).
   * Nothing when the pod, else its ServiceAccount, says automountServiceAccountToken: false.
   */
  private async podKubeconfig(pod: V1Pod): Promise<string | undefined> {
    const ns = pod.metadata?.namespace ?? 'default';
    const sa = pod.spec?.serviceAccountName || 'default';
    let automount = pod.spec?.automountServiceAccountToken;
    if (automount === undefined) {
      const account = await this.core.readNamespacedServiceAccount({ name: sa, namespace: ns }).catch(() => undefined);
      automount = account?.automountServiceAccountToken ?? true;
    }
    if (!automount) return undefined;
    let token: string;
    try {
      const tr = await this.core.createNamespacedServiceAccountToken({ name: sa, namespace: ns, body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { audiences: [], expirationSeconds: 3600, boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: pod.metadata?.name, uid: pod.metadata?.uid } } } });
      token = tr.status?.token ?? '';
    } catch (err) {
      throw new ContainerConfigError(`cannot get a token for service account ${ns}/${sa}: ${(err as Error).message}`);
    }
    const cluster = this.opts.kubeConfig.getCurrentCluster();
    if (!cluster) throw new ContainerConfigError('the node simulator has no cluster in its kubeconfig');
    const kc = new KubeConfig();
    kc.loadFromOptions({ clusters: [cluster], users: [{ name: sa, token }], contexts: [{ name: 'pod', cluster: cluster.name, user: sa, namespace: ns }], currentContext: 'pod' });
    return kc.exportConfig();
  }

  /** Containers of a pod being deleted whose logs this node still holds. */
  private terminatingContainers(ns: string, name: string): string[] | undefined {
    const pod = this.pods.get(name, ns);
    if (!pod?.metadata?.deletionTimestamp) return undefined;
    const names = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])].map((c) => c.name);
    return names.some((c) => this.logs.has(ns, name, c)) ? names : undefined;
  }

  private async syncPod(ns: string, name: string): Promise<void> {
    const key = `${ns}/${name}`;
    const pod = this.pods.get(name, ns);
    if (!pod) {
      for (const uid of this.confirmedDeletions) if (!this.pods.list().some((p) => p.metadata?.uid === uid)) this.confirmedDeletions.delete(uid);
      if (!this.runtimes.has(key)) this.logs.removePod(ns, name); // a pod deleted gracefully: its logs go with it
    }
    const existing = this.runtimes.get(key);
    if (existing && (!pod || pod.metadata?.uid !== existing.uid)) {
      this.runtimes.delete(key);
      await existing.runtime.stop();
      this.logs.removePod(ns, name);
      this.enqueueServices(ns);
    }
    if (!pod || !this.nodeNames.has(pod.spec?.nodeName ?? '')) return;
    if (pod.metadata?.deletionTimestamp) {
      const r = this.runtimes.get(key);
      if (r) {
        this.runtimes.delete(key);
        await r.runtime.stop();
        this.enqueueServices(ns);
      }
      // The kubelet confirms a graceful deletion once the containers are gone (once per pod:
      // finalizers may keep it around, and repeating the delete would only churn events).
      const uid = pod.metadata.uid ?? '';
      if (this.confirmedDeletions.has(uid)) return;
      // Everything in the body: kube-apiserver ignores the query (?gracePeriodSeconds=0) when a body is sent.
      await ignoreNotFound(this.core.deleteNamespacedPod({ name, namespace: ns, body: { gracePeriodSeconds: 0, preconditions: { uid } } }));
      this.confirmedDeletions.add(uid);
      return;
    }
    let entry = this.runtimes.get(key);
    if (!entry) {
      if (pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') return; // finished before we started
      const runtime = new PodRuntime(pod, {
        ip: this.ip,
        logs: this.logs,
        runtimeImages: this.opts.runtimeImages ?? RUNTIME_IMAGES,
        repoRoot: this.opts.repoRoot ?? REPO_ROOT,
        kubeconfigPath: path.join(this.tmpDir, 'kubeconfig'),
        podKubeconfig: (p) => this.podKubeconfig(p),
        resolveEnv: (p, c) => resolveEnv(p, c, this.lookups, { podIP: this.ip, hostIP: this.ip }),
        lookups: this.lookups,
        changed: () => {
          this.enqueue(`pod:${key}`);
          this.enqueueServices(ns);
        },
        logger: this.log,
        backoffMs: this.opts.restartBackoffMs,
        entrypointArgs: this.opts.compiledDir === false ? undefined : (e) => this.compiledEntrypoint(e),
        event: (type, reason, message, fieldPath) =>
          this.recordEvent(pod, { component: 'kubelet', host: pod.spec?.nodeName }, type, reason, message, fieldPath),
        modelStore: (claim) => {
          let store = this.modelStores.get(claim);
          if (!store) this.modelStores.set(claim, (store = new Map()));
          return store;
        },
      });
      entry = { uid: pod.metadata!.uid!, runtime };
      this.runtimes.set(key, entry);
      await runtime.start();
    }
    entry.runtime.update(pod);
    const logUrl = `${this.logBase}/logs/${encodeURIComponent(ns)}/${encodeURIComponent(name)}`;
    const listeners = [...entry.runtime.listeners.values()].map((l) => ({ container: l.container, port: l.server.port }));
    const annotations = { [LOG_URL_ANNOTATION]: logUrl, [ENDPOINTS_ANNOTATION]: endpointsAnnotation(podEndpoints(pod, listeners, this.ip)) ?? null };
    if (Object.entries(annotations).some(([k, v]) => (pod.metadata?.annotations?.[k] ?? null) !== v)) {
      await ignoreNotFound(this.core.patchNamespacedPod({ name, namespace: ns, body: { metadata: { annotations } } }, mergePatch()));
    }
    const status = toWire(podStatus(pod, entry.runtime.run, { hostIP: this.ip, podIP: this.ip }, new Date()));
    if (!containedIn(status, toWire(pod.status ?? {}))) {
      await ignoreNotFound(this.core.patchNamespacedPodStatus({ name, namespace: ns, body: { status } }, mergePatch()));
    }
  }

  private enqueueServices(ns: string): void {
    for (const s of this.services?.list(ns) ?? []) this.enqueue(`svc:${keyOf(s)}`);
  }

  // ---- controllers ----------------------------------------------------------------------

  private owned(ns: string, kind: string, uid: string): V1Pod[] {
    return this.pods.list(ns).filter((p) => {
      const r = controllerRef(p);
      return r?.kind === kind && r.uid === uid;
    });
  }

  /** Pods whose controlling owner of this kind and name no longer exists (no garbage collector on some servers). */
  private async collectOrphans(ns: string, kind: string, name: string, liveUid: string | undefined): Promise<void> {
    for (const p of this.pods.list(ns)) {
      const r = controllerRef(p);
      if (r?.kind !== kind || r.name !== name || r.uid === liveUid || p.metadata?.deletionTimestamp) continue;
      await ignoreNotFound(this.core.deleteNamespacedPod({ name: p.metadata!.name!, namespace: ns, body: { propagationPolicy: 'Background', preconditions: { uid: p.metadata?.uid } } }));
    }
  }

  private expecting(key: string): boolean {
    const e = this.expectations.get(key);
    if (!e) return false;
    if (e.pending.size === 0 || Date.now() > e.until) {
      this.expectations.delete(key);
      return false;
    }
    return true;
  }

  /**
   * Creates and deletes pods, recording each as an expectation before the write (so the watch
   * event cannot outrun it); the owner is not reconciled again until the cache has caught up.
   */
  private async applyPlan(key: string, ns: string, plan: WorkloadPlan, makePod: () => V1Pod): Promise<void> {
    const pending = new Set<string>();
    const expect = async (entry: string, write: () => Promise<unknown>, seen: () => boolean) => {
      pending.add(entry);
      this.expectations.set(key, { pending, until: Date.now() + EXPECTATION_TTL_MS });
      try {
        await write();
      } catch (err) {
        pending.delete(entry); // nothing will arrive for a write that failed
        throw err;
      }
      if (seen()) pending.delete(entry); // the watch was faster than the response
    };
    for (let i = 0; i < plan.create; i++) {
      const pod = makePod();
      const name = pod.metadata!.name!;
      await expect(`+${name}`, () => this.core.createNamespacedPod({ namespace: ns, body: pod }), () => this.pods.get(name, ns) !== undefined);
    }
    for (const p of plan.delete) {
      if (p.metadata?.deletionTimestamp) continue;
      const name = p.metadata!.name!;
      await expect(`-${name}`,
        () => ignoreNotFound(this.core.deleteNamespacedPod({ name, namespace: ns, body: { preconditions: { uid: p.metadata?.uid } } })),
        () => { const live = this.pods.get(name, ns); return !live || live.metadata?.uid !== p.metadata?.uid || !!live.metadata?.deletionTimestamp; });
    }
    if (pending.size === 0) this.expectations.delete(key);
  }

  private async syncDeployment(ns: string, name: string): Promise<void> {
    if (!this.synced('deployments') || !this.synced('pods')) return;
    const key = `deploy:${ns}/${name}`;
    const d = this.deployments.get(name, ns);
    await this.collectOrphans(ns, 'Deployment', name, d?.metadata?.uid);
    if (!d || d.metadata?.deletionTimestamp || this.expecting(key)) return;
    const owned = this.owned(ns, 'Deployment', d.metadata!.uid!);
    const hash = templateHash(d.spec?.template);
    await this.applyPlan(key, ns, planDeployment(d, owned), () =>
      podFromTemplate(d as { apiVersion: string; kind: string }, d.spec?.template, `${name}-${hash}-${randomSuffix()}`, { 'pod-template-hash': hash }),
    );
    const status = toWire(deploymentStatus({ ...d, apiVersion: 'apps/v1', kind: 'Deployment' }, this.owned(ns, 'Deployment', d.metadata!.uid!), new Date()));
    if (!containedIn(status, toWire(d.status ?? {}))) {
      await ignoreNotFound(this.apps.patchNamespacedDeploymentStatus({ name, namespace: ns, body: { status } }, mergePatch()));
    }
  }

  private async syncJob(ns: string, name: string): Promise<void> {
    if (!this.synced('jobs') || !this.synced('pods')) return;
    const key = `job:${ns}/${name}`;
    const job = this.jobs.get(name, ns);
    await this.collectOrphans(ns, 'Job', name, job?.metadata?.uid);
    if (!job || job.metadata?.deletionTimestamp || this.expecting(key)) return;
    const plan = planJob(job, this.owned(ns, 'Job', job.metadata!.uid!), new Date());
    await this.applyPlan(key, ns, plan, () =>
      podFromTemplate({ apiVersion: 'batch/v1', kind: 'Job', metadata: job.metadata }, job.spec?.template, `${name}-${randomSuffix()}`, jobPodLabels(job)),
    );
    const status = toWire(plan.status);
    if (!containedIn(status, toWire(job.status ?? {}))) {
      await ignoreNotFound(this.batch.patchNamespacedJobStatus({ name, namespace: ns, body: { status } }, mergePatch()));
    }
  }

  private async syncPvc(ns: string, name: string): Promise<void> {
    const pvc = this.pvcs.get(name, ns);
    if (!pvc) this.modelStores.delete(`${ns}/${name}`); // the volume is gone, and its models with it
    if (pvc?.metadata?.deletionTimestamp) {
      // Only a complete view of the pods may release a claim.
      const finalizers = this.synced('pods') ? releasedFinalizers(pvc, this.pods.list(ns)) : undefined;
      if (finalizers) {
        // The resourceVersion makes this a precondition: a pod that started using the claim meanwhile wins.
        const body = { metadata: { finalizers: finalizers.length ? finalizers : null, resourceVersion: pvc.metadata.resourceVersion } };
        await ignoreNotFound(this.core.patchNamespacedPersistentVolumeClaim({ name, namespace: ns, body }, mergePatch()));
      }
      return;
    }
    if (!pvc || pvc.status?.phase === 'Bound') return;
    const status = {
      phase: 'Bound',
      accessModes: pvc.spec?.accessModes ?? ['ReadWriteOnce'],
      capacity: { storage: pvc.spec?.resources?.requests?.storage ?? '1Gi' },
    };
    await ignoreNotFound(this.core.patchNamespacedPersistentVolumeClaimStatus({ name, namespace: ns, body: { status } }, mergePatch()));
  }

  /** The pv-protection controller: a volume being deleted loses its finalizer once it is not Bound. */
  private async syncPv(name: string): Promise<void> {
    const pv = this.pvs.get(name);
    const finalizers = pv ? releasedVolumeFinalizers(pv) : undefined;
    if (!pv || !finalizers) return;
    const body = { metadata: { finalizers: finalizers.length ? finalizers : null, resourceVersion: pv.metadata?.resourceVersion } };
    await ignoreNotFound(this.core.patchPersistentVolume({ name, body }, mergePatch()));
  }

  private backends(ns: string): Backend[] {
    const out: Backend[] = [];
    for (const p of this.pods.list(ns)) {
      if (!this.nodeNames.has(p.spec?.nodeName ?? '') || p.metadata?.deletionTimestamp) continue;
      if (p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed' || !p.status?.podIP) continue;
      const entry = this.runtimes.get(keyOf(p));
      if (!entry || entry.uid !== p.metadata?.uid) continue;
      const listening = new Map<number, number>();
      const servers = [...entry.runtime.listeners.values()];
      for (const l of servers) {
        const spec = p.spec?.containers.find((c) => c.name === l.container);
        for (const port of spec?.ports ?? []) listening.set(port.containerPort, l.server.port);
      }
      const ready = p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
      out.push({ pod: p, ready, listening, ...(servers.length === 1 ? { soleListener: servers[0].server.port } : {}) });
    }
    return out;
  }

  private async syncEndpoints(ns: string, name: string): Promise<void> {
    if (!this.synced('services') || !this.synced('pods')) return;
    const key = `${ns}/${name}`;
    const svc = this.services.get(name, ns);
    const desired = svc ? desiredEndpoints(svc, this.backends(ns), this.ip) : undefined;
    if (!desired) {
      if (this.writtenEndpoints.has(key)) {
        await ignoreNotFound(this.core.deleteNamespacedEndpoints({ name, namespace: ns }));
        this.writtenEndpoints.delete(key);
        this.verifiedEndpoints.delete(key);
      }
      return;
    }
    if (sameEndpoints(desired, this.writtenEndpoints.get(key)) && this.verifiedEndpoints.has(key)) return;
    const live = await ignoreNotFound(this.core.readNamespacedEndpoints({ name, namespace: ns }));
    try {
      if (!live) {
        await this.core.createNamespacedEndpoints({ namespace: ns, body: desired });
      } else if (!sameEndpoints(desired, live)) {
        await this.core.replaceNamespacedEndpoints({
          name, namespace: ns,
          body: { ...desired, metadata: { ...live.metadata, labels: desired.metadata?.labels, annotations: { ...(live.metadata?.annotations ?? {}), ...desired.metadata?.annotations } } },
        });
      }
    } catch (err) {
      if (statusCode(err) !== 422) throw err;
      // kube-apiserver refuses loopback endpoint addresses; retrying cannot help until the pods change.
      const level = this.rejectedEndpoints.has(key) ? 'debug' : 'warn';
      this.rejectedEndpoints.add(key);
      this.log[level]({ service: key, ip: this.ip, err: String((err as { body?: unknown }).body ?? err) },
        'the API server rejected the Endpoints; start the simulator with a non-loopback ip to use the service proxy on this server');
    }
    this.verifiedEndpoints.add(key);
    this.writtenEndpoints.set(key, desired);
  }
}
