import type { Logger } from 'pino';
import { isAlreadyExists, isConflict, isNotFound, type KubeClient, type KubeObject } from '../runtime/kube.js';
import { MANAGED_BY_LABEL, MANAGED_BY_VALUE } from '../runtime/apply.js';
import { API_VERSION } from '../api/constants.js';
import { CONFIGMAPS } from '../lanepolicy/resources.js';
import { addUsage, USAGE_LABEL, usageConfigMapName, usageFromData, usageToData, type LaneUsage } from '../lanepolicy/usage.js';
import { BudgetLedger } from './budget.js';
import type { RouterMetrics } from './metrics.js';

type Delta = Omit<LaneUsage, 'periodStart'>;
const zeroDelta = (): Delta => ({ costUSD: 0, promptTokens: 0, completionTokens: 0, requests: 0, fallbacks: 0 });
const isZero = (d: Delta) => d.requests === 0 && d.costUSD === 0 && d.promptTokens === 0 && d.completionTokens === 0 && d.fallbacks === 0;

export const laneKey = (lane: string, periodStart: string) => `lane:${lane}@${periodStart}`;
export const runKey = (namespace: string, run: string) => `run:${namespace}/${run}`;

/**
 * Budgets and usage of every lane. Admission is synchronous on the in-memory ledger; usage is
 * written in batches to one ConfigMap per lane (GET + PUT with resourceVersion, retried on
 * conflict), so several router replicas add up and no request waits for the API server.
 */
export class LaneAccounting {
  readonly ledger = new BudgetLedger();
  private readonly pending = new Map<string, { lane: string; periodStart: string; delta: Delta }>();
  private timer?: NodeJS.Timeout;
  private soon?: NodeJS.Timeout;
  /** The flush writing now, and the one that starts after it (later callers join that one). */
  private running?: Promise<void>;
  private queued?: Promise<void>;

