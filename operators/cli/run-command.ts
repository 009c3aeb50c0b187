import { existsSync, readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import pino from 'pino';
import { parseBindAddress, parseFlags, parseLogLevel, UsageError, type Command } from './command.js';
import { loadKubeConfig } from './kubeconfig.js';
import { parseRouterLocation } from '../lanepolicy/router-location.js';
import { DEFAULT_RUNNER_IMAGE } from '../agentrun/desired.js';
import { DEFAULT_VM_IMAGE } from '../agentrun/kubevirt.js';
import { parseDuration } from '../agentrun/runner/tools/duration.js';
import { STEP_RUNNER_IMAGE } from '../model/steps/step-runner.js';

const SERVICE_ACCOUNT_NAMESPACE = '/var/run/secrets/kubernetes.io/serviceaccount/namespace';
export const LEADER_ELECTION_ID = 'agentlab-operator';

const help = `Run the AgentLab operator: the controllers of every kind this version reconciles on one
runtime, against the cluster of the kubeconfig, or in-cluster when running inside a pod. Stops cleanly on SIGTERM or Ctrl-C: in-flight reconciles finish and the
leader lease is released.

Usage:
  agentlab run [flags]

Flags:
      --kubeconfig <path>                  kubeconfig file (default: $KUBECONFIG, ~/.kube/config, in-cluster)
  -n, --namespace <ns>                     watch only this namespace; repeat for several (default: all)
      --leader-elect                       elect a leader through a coordination.k8s.io Lease (run 2 replicas safely)
      --leader-election-namespace <ns>     namespace of the Lease (default: the pod's namespace, else agentlab-system)
      --metrics-bind-address <addr>        serve /metrics on host:port; ":8080" is every interface, "0" disables
                                           (default 127.0.0.1:8080)
      --health-probe-bind-address <addr>   serve /healthz and /readyz (default 127.0.0.1:8081; "0" disables)
      --log-level <level>                  fatal, error, warn, info, debug, trace or silent (default info)
      --router-namespace <ns>              namespace of the lane router's pods: LanePolicy NetworkPolicies allow
                                           egress to them (default agentlab-system)
      --router-pod-labels <k=v,...>        labels selecting the router's pods (default app.kubernetes.io/name=agentlab-router)
      --router-port <port>                 the router's container port (default 8080)
      --router-url <url>                   base URL of the router's API as the operator reaches it, e.g.
                                           http://agentlab-router.agentlab-system.svc:8080 (Flow model nodes call it;
                                           AgentRun pods get it as AGENTLAB_ROUTER_URL)
      --runner-image <image>               agent runner image of AgentRuns without spec.runtime.image
                                           (default ${DEFAULT_RUNNER_IMAGE})
      --vm-image <image>                   containerDisk image carrying the runner, for AgentRuns with
                                           runtime.vm.engine kubevirt and no spec.runtime.image
                                           (default ${DEFAULT_VM_IMAGE})
      --step-runner-image <image>          step runner image of Flow tool pods and HardwareTask check and command
                                           steps without their own image (default ${STEP_RUNNER_IMAGE})
      --issue-poll-interval <duration>     how often a run waiting for a decision reads its issue's comments,
                                           e.g. 30s or 1m (default 15s; at least 1s)
      --max-concurrent-reconciles <n>      reconciles in flight at once across all controllers (default 16; each
                                           controller also has its own worker count: 4, ModelServer and AgentRun 16)
      --controller-workers <name=n,...>    a controller's own workers, like controller-runtime's
                                           MaxConcurrentReconciles, e.g. agentrun=32,flow=8 (1-1024 each; names:
                                           modelserver, lanepolicy, agentrun, flow, hardwaretask)
  -h, --help                               show this help

Examples:
  agentlab run --kubeconfig ~/.kube/k3s.yaml
  agentlab run --leader-elect --metrics-bind-address :8080 --health-probe-bind-address :8081
`;

/** The namespace of the Lease: the flag, else the pod's own namespace, else agentlab-system. */
export function leaseNamespace(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  if (flag) return flag;
  if (env.POD_NAMESPACE) return env.POD_NAMESPACE;
  if (existsSync(SERVICE_ACCOUNT_NAMESPACE)) return readFileSync(SERVICE_ACCOUNT_NAMESPACE, 'utf8').trim();
  return 'agentlab-system';
}

/**
 * This replica's Lease identity: the hostname (the pod name in a cluster) plus a UUID, as
 * controller-runtime makes it. The hostname alone is shared by two processes on one machine or two
 * hostNetwork pods on one node, and each would then renew the other's lease and lead as well.
 */
export function leaderIdentity(): string {
  return `${hostname()}_${randomUUID()}`;
}

/** Options for startOperator from the command line; throws UsageError on bad flags. */
export function operatorFlags(args: string[]) {
  const parsed = parseFlags(args, {
    kubeconfig: { type: 'string' },
    namespace: { type: 'string', short: 'n', multiple: true },
    'leader-elect': { type: 'boolean' },
    'leader-election-namespace': { type: 'string' },
    'metrics-bind-address': { type: 'string' },
    'health-probe-bind-address': { type: 'string' },
    'log-level': { type: 'string' },
    'router-namespace': { type: 'string' },
    'router-pod-labels': { type: 'string' },
    'router-port': { type: 'string' },
    'router-url': { type: 'string' },
    'runner-image': { type: 'string' },
    'vm-image': { type: 'string' },
    'step-runner-image': { type: 'string' },
    'issue-poll-interval': { type: 'string' },
    'max-concurrent-reconciles': { type: 'string' },
    'controller-workers': { type: 'string' },
  }, false);
  if (!parsed) return undefined;
  const v = parsed.values;
  const metrics = parseBindAddress('metrics-bind-address', v['metrics-bind-address'] ?? '127.0.0.1:8080');
  const health = parseBindAddress('health-probe-bind-address', v['health-probe-bind-address'] ?? '127.0.0.1:8081');
  if (metrics && health && metrics.host !== health.host) {
    throw new UsageError(`--metrics-bind-address and --health-probe-bind-address must use the same host (got ${metrics.host} and ${health.host})`);
  }
  return {
    kubeconfig: v.kubeconfig,
    namespaces: v.namespace && v.namespace.length > 0 ? v.namespace : undefined,
    leaderElect: v['leader-elect'] === true,
    leaseNamespace: v['leader-election-namespace'],
    metricsPort: metrics?.port,
    healthPort: health?.port,
    bindAddress: metrics?.host ?? health?.host,
    logLevel: parseLogLevel(v['log-level']),
    router: routerFlags(v),
    routerUrl: routerUrlFlag(v['router-url']),
    runnerImage: imageFlag('runner-image', v['runner-image'], 'ghcr.io/agentlab/agent-runner'),
    vmImage: imageFlag('vm-image', v['vm-image'], 'ghcr.io/agentlab/agent-runner-disk'),
    stepRunnerImage: imageFlag('step-runner-image', v['step-runner-image'], 'ghcr.io/agentlab/step-runner'),
    issuePollMs: issuePollFlag(v['issue-poll-interval']),
    maxConcurrentReconciles: maxConcurrentReconcilesFlag(v['max-concurrent-reconciles']),
    controllerWorkers: controllerWorkersFlag(v['controller-workers']),
  };
}

// An image reference as the container runtime parses it: [registry[:port]/]path[:tag][@sha256:digest].
const IMAGE_REFERENCE = /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9.-]*[a-zA-Z0-9])?(?::[0-9]+)?\/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*(?::[\w][\w.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$/;

/** An image flag (--runner-image, --step-runner-image) must be an image reference (the pod would otherwise fail with InvalidImageName). */
export function imageFlag(flag: string, value: string | undefined, example: string): string | undefined {
  if (value === undefined) return undefined;
  if (!IMAGE_REFERENCE.test(value)) {
    throw new UsageError(`--${flag} ${JSON.stringify(value)} is not an image reference; expected e.g. ${example}:0.1.0 or ${example}@sha256:<64 hex>`);
  }
  return value;
}

/** --issue-poll-interval: a duration (30s, 1m) of at least one second. */
export function issuePollFlag(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = parseDuration(value);
  if (ms === undefined || ms < 1000) throw new UsageError(`--issue-poll-interval ${JSON.stringify(value)} is not a duration of at least 1s; expected e.g. 15s, 30s or 1m`);
  return ms;
}

/** --max-concurrent-reconciles: a whole number from 1 to 1024 (like controller-runtime's MaxConcurrentReconciles). */
export function maxConcurrentReconcilesFlag(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!(n >= 1 && n <= 1024)) throw new UsageError(`--max-concurrent-reconciles ${JSON.stringify(value)} is not a whole number from 1 to 1024; expected e.g. 16`);
  return n;
}

/**
 * --controller-workers: `name=n` pairs separated by commas, each a controller's own worker count
 * (its MaxConcurrentReconciles) from 1 to 1024. Whether each name is a controller the operator
 * runs is checked when the operator starts (startOperator).
 */
export function controllerWorkersFlag(value: string | undefined): Record<string, number> | undefined {
  if (value === undefined) return undefined;
  const workers: Record<string, number> = {};
  for (const pair of value.split(',').map((p) => p.trim()).filter(Boolean)) {
    const m = /^([a-z][a-z0-9-]*)=(\d+)$/.exec(pair);
    const n = m ? Number(m[2]) : NaN;
    if (!m || !(n >= 1 && n <= 1024)) throw new UsageError(`--controller-workers: ${JSON.stringify(pair)} is not <controller>=<whole number from 1 to 1024>; expected e.g. agentrun=32,flow=8`);
    if (m[1] in workers) throw new UsageError(`--controller-workers: controller ${m[1]} is given twice`);
    workers[m[1]] = n;
  }
  if (Object.keys(workers).length === 0) throw new UsageError('--controller-workers is empty; expected e.g. agentrun=32,flow=8');
  return workers;
}

/** --router-url must be an absolute http(s) URL; a trailing slash is dropped. */
export function routerUrlFlag(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`--router-url ${JSON.stringify(value)} is not a URL; expected e.g. http://agentlab-router.agentlab-system.svc:8080`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`--router-url ${JSON.stringify(value)} must be an http or https URL`);
  return value.replace(/\/+$/, '');
}

