import prom from 'prom-client';
import type { QueueMetrics } from './queue.js';

/**
 * The operator's metrics, named as controller-runtime names them so that existing operator
 * dashboards and alerts work unchanged. One registry per operator instance (tests run several).
 */
export class OperatorMetrics {
  readonly registry = new prom.Registry();
  readonly reconcileTotal = new prom.Counter({
    name: 'controller_runtime_reconcile_total', help: 'Total number of reconciliations per controller',
    labelNames: ['controller', 'result'] as const, registers: [this.registry],
  });
  readonly reconcileErrors = new prom.Counter({
    name: 'controller_runtime_reconcile_errors_total', help: 'Total number of reconciliation errors per controller',
    labelNames: ['controller'] as const, registers: [this.registry],
  });
  readonly reconcileTime = new prom.Histogram({
    name: 'controller_runtime_reconcile_time_seconds', help: 'Length of time per reconciliation per controller',
    labelNames: ['controller'] as const, registers: [this.registry],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 0.7, 0.8, 0.9, 1, 1.25, 1.5, 1.75, 2, 2.5, 3, 3.5, 4, 4.5, 5, 6, 7, 8, 9, 10, 15, 20, 25, 30, 40, 50, 60],
  });
  readonly activeWorkers = new prom.Gauge({
    name: 'controller_runtime_active_workers', help: 'Number of currently used workers per controller',
    labelNames: ['controller'] as const, registers: [this.registry],
  });
  readonly depth = new prom.Gauge({ name: 'workqueue_depth', help: 'Current depth of workqueue', labelNames: ['name'] as const, registers: [this.registry] });
  readonly adds = new prom.Counter({ name: 'workqueue_adds_total', help: 'Total number of adds handled by workqueue', labelNames: ['name'] as const, registers: [this.registry] });
  readonly retries = new prom.Counter({ name: 'workqueue_retries_total', help: 'Total number of retries handled by workqueue', labelNames: ['name'] as const, registers: [this.registry] });
  readonly queueDuration = new prom.Histogram({
    name: 'workqueue_queue_duration_seconds', help: 'How long in seconds an item stays in workqueue before being requested',
    labelNames: ['name'] as const, registers: [this.registry], buckets: prom.exponentialBuckets(1e-8, 10, 11),
  });
  readonly workDuration = new prom.Histogram({
    name: 'workqueue_work_duration_seconds', help: 'How long in seconds processing an item from workqueue takes',
    labelNames: ['name'] as const, registers: [this.registry], buckets: prom.exponentialBuckets(1e-8, 10, 11),
  });
  readonly resourceReady = new prom.Gauge({
    name: 'agentlab_resource_ready', help: 'Whether an AgentLab resource is Ready (1) or not (0)',
    labelNames: ['kind', 'namespace', 'name'] as const, registers: [this.registry],
  });
  readonly restRequests = new prom.Counter({
    name: 'rest_client_requests_total', help: 'Number of HTTP requests, partitioned by status code and method.',
    labelNames: ['code', 'method'] as const, registers: [this.registry],
  });
  readonly leader = new prom.Gauge({
    name: 'leader_election_master_status', help: 'Gauge of if the reporting system is master of the relevant lease, 0 indicates backup, 1 indicates master.',
    labelNames: ['name'] as const, registers: [this.registry],
  });

  constructor() {
    prom.collectDefaultMetrics({ register: this.registry });
  }

  queueMetrics(name: string): QueueMetrics {
    return {
      depth: (n) => this.depth.set({ name }, n),
      added: () => this.adds.inc({ name }),
      retried: () => this.retries.inc({ name }),
      queued: (s) => this.queueDuration.observe({ name }, s),
      worked: (s) => this.workDuration.observe({ name }, s),
    };
  }
}
