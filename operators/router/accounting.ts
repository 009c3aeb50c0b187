import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import { isAlreadyExists, isConflict, isNotFound, resourcePath, type KubeClient, type KubeObject } from '../runtime/kube.js';
import { MANAGED_BY_LABEL, MANAGED_BY_VALUE } from '../runtime/apply.js';
import { API_VERSION } from '../api/constants.js';
import { CONFIGMAPS } from '../model/lanes/resources.js';
import { periodStart as periodStartOf } from '../model/lanes/period.js';
import type { BudgetPeriod } from '../model/lanes/spec.js';
import { addUsage, USAGE_LABEL, usageConfigMapName, usageFromData, usageToData, type LaneUsage } from '../model/lanes/usage.js';
import { BudgetLedger } from './budget.js';
import type { RouterMetrics } from './metrics.js';
import { landedBatch, markAfterWrite, outcomeUnknown, USAGE_WRITES_ANNOTATION } from './usage-marks.js';

type Delta = Omit<LaneUsage, 'periodStart'>;
const zeroDelta = (): Delta => ({ costUSD: 0, promptTokens: 0, completionTokens: 0, requests: 0, fallbacks: 0 });
const isZero = (d: Delta) => d.requests === 0 && d.costUSD === 0 && d.promptTokens === 0 && d.completionTokens === 0 && d.fallbacks === 0;
const sum = (ds: Delta[]): Delta => {
  const out = zeroDelta();
  for (const d of ds) for (const k of Object.keys(out) as (keyof Delta)[]) out[k] += d[k];
  return out;
};

export const laneKey = (lane: string, periodStart: string) => `lane:${lane}@${periodStart}`;
export const runKey = (namespace: string, run: string) => `run:${namespace}/${run}`;

/** One lane period's usage on its way to the ConfigMap. */
interface Pending {
  lane: string;
  period: BudgetPeriod;
  periodStart: string;
  /** Recorded since the last flush began. */
  open: Delta;
  /** Numbered batches not known to be in the ConfigMap (a failed write, or one whose answer was lost). */
  batches: { id: number; delta: Delta }[];
}

type UsageConfigMap = KubeObject & { data?: Record<string, string> };

/** How long one API call of a usage write may take before its answer is given up on. */
export const DEFAULT_WRITE_TIMEOUT_MS = 10_000;
const ATTEMPTS = 8;

/**
 * Budgets and usage of every lane. Admission is synchronous on the in-memory ledger; usage is
 * written in batches to one ConfigMap per lane (GET + PUT with resourceVersion, retried on
 * conflict), so several router replicas add up and no request waits for the API server. Each
 * write records which of this router's batches it carries (usage-marks.ts), so a write whose
 * answer was lost is neither counted twice nor dropped.
 */
export class LaneAccounting {
  readonly ledger = new BudgetLedger();
  private readonly pending = new Map<string, Pending>();
  /** This process's name in the ConfigMaps' write marks, and its last batch number. */
  private readonly writer = `${hostname()}-${randomBytes(4).toString('hex')}`;
  private lastBatch = 0;
  private timer?: NodeJS.Timeout;
  private soon?: NodeJS.Timeout;
  /** The flush writing now, and the one that starts after it (later callers join that one). */
  private running?: Promise<void>;
  private queued?: Promise<void>;

  constructor(
    private readonly client: KubeClient,
    private readonly log: Logger,
    private readonly metrics: RouterMetrics,
    private readonly opts: { namespace: string; flushIntervalMs: number; laneUid: (lane: string) => string | undefined; writeTimeoutMs?: number },
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
    for (const p of this.unwritten()) this.log.error({ lane: p.lane, periodStart: p.periodStart, ...sum([p.open, ...p.batches.map((b) => b.delta)]) }, 'lane usage could not be written before the router stopped');
  }

