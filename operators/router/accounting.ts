import type { Logger } from 'pino';
import type { KubeClient } from '../runtime/kube.js';
import { API_VERSION } from '../api/constants.js';
import { periodStart as periodStartOf } from '../model/lanes/period.js';
import type { BudgetPeriod } from '../model/lanes/spec.js';
import { addUsage, USAGE_LABEL, usageConfigMapName, usageFromData, usageToData, type LaneUsage } from '../model/lanes/usage.js';
import { runUsageAfterWrite, runUsageCommitted, runUsageConfigMapName, runUsageMetadata, type RunUsageFigures } from '../model/agentrun/usage.js';
import type { RunOwner, RunOwnerKind } from '../model/agentrun/run-owner.js';
import { BudgetLedger, type Amount } from './budget.js';
import type { RouterMetrics } from './metrics.js';
import { DEFAULT_WRITE_TIMEOUT_MS, UsageWriter, type UsageDelta, type UsageTarget } from './usage-writer.js';

export { DEFAULT_WRITE_TIMEOUT_MS };
export type { UsageDelta };

export const laneKey = (lane: string, periodStart: string) => `lane:${lane}@${periodStart}`;
/** A run's account: one per kind, namespace and name (an AgentRun and a Flow of one name are two runs). */
export const runKey = (namespace: string, kind: RunOwnerKind, run: string) => `run:${kind}:${namespace}/${run}`;

const ZERO: Amount = { tokens: 0, costUSD: 0 };

/**
 * Budgets and usage of every lane and every run. Admission is synchronous on the in-memory
 * ledger; usage goes to one ConfigMap per lane (ADR 0011) and one per run (the AgentRun's
 * status.usage), both written by the same UsageWriter, and comes back from every replica
 * through the router's watches, so each replica's admission counts the others' usage.
 */
export class UsageAccounting {
  readonly ledger = new BudgetLedger();
  private readonly writer: UsageWriter;
  /** The latest budget period each lane recorded usage in (earlier periods are retired once written). */
  private readonly lanePeriods = new Map<string, string>();
  /**
   * Usage targets by account key, built once per lane period and per run rather than per request
   * (a run's target names its ConfigMap by a SHA-256 of the run). They depend only on the key's parts.
   */
  private readonly targets = new Map<string, UsageTarget>();

  constructor(
    client: KubeClient,
    private readonly log: Logger,
    metrics: RouterMetrics,
    private readonly opts: { namespace: string; flushIntervalMs: number; laneUid: (lane: string) => string | undefined; runOwner?: (namespace: string, kind: RunOwnerKind, run: string) => RunOwner | undefined; writeTimeoutMs?: number },
  ) {
    this.writer = new UsageWriter(client, log, metrics, this.ledger, { namespace: opts.namespace, flushIntervalMs: opts.flushIntervalMs, writeTimeoutMs: opts.writeTimeoutMs ?? DEFAULT_WRITE_TIMEOUT_MS });
  }

  start(): void {
    this.writer.start();
  }

  stop(): Promise<void> {
    return this.writer.stop();
  }

  flush(): Promise<void> {
    return this.writer.flush();
  }

  flushSoon(): void {
    this.writer.flushSoon();
  }

  /** A lane figure read from a usage ConfigMap (any replica's write). */
  observe(lane: string, u: LaneUsage): void {
    this.ledger.observeCommitted(laneKey(lane, u.periodStart), { tokens: u.promptTokens + u.completionTokens, costUSD: u.costUSD });
  }

  /** A run figure read from its usage ConfigMap: the run's token limit counts every replica's usage and survives restarts. */
  observeRun(namespace: string, kind: RunOwnerKind, run: string, u: RunUsageFigures): void {
    this.ledger.observeCommitted(runKey(namespace, kind, run), { tokens: u.promptTokens + u.completionTokens, costUSD: u.costUSD });
  }

