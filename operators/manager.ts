import { hostname } from 'node:os';
import type { KubeConfig } from '@kubernetes/client-node';
import pino, { type Logger } from 'pino';
import type prom from 'prom-client';
import type { Controller } from './runtime/controller.js';
import { serveHttp, type HttpEndpoint } from './runtime/http.js';
import { KubeClient, type KubeObject } from './runtime/kube.js';
import { LeaderElector } from './runtime/leader.js';
import { OperatorMetrics } from './runtime/metrics.js';
import { Runtime } from './runtime/runtime.js';
import type { ServiceAccess } from './runtime/service-access.js';
import type { RouterLocation } from './lanepolicy/desiredNetworkPolicy.js';
import type { IssueTrackerFactory } from './issues/types.js';
import { registerStatusMetrics } from './runtime/status-metrics.js';

/**
 * Controller folders, in start order. Each `operators/<folder>/controller.ts` exports
 * `controller` (a runtime Controller, or a function returning one). A folder whose
 * controller.ts does not exist yet is skipped, so kinds land one at a time.
 */
export const CONTROLLER_FOLDERS = ['modelserver', 'lanepolicy', 'agentrun', 'flow', 'hardwaretask'] as const;

/**
 * What every controller factory gets (`export const controller = (deps: ControllerDeps) => ...`):
 * the clients and settings a controller needs from outside, never read from process.env by the
 * controller. Each is optional with a default, and startOperator forwards its options as they
 * are, so a new dependency (an issue-tracker client for AgentRun and HardwareTask) is one more
 * field here and needs no change to startOperator or its callers. `agentlab run` (flags), the
 * Helm chart (args) and `agentlab dev` are where values are read from the outside world.
 */
export interface ControllerDeps {
  /**
   * How controllers reach Services in the cluster (a ModelServer's API). Default: Service DNS
   * in a pod, the API server's service proxy outside (operators/runtime/service-access.ts).
   */
  serviceAccess?: ServiceAccess;
  /** Where the lane router runs: LanePolicy NetworkPolicies allow egress to its pods (default DEFAULT_ROUTER). */
  router?: RouterLocation;
  /**
   * Base URL of the lane router's API as the operator reaches it (`agentlab run --router-url`; the
   * Helm chart sets the router Service's DNS name, `agentlab dev` its local router): the Flow
   * controller's model nodes call it. Unset: model nodes fail with a message saying to set it.
   * AgentRun pods get it as AGENTLAB_ROUTER_URL (unset: http://agentlab-router.<router namespace>.svc:<port>).
   */
  routerUrl?: string;
  /** Agent runner image when an AgentRun's spec.runtime.image is empty (default: the pinned ghcr.io/agentlab/agent-runner). */
  runnerImage?: string;
  /** Engine kubevirt: the containerDisk image carrying the runner when spec.runtime.image is empty (`agentlab run --vm-image`; default ghcr.io/agentlab/agent-runner-disk). */
  vmImage?: string;
  /** Step runner image of Flow tool pods and HardwareTask check/command steps without an image of their own (`agentlab run --step-runner-image`; default STEP_RUNNER_IMAGE). */
  stepRunnerImage?: string;
  /**
   * Builds the issue tracker (GitHub or Forgejo) for a resource's repository and token, for the
   * AgentRun and HardwareTask issue workflow (docs/issues.md). Default: createIssueTracker from
   * operators/issues/ (real HTTP to the configured base URL; tests point it at the fake forges).
   */
  issueTrackers?: IssueTrackerFactory;
  /**
   * How often a resource waiting for a decision on its issue reads the issue's comments
   * (`agentlab run --issue-poll-interval`; default 15 s). Conditional requests (ETag) keep an
   * unchanged poll off GitHub's rate limit.
   */
  issuePollMs?: number;
}