  private unwritten(): Pending[] {
    return [...this.pending.values()].filter((p) => !isIdle(p));
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
  record(lane: string, period: BudgetPeriod, periodStart: string, d: Partial<Delta>): void {
    const key = laneKey(lane, periodStart);
    let p = this.pending.get(key);
    if (!p) {
      p = { lane, period, periodStart, open: zeroDelta(), batches: [] };
      this.pending.set(key, p);
    }
    p.period = period;
    for (const k of Object.keys(d) as (keyof Delta)[]) p.open[k] += d[k] ?? 0;
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
    const work = [...this.pending.entries()].filter(([, p]) => !isIdle(p));
    await Promise.all(work.map(([key, p]) => this.flushOne(key, p)));
    // A lane's accounts of earlier periods, once fully written, are not needed any more.
    const latest = new Map<string, string>();
    for (const p of this.pending.values()) if ((latest.get(p.lane) ?? '') < p.periodStart) latest.set(p.lane, p.periodStart);
    for (const [key, p] of this.pending) {
      if (isIdle(p) && p.periodStart < latest.get(p.lane)!) {
        this.pending.delete(key);
        this.ledger.delete(key);
      }
    }
  }

  private async flushOne(key: string, p: Pending): Promise<void> {
    if (!isZero(p.open)) {
      p.batches.push({ id: ++this.lastBatch, delta: p.open });
      p.open = zeroDelta();
    }
    this.ledger.beginFlush(key);
    try {
      const total = await this.write(p);
      this.ledger.endFlush(key, total ? { tokens: total.promptTokens + total.completionTokens, costUSD: total.costUSD } : { tokens: 0, costUSD: 0 });
      this.metrics.usageFlushes.inc({ result: 'success' });
    } catch (err) {
      // The batches stay numbered: the next write learns from the ConfigMap which of them landed.
      this.ledger.abortFlush(key);
      this.metrics.usageFlushes.inc({ result: 'error' });
      this.log.warn({ lane: p.lane, err: (err as Error).message }, 'writing lane usage failed; will retry');
    }
  }

  /** One API call of a write, with a deadline: a hung request must not hold every lane's usage back. */
  private call<T>(path: string, opts: { method?: string; body?: unknown } = {}): Promise<T> {
    return this.client.request<T>(path, { ...opts, signal: AbortSignal.timeout(this.opts.writeTimeoutMs ?? DEFAULT_WRITE_TIMEOUT_MS) });
  }

  /**
   * Adds the pending batches to the lane's ConfigMap; returns the new total (undefined when the
   * period had already ended there). Batches the ConfigMap already carries are dropped first.
   */
  private async write(p: Pending): Promise<LaneUsage | undefined> {
    const ns = this.opts.namespace;
    const name = usageConfigMapName(p.lane);
    const path = resourcePath(CONFIGMAPS, ns, name);
    let unknownOutcome = false;
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      let live: UsageConfigMap | undefined;
      try {
        live = await this.call<UsageConfigMap>(path);
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
      const landed = landedBatch(live, this.writer);
      p.batches = p.batches.filter((b) => b.id > landed);
      const stored = usageFromData(live?.data);
      if (p.batches.length === 0) return stored?.periodStart === p.periodStart ? stored : undefined;
      // Usage of a period that is over is added only while the ConfigMap still counts that period;
      // it never resets a newer one. (A lane switched to a longer period, say Daily to Monthly,
      // has a current period that starts earlier: that one is written, not dropped.)
      if (stored && stored.periodStart !== p.periodStart && p.periodStart !== periodStartOf(p.period, new Date())) {
        this.log.info({ lane: p.lane, periodStart: p.periodStart }, 'usage of a closed budget period not written');
        p.batches = [];
        return undefined;
      }
      const batch = p.batches[p.batches.length - 1].id;
      const total = addUsage(stored, sum(p.batches.map((b) => b.delta)), p.periodStart);
      const annotations = { ...live?.metadata?.annotations, [USAGE_WRITES_ANNOTATION]: markAfterWrite(live, this.writer, batch, Date.now()) };
      try {
        if (!live) {
          const uid = this.opts.laneUid(p.lane);
          await this.call(resourcePath(CONFIGMAPS, ns), {
            method: 'POST',
            body: {
              apiVersion: 'v1',
              kind: 'ConfigMap',
              metadata: {
                name,
                namespace: ns,
                labels: { [USAGE_LABEL]: p.lane, [MANAGED_BY_LABEL]: MANAGED_BY_VALUE },
                annotations,
                // Goes with its LanePolicy (a cluster-scoped owner of a namespaced object is allowed).
                ...(uid ? { ownerReferences: [{ apiVersion: API_VERSION, kind: 'LanePolicy', name: p.lane, uid }] } : {}),
              },
              data: usageToData(total),
            },
          });
        } else {
          // Conditional on the resourceVersion just read: a concurrent write makes this one a 409.
          await this.call(path, { method: 'PUT', body: { ...live, metadata: { ...live.metadata, annotations }, data: usageToData(total) } });
        }
        p.batches = [];
        return total;
      } catch (err) {
        if (isConflict(err) || isAlreadyExists(err)) continue;
        // Applied or not: the next GET says which (its write mark).
        if (outcomeUnknown(err)) {
          unknownOutcome = true;
          this.log.debug({ lane: p.lane, err: (err as Error).message }, 'usage write answer lost; reading back');
          continue;
        }
        throw err;
      }
    }
    throw new Error(`usage ConfigMap ${ns}/${name} ${unknownOutcome ? 'did not answer' : 'kept changing'}; gave up after ${ATTEMPTS} attempts`);
  }
}

function isIdle(p: Pending): boolean {
  return isZero(p.open) && p.batches.length === 0;
}