  /** A run's token Secret was deleted: what it used is still written, then its account is dropped. */
  forgetRun(namespace: string, kind: RunOwnerKind, run: string): void {
    this.targets.delete(runKey(namespace, kind, run));
    this.writer.retire(runKey(namespace, kind, run));
  }

  /** Counts a finished request of a lane for the next write (the ledger has already been settled). */
  record(lane: string, period: BudgetPeriod, periodStart: string, d: Partial<UsageDelta>): void {
    const key = laneKey(lane, periodStart);
    this.writer.record(key, this.target(`${key}/${period}`, () => this.laneTarget(lane, period, periodStart)), d);
    const latest = this.lanePeriods.get(lane);
    if (latest === undefined || latest < periodStart) {
      this.lanePeriods.set(lane, periodStart);
      if (latest !== undefined) this.writer.retire(laneKey(lane, latest));
    } else if (latest > periodStart) {
      // A request admitted in the period that just ended: its usage still goes to that period.
      this.writer.retire(key);
    }
  }

  /** Counts a finished request of a run for the next write of the run's usage ConfigMap. */
  recordRun(namespace: string, kind: RunOwnerKind, run: string, d: Partial<UsageDelta>): void {
    const key = runKey(namespace, kind, run);
    this.writer.record(key, this.target(key, () => this.runTarget(namespace, kind, run)), d);
  }

  private target(key: string, make: () => UsageTarget): UsageTarget {
    let t = this.targets.get(key);
    if (!t) {
      // Bounded: lanes' periods and live runs; a full cache starts over (targets are rebuilt on use).
      if (this.targets.size >= 4096) this.targets.clear();
      t = make();
      this.targets.set(key, t);
    }
    return t;
  }

  private laneTarget(lane: string, period: BudgetPeriod, periodStart: string): UsageTarget {
    const inPeriod = (data: Record<string, string> | undefined) => {
      const u = usageFromData(data);
      return u?.periodStart === periodStart ? u : undefined;
    };
    return {
      what: `lane ${lane}`,
      configMap: usageConfigMapName(lane),
      metadata: () => {
        const uid = this.opts.laneUid(lane);
        // Goes with its LanePolicy (a cluster-scoped owner of a namespaced object is allowed).
        return { labels: { [USAGE_LABEL]: lane }, ...(uid ? { ownerReferences: [{ apiVersion: API_VERSION, kind: 'LanePolicy', name: lane, uid }] } : {}) };
      },
      add: (data, delta, now) => {
        const stored = usageFromData(data);
        // Usage of a period that is over is added only while the ConfigMap still counts that period;
        // it never resets a newer one. (A lane switched to a longer period, say Daily to Monthly,
        // has a current period that starts earlier: that one is written, not dropped.)
        if (stored && stored.periodStart !== periodStart && periodStart !== periodStartOf(period, now)) {
          this.log.info({ lane, periodStart }, 'usage of a closed budget period not written');
          return undefined;
        }
        return usageToData(addUsage(stored, delta, periodStart));
      },
      committed: (data) => {
        const u = inPeriod(data);
        return u ? { tokens: u.promptTokens + u.completionTokens, costUSD: u.costUSD } : ZERO;
      },
    };
  }

  private runTarget(namespace: string, kind: RunOwnerKind, run: string): UsageTarget {
    // The run object of the token: a deleted run's figures under the same name are replaced, not added to.
    const owner = this.opts.runOwner?.(namespace, kind, run);
    return {
      what: `${kind} ${namespace}/${run}`,
      configMap: runUsageConfigMapName(namespace, kind, run),
      // No owner: the run is in another namespace than the router's ConfigMap.
      metadata: () => runUsageMetadata(namespace, kind, run),
      add: (data, delta, now) => runUsageAfterWrite(data, delta, owner, now),
      committed: (data) => {
        const u = runUsageCommitted(data, owner?.uid);
        return { tokens: u.promptTokens + u.completionTokens, costUSD: u.costUSD };
      },
    };
  }
}