function routerFlags(v: { 'router-namespace'?: string; 'router-pod-labels'?: string; 'router-port'?: string }) {
  try {
    return parseRouterLocation(v);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

export const runCommand: Command = {
  name: 'run',
  summary: 'run the operator',
  help,
  async run(args, io) {
    const flags = operatorFlags(args);
    if (!flags) {
      io.stdout(help);
      return 0;
    }
    const logger = pino({ name: 'agentlab-operator', level: flags.logLevel });
    const kubeConfig = loadKubeConfig(flags.kubeconfig);
    const { startOperator, stopOnSignals } = await import('../manager.js');
    const operator = await startOperator({
      kubeConfig,
      logger,
      namespaces: flags.namespaces,
      leaderElection: flags.leaderElect ? { namespace: leaseNamespace(flags.leaseNamespace), name: LEADER_ELECTION_ID, identity: leaderIdentity() } : false,
      metricsPort: flags.metricsPort,
      healthPort: flags.healthPort,
      bindAddress: flags.bindAddress,
      router: flags.router,
      routerUrl: flags.routerUrl,
      runnerImage: flags.runnerImage,
      vmImage: flags.vmImage,
      stepRunnerImage: flags.stepRunnerImage,
      issuePollMs: flags.issuePollMs,
      maxConcurrentReconciles: flags.maxConcurrentReconciles,
      controllerWorkers: flags.controllerWorkers,
    });
    logger.info({ server: kubeConfig.getCurrentCluster()?.server, metricsUrl: operator.metricsUrl, healthUrl: operator.healthUrl }, 'operator running');
    stopOnSignals(operator, logger);
    // Runs until a signal stops it (stopOnSignals exits the process).
    await new Promise<never>(() => {});
    return 0;
  },
};
