// One replica of the operator in its own process, as `agentlab run` starts it (every controller
// loaded from its folder, production defaults), limited to the chaos run's namespaces and labelled
// LanePolicies so that a shared test cluster's other objects are left alone. The chaos driver
// SIGKILLs it at random moments and starts it again. Leader election is on when LEASE_NAMESPACE is
// set; each process gets a unique identity (hostname_pid_random), as two replicas must.
// Env: KUBECONFIG, NAMESPACES, LABEL_SELECTOR, ROUTER_NAMESPACE, ROUTER_POD_LABELS (JSON),
// ROUTER_PORT, ROUTER_URL; optional LEASE_NAMESPACE, LEASE_MS, SIMULATED_SERVICES=1, ISSUE_POLL_MS
// (`agentlab run --issue-poll-interval`: how often a resource waiting for a person reads its issue),
// AGENTLAB_TEST_LOG_FILE (the JSON log at debug level, appended to this file: what a failed run's
// diagnosis reads) and AGENTLAB_TEST_LOG_LEVEL (the level written to stderr; default silent).
// Prints `started <metrics URL>` once its caches are synced.
import { KubeConfig } from '@kubernetes/client-node';
import pino from 'pino';
import { startOperator, stopOnSignals } from '../../operators/manager.js';
import { LEADER_ELECTION_ID } from '../../operators/cli/run-command.js';
import { simulatedServiceAccess } from '../../hack/nodesim/service-access.js';

const env = (k: string): string => {
  const v = process.env[k];
  if (!v) throw new Error(`${k} is required`);
  return v;
};

const kc = new KubeConfig();
kc.loadFromFile(env('KUBECONFIG'));
const stderrLevel = process.env.AGENTLAB_TEST_LOG_LEVEL ?? 'silent';
const logFile = process.env.AGENTLAB_TEST_LOG_FILE;
// Asynchronous writes (a SIGKILL loses at most the last lines); stderr keeps its own level.
const streams: pino.StreamEntry[] = [
  ...(logFile ? [{ level: 'debug' as const, stream: pino.destination({ dest: logFile, append: true, sync: false, mkdir: true }) }] : []),
  ...(stderrLevel !== 'silent' ? [{ level: stderrLevel as pino.Level, stream: pino.destination(2) }] : []),
];
const log = streams.length > 0
  ? pino({ level: logFile ? 'debug' : stderrLevel }, pino.multistream(streams))
  : pino({ level: 'silent' });
log.info('chaos operator process starting');
const leaseMs = Number(process.env.LEASE_MS ?? 15_000);
const op = await startOperator({
  kubeConfig: kc, logger: log,
  namespaces: env('NAMESPACES').split(','), labelSelector: env('LABEL_SELECTOR'),
  router: { namespace: env('ROUTER_NAMESPACE'), podLabels: JSON.parse(env('ROUTER_POD_LABELS')) as Record<string, string>, port: Number(env('ROUTER_PORT')) },
  routerUrl: env('ROUTER_URL'),
  serviceAccess: process.env.SIMULATED_SERVICES === '1' ? simulatedServiceAccess(kc) : undefined,
  ...(process.env.ISSUE_POLL_MS ? { issuePollMs: Number(process.env.ISSUE_POLL_MS) } : {}),
  // client-go's ratios (15/10/2 s) scaled to LEASE_MS, so a standby takes over within a lease.
  leaderElection: process.env.LEASE_NAMESPACE
    ? { namespace: process.env.LEASE_NAMESPACE, name: LEADER_ELECTION_ID, leaseDurationMs: leaseMs, renewDeadlineMs: (leaseMs * 2) / 3, retryPeriodMs: leaseMs / 7.5 }
    : false,
  metricsPort: 0,
});
stopOnSignals(op, log);
process.stdout.write(`started ${op.metricsUrl}\n`);