export interface OperatorOptions extends ControllerDeps {
  kubeConfig: KubeConfig;
  logger?: Logger;
  /** Controller names to run (default: all that exist). */
  controllers?: string[];
  /** Restrict namespaced informers to these namespaces (tests use their own namespace). */
  namespaces?: string[];
  /** Restrict cluster-scoped AgentLab informers (tests label their LanePolicies). */
  labelSelector?: string;
  leaderElection?: false | {
    namespace: string; name: string; identity?: string;
    leaseDurationMs?: number; renewDeadlineMs?: number; retryPeriodMs?: number;
  };
  /** 0 = random port, undefined = off. Both bind 127.0.0.1 unless bindAddress is set. */
  healthPort?: number;
  metricsPort?: number;
  bindAddress?: string;
  /** Reconciles in flight across all controllers (default 16). */
  maxConcurrentReconciles?: number;
  /**
   * Workers of named controllers (`agentlab run --controller-workers agentrun=32`), instead of the
   * controller's own count (Controller.maxConcurrentReconciles, default 4); within the cap above.
   * A name the operator does not run is an error.
   */
  controllerWorkers?: Record<string, number>;
  /** Periodic resync of cached objects (default 10 minutes). */
  resyncPeriodMs?: number;
  /** Controllers to run instead of the discovered ones (tests, embedding); the ControllerDeps options are not applied to them. */
  controllerOverrides?: Controller<KubeObject>[];
}

export interface Operator {
  stop(): Promise<void>;
  metricsUrl?: string;
  healthUrl?: string;
  registry: prom.Registry;
  /** Whether this replica currently reconciles (always true without leader election). */
  isLeader(): boolean;
  /** The runtime, for benchmarks and tests that need to observe queues and caches. */
  runtime: Runtime;
  client: KubeClient;
}

type ControllerExport = Controller<KubeObject> | ((deps: ControllerDeps) => Controller<KubeObject>);

/**
 * Whether an import error says the folder's controller module itself does not exist (pure). A
 * module the controller imports that is missing is not that: it is an error in the controller.
 */
export function controllerFileMissing(err: unknown, folder: string, href: string): boolean {
  const e = err as { code?: string; message?: string; url?: string };
  if (e.code !== 'ERR_MODULE_NOT_FOUND') return false;
  if (e.url !== undefined) return e.url === href || e.url === href.replace(/\.js$/, '.ts');
  // No url: the module named first in the message ("Cannot find module '<it>' imported from ...").
  const named = /module '([^']+)'/.exec(e.message ?? '')?.[1] ?? '';
  return new RegExp(`(^|/)${folder}/controller\\.(js|ts)$`).test(named);
}

async function loadController(folder: string, deps: ControllerDeps): Promise<Controller<KubeObject> | undefined> {
  const url = new URL(`./${folder}/controller.js`, import.meta.url);
  let mod: { controller?: ControllerExport };
  try {
    mod = (await import(url.href)) as { controller?: ControllerExport };
  } catch (err) {
    // Only "this folder has no controller yet" is skipped; errors inside a controller surface.
    if (controllerFileMissing(err, folder, url.href)) return undefined;
    throw err;
  }
  if (!mod.controller) throw new Error(`operators/${folder}/controller.ts does not export "controller"`);
  return typeof mod.controller === 'function' ? mod.controller(deps) : mod.controller;
}

/** Loads the controllers to run: all existing ones, or the named subset (unknown names are an error). */
export async function loadControllers(names?: string[], deps: ControllerDeps = {}): Promise<Controller<KubeObject>[]> {
  for (const n of names ?? []) {
    if (!(CONTROLLER_FOLDERS as readonly string[]).includes(n)) {
      throw new Error(`unknown controller "${n}"; known: ${CONTROLLER_FOLDERS.join(', ')}`);
    }
  }
  const out: Controller<KubeObject>[] = [];
  const missing: string[] = [];
  for (const folder of CONTROLLER_FOLDERS) {
    if (names && !names.includes(folder)) continue;
    const c = await loadController(folder, deps);
    if (c) out.push(c);
    else if (names) missing.push(folder);
  }
  if (missing.length > 0) {
    throw new Error(`no ${missing.join(', ')} controller in this version: its CRD is served and validated, but nothing reconciles it yet; leave it out of the controller list`);
  }
  return out;
}

/**
 * Starts every controller on one runtime: informers first (a standby replica keeps warm
 * caches), workers once this replica leads. stop() stops intake, lets in-flight reconciles
 * finish, releases the lease and closes the endpoints.
 */