  constructor(
    private readonly client: KubeClient,
    private readonly log: Logger,
    private readonly metrics: RouterMetrics,
    private readonly opts: { namespace: string; flushIntervalMs: number; laneUid: (lane: string) => string | undefined },
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.flush(), this.opts.flushIntervalMs);
    this.timer.unref();
  }

  /** Writes what is pending before the router exits; a failed write is tried twice more, then reported. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    if (this.soon) clearTimeout(this.soon);
    for (let attempt = 0; attempt < 3 && this.unwritten().length > 0; attempt++) await this.flush();
    for (const p of this.unwritten()) this.log.error({ lane: p.lane, periodStart: p.periodStart, ...p.delta }, 'lane usage could not be written before the router stopped');
  }

  private unwritten() {
    return [...this.pending.values()].filter((p) => !isZero(p.delta));
  }

  /** A figure read from a usage ConfigMap (any replica's write). */
  observe(lane: string, u: LaneUsage): void {
    this.ledger.observeCommitted(laneKey(lane, u.periodStart), { tokens: u.promptTokens + u.completionTokens, costUSD: u.costUSD });
  }

  /** Drops a finished run's token account (its Secret was deleted). */
  forgetRun(namespace: string, run: string): void {
    this.ledger.delete(runKey(namespace, run));
  }

  /** Counts a finished request for the next write (the ledger has already been settled). */
  record(lane: string, periodStart: string, d: Partial<Delta>): void {
    const key = laneKey(lane, periodStart);
    let p = this.pending.get(key);
    if (!p) {
      p = { lane, periodStart, delta: zeroDelta() };
      this.pending.set(key, p);
    }
    for (const k of Object.keys(d) as (keyof Delta)[]) p.delta[k] += d[k] ?? 0;
  }

  /** Writes soon (a refused request should show on the LanePolicy without waiting a full interval). */
  flushSoon(): void {
    if (this.soon) return;
    this.soon = setTimeout(() => {
      this.soon = undefined;
      void this.flush();
    }, 100);
    this.soon.unref();
  }

  /**
   * Writes every usage recorded before the call; resolves once it is in the ConfigMaps (or the
   * write failed and the usage is pending again). Flushes run one at a time: a caller arriving
   * while one runs waits for it and then for a flush of its own, which every caller arriving
   * meanwhile shares (periodic ticks during a slow write do not pile up).
   */
  flush(): Promise<void> {
    if (this.queued) return this.queued;
    if (!this.running) return this.startFlush();
    const queued = this.running.then(() => {
      this.queued = undefined;
      return this.startFlush();
    });
    this.queued = queued;
    return queued;
  }

  private startFlush(): Promise<void> {
    const run = this.flushAll().finally(() => {
      this.running = undefined;
    });
    this.running = run;
    return run;
  }

  private async flushAll(): Promise<void> {
    const work = [...this.pending.entries()].filter(([, p]) => !isZero(p.delta));
    await Promise.all(work.map(([key, p]) => this.flushOne(key, p.lane, p.periodStart)));
    // A lane's accounts of earlier periods, once fully written, are not needed any more.
    const latest = new Map<string, string>();
    for (const p of this.pending.values()) if ((latest.get(p.lane) ?? '') < p.periodStart) latest.set(p.lane, p.periodStart);
    for (const [key, p] of this.pending) {
      if (isZero(p.delta) && p.periodStart < latest.get(p.lane)!) {
        this.pending.delete(key);
        this.ledger.delete(key);
      }
    }
  }

  private async flushOne(key: string, lane: string, periodStart: string): Promise<void> {
    const p = this.pending.get(key)!;
    const delta = p.delta;
    p.delta = zeroDelta();
    this.ledger.beginFlush(key);
    try {
      const total = await this.write(lane, periodStart, delta);
      this.ledger.endFlush(key, total ? { tokens: total.promptTokens + total.completionTokens, costUSD: total.costUSD } : { tokens: 0, costUSD: 0 });
      this.metrics.usageFlushes.inc({ result: 'success' });
    } catch (err) {
      this.ledger.abortFlush(key);
      for (const k of Object.keys(delta) as (keyof Delta)[]) p.delta[k] += delta[k];
      this.metrics.usageFlushes.inc({ result: 'error' });
      this.log.warn({ lane, err: (err as Error).message }, 'writing lane usage failed; will retry');
    }
  }

  /** Adds `delta` to the lane's ConfigMap; returns the new total (undefined when the period had already ended). */
  private async write(lane: string, periodStart: string, delta: Delta): Promise<LaneUsage | undefined> {
    const ns = this.opts.namespace;
    const name = usageConfigMapName(lane);
    for (let attempt = 0; attempt < 8; attempt++) {
      let live: (KubeObject & { data?: Record<string, string> }) | undefined;
      try {
        live = await this.client.get(CONFIGMAPS, ns, name);
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
      const stored = usageFromData(live?.data);
      // A write for a period that is already over would reset the new one: that usage is dropped.
      if (stored && stored.periodStart > periodStart) {
        this.log.info({ lane, periodStart }, 'usage of a closed budget period not written');
        return undefined;
      }
      const total = addUsage(stored, delta, periodStart);
      try {
        if (!live) {
          const uid = this.opts.laneUid(lane);
          await this.client.create(CONFIGMAPS, {
            apiVersion: 'v1',
            kind: 'ConfigMap',
            metadata: {
              name,
              namespace: ns,
              labels: { [USAGE_LABEL]: lane, [MANAGED_BY_LABEL]: MANAGED_BY_VALUE },
              // Goes with its LanePolicy (a cluster-scoped owner of a namespaced object is allowed).
              ...(uid ? { ownerReferences: [{ apiVersion: API_VERSION, kind: 'LanePolicy', name: lane, uid }] } : {}),
            },
            data: usageToData(total),
          });
        } else {
          await this.client.replace(CONFIGMAPS, { ...live, data: usageToData(total) });
        }
        return total;
      } catch (err) {
        if (isConflict(err) || isAlreadyExists(err)) continue;
        throw err;
      }
    }
    throw new Error(`usage ConfigMap ${ns}/${name} kept changing; gave up after 8 attempts`);
  }
}