export async function startOperator(opts: OperatorOptions): Promise<Operator> {
  const log = opts.logger ?? pino({ name: 'agentlab-operator' });
  const identity = opts.leaderElection ? opts.leaderElection.identity ?? `${hostname()}_${process.pid}_${Math.random().toString(36).slice(2, 8)}` : hostname();
  const client = new KubeClient(opts.kubeConfig);
  const metrics = new OperatorMetrics();
  client.onResponse = (method, code) => metrics.restRequests.inc({ method, code: String(code) });
  const runtime = new Runtime({
    client, logger: log, metrics, identity,
    namespaces: opts.namespaces, labelSelector: opts.labelSelector,
    maxConcurrentReconciles: opts.maxConcurrentReconciles, resyncPeriodMs: opts.resyncPeriodMs,
    controllerWorkers: opts.controllerWorkers,
  });
  // OperatorOptions extends ControllerDeps: every dependency given to startOperator reaches the factories.
  const deps: ControllerDeps = opts;
  const controllers = opts.controllerOverrides ?? await loadControllers(opts.controllers, deps);
  const unknownWorkers = unknownControllerNames(opts.controllerWorkers, controllers.map((c) => c.name));
  if (unknownWorkers.length > 0) {
    client.close();
    throw new Error(`controller workers given for ${unknownWorkers.join(', ')}, which this operator does not run (it runs ${controllers.map((c) => c.name).join(', ')}); fix --controller-workers`);
  }
  for (const c of controllers) runtime.register(c);
  registerStatusMetrics(metrics.registry, runtime, controllers.map((c) => c.for).filter((r) => r.group === 'agentlab.dev'));
  log.info({ controllers: controllers.map((c) => c.name), namespaces: opts.namespaces, identity }, 'starting operator');

  let leading = false;
  let stopped = false;
  const endpoints: HttpEndpoint[] = [];
  const bind = opts.bindAddress;
  let healthUrl: string | undefined;
  let metricsUrl: string | undefined;
  const checks = { healthy: () => !stopped, ready: () => !stopped && runtime.cachesSynced() };
  if (opts.healthPort !== undefined) {
    const ep = await serveHttp({ port: opts.healthPort, host: bind, checks });
    endpoints.push(ep);
    healthUrl = ep.url;
  }
  if (opts.metricsPort !== undefined) {
    const ep = await serveHttp({ port: opts.metricsPort, host: bind, registry: metrics.registry });
    endpoints.push(ep);
    metricsUrl = ep.url;
  }

  runtime.startInformers();
  await runtime.waitForCacheSync();

  const le = opts.leaderElection;
  let elector: LeaderElector | undefined;
  let stopping: Promise<void> | undefined;
  if (le) {
    metrics.leader.set({ name: le.name }, 0);
    elector = new LeaderElector({
      client, namespace: le.namespace, name: le.name, identity, logger: log,
      leaseDurationMs: le.leaseDurationMs, renewDeadlineMs: le.renewDeadlineMs, retryPeriodMs: le.retryPeriodMs,
      onStartedLeading: () => {
        leading = true;
        metrics.leader.set({ name: le.name }, 1);
        runtime.startControllers();
      },
      onStoppedLeading: () => {
        leading = false;
        metrics.leader.set({ name: le.name }, 0);
        // Another replica may already be reconciling: stop at once; workers restart if we lead again.
        void runtime.stopControllers();
      },
    });
    elector.start();
  } else {
    leading = true;
    runtime.startControllers();
  }

  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      stopped = true;
      log.info('stopping operator: finishing in-flight reconciles');
      await runtime.stopControllers();
      await elector?.stop();
      leading = false;
      await runtime.stopInformers();
      await Promise.all(endpoints.map((e) => e.close()));
      client.close();
      log.info('operator stopped');
    })();
    return stopping;
  };

  return { stop, metricsUrl, healthUrl, registry: metrics.registry, isLeader: () => leading, runtime, client };
}

/** Stops the operator on SIGTERM/SIGINT (what `agentlab run` uses): drain, release, exit. */
export function stopOnSignals(op: Operator, log: Logger): void {
  const handler = (sig: string) => {
    log.info({ signal: sig }, 'shutdown requested');
    op.stop().then(() => process.exit(0), (err: unknown) => { log.error({ err }, 'shutdown failed'); process.exit(1); });
  };
  process.once('SIGTERM', () => handler('SIGTERM'));
  process.once('SIGINT', () => handler('SIGINT'));
}

/** Names in a per-controller setting that are not among the controllers run. */
export function unknownControllerNames(setting: Record<string, unknown> | undefined, running: string[]): string[] {
  return Object.keys(setting ?? {}).filter((n) => !running.includes(n));
}
