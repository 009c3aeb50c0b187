import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import { isAlreadyExists, isConflict, isNotFound, resourcePath, type KubeClient, type KubeObject, type ResourceRef } from '../runtime/kube.js';
import { MANAGED_BY_LABEL, MANAGED_BY_VALUE } from '../runtime/apply.js';
import { CONFIGMAPS } from '../model/lanes/resources.js';
import type { Amount, BudgetLedger } from './budget.js';
import type { RouterMetrics } from './metrics.js';
import { landedBatch, markAfterWrite, outcomeUnknown, USAGE_WRITES_ANNOTATION } from './usage-marks.js';

/** Usage settled by this router and not yet in a ConfigMap. Provider and model: the last answered request's. */
export interface UsageDelta {
  costUSD: number;
  promptTokens: number;
  completionTokens: number;
  requests: number;
  fallbacks: number;
  provider?: string;
  model?: string;
}

const NUMBERS = ['costUSD', 'promptTokens', 'completionTokens', 'requests', 'fallbacks'] as const;
const zeroDelta = (): UsageDelta => ({ costUSD: 0, promptTokens: 0, completionTokens: 0, requests: 0, fallbacks: 0 });
const isZero = (d: UsageDelta) => NUMBERS.every((k) => d[k] === 0) && d.provider === undefined;

// Spelled out rather than a loop over NUMBERS: this runs twice per request.
function addDelta(into: UsageDelta, d: Partial<UsageDelta>): void {
  into.costUSD += d.costUSD ?? 0;
  into.promptTokens += d.promptTokens ?? 0;
  into.completionTokens += d.completionTokens ?? 0;
  into.requests += d.requests ?? 0;
  into.fallbacks += d.fallbacks ?? 0;
  if (d.provider !== undefined) into.provider = d.provider;
  if (d.model !== undefined) into.model = d.model;
}

function sum(ds: UsageDelta[]): UsageDelta {
  const out = zeroDelta();
  for (const d of ds) addDelta(out, d);
  return out;
}

/** Where one account's usage is written and how an increment is added to what is stored. */
export interface UsageTarget {
  /** For log lines: `lane x`, `run ns/x`. */
  readonly what: string;
  /** The ConfigMap's name in the router's namespace. */
  readonly configMap: string;
  /** Labels, annotations and owner references of the ConfigMap when this router creates it. */
  metadata(): { labels: Record<string, string>; annotations?: Record<string, string>; ownerReferences?: { apiVersion: string; kind: string; name: string; uid: string }[] };
  /** The data once `delta` is added to the stored data (undefined: no ConfigMap yet), or undefined to drop the delta. */
  add(stored: Record<string, string> | undefined, delta: UsageDelta, now: Date): Record<string, string> | undefined;
  /** What the data means for this account's budget (zero when it counts something else, e.g. another period). */
  committed(data: Record<string, string> | undefined): Amount;
}

/** One account's usage on its way to its ConfigMap. */
interface Pending {
  target: UsageTarget;
  /** Recorded since the last flush began. */
  open: UsageDelta;
  /** Numbered batches not known to be in the ConfigMap (a failed write, or one whose answer was lost). */
  batches: { id: number; delta: UsageDelta }[];
  /** Dropped (with its ledger account) once everything recorded is written. */
  retired: boolean;
}

type UsageConfigMap = KubeObject & { data?: Record<string, string> };

/** How long one API call of a usage write may take before its answer is given up on. */
export const DEFAULT_WRITE_TIMEOUT_MS = 10_000;
const ATTEMPTS = 8;

export interface UsageWriterOptions {
  namespace: string;
  flushIntervalMs: number;
  writeTimeoutMs?: number;
}

/**
 * The one writer of usage ConfigMaps (lanes' and runs'), ADR 0011: usage settled here is
 * written in batches (GET + PUT with the resourceVersion read, retried on conflict), so several
 * router replicas add up and no request waits for the API server. Each write records which of
 * this router's batches it carries (usage-marks.ts), so a write whose answer was lost is
 * neither counted twice nor dropped. Keys are the ledger's account keys.
 */
export class UsageWriter {
  private readonly pending = new Map<string, Pending>();
  /** This process's name in the ConfigMaps' write marks, and its last batch number. */
  private readonly writer = `${hostname()}-${randomBytes(4).toString('hex')}`;
  private lastBatch = 0;
  private timer?: NodeJS.Timeout;
  private soon?: NodeJS.Timeout;
  /** The flush writing now, and the one that starts after it (later callers join that one). */
  private running?: Promise<void>;
  private queued?: Promise<void>;

  /** The API calls of a write. */
  private readonly client: DeadlineClient;

  constructor(
    client: KubeClient,
    private readonly log: Logger,
    private readonly metrics: RouterMetrics,
    private readonly ledger: BudgetLedger,
    private readonly opts: UsageWriterOptions,
  ) {
    this.client = new DeadlineClient(client, opts.writeTimeoutMs ?? DEFAULT_WRITE_TIMEOUT_MS);
  }

  start(): void {
    this.timer = setInterval(() => void this.flush(), this.opts.flushIntervalMs);
    this.timer.unref();
  }

  /** Writes what is pending before the router exits; a failed write is tried twice more, then reported. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    if (this.soon) clearTimeout(this.soon);
    for (let attempt = 0; attempt < 3 && this.unwritten().length > 0; attempt++) await this.flush();
    for (const p of this.unwritten()) this.log.error({ usage: p.target.what, ...sum([p.open, ...p.batches.map((b) => b.delta)]) }, 'usage could not be written before the router stopped');
  }

  private unwritten(): Pending[] {
    return [...this.pending.values()].filter((p) => !isIdle(p));
  }

  /** Counts a settled request for the next write; `target` replaces the key's previous one. */
  record(key: string, target: UsageTarget, d: Partial<UsageDelta>): void {
    let p = this.pending.get(key);
    if (!p) {
      p = { target, open: zeroDelta(), batches: [], retired: false };
      this.pending.set(key, p);
    }
    p.target = target;
    addDelta(p.open, d);
  }

  /** The account is done (a run's token is gone, a lane's period is over): dropped once written. */
  retire(key: string): void {
    const p = this.pending.get(key);
    if (!p) {
      this.ledger.delete(key);
      return;
    }
    p.retired = true;
    if (isIdle(p)) this.drop(key);
  }

  private drop(key: string): void {
    this.pending.delete(key);
    this.ledger.delete(key);
  }

  /** Writes soon (a refused request should show without waiting a full interval). */
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
    for (const [key, p] of this.pending) if (p.retired && isIdle(p)) this.drop(key);
  }

  private async flushOne(key: string, p: Pending): Promise<void> {
    if (!isZero(p.open)) {
      p.batches.push({ id: ++this.lastBatch, delta: p.open });
      p.open = zeroDelta();
    }
    this.ledger.beginFlush(key);
    try {
      const total = await this.write(p);
      this.ledger.endFlush(key, total);
      this.metrics.usageFlushes.inc({ result: 'success' });
    } catch (err) {
      // The batches stay numbered: the next write learns from the ConfigMap which of them landed.
      this.ledger.abortFlush(key);
      this.metrics.usageFlushes.inc({ result: 'error' });
      this.log.warn({ usage: p.target.what, err: (err as Error).message }, 'writing usage failed; will retry');
    }
  }


  /**
   * Adds the pending batches to the account's ConfigMap; returns what it then holds for the
   * account's budget. Batches the ConfigMap already carries are dropped first.
   */
  private async write(p: Pending): Promise<Amount> {
    const ns = this.opts.namespace;
    const name = p.target.configMap;
    let unknownOutcome = false;
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      let live: UsageConfigMap | undefined;
      try {
        live = await this.client.get(CONFIGMAPS, ns, name);
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
      const landed = landedBatch(live, this.writer);
      p.batches = p.batches.filter((b) => b.id > landed);
      if (p.batches.length === 0) return p.target.committed(live?.data);
      const batch = p.batches[p.batches.length - 1].id;
      const data = p.target.add(live?.data, sum(p.batches.map((b) => b.delta)), new Date());
      if (!data) {
        p.batches = [];
        return p.target.committed(live?.data);
      }
      const annotations = { ...live?.metadata?.annotations, [USAGE_WRITES_ANNOTATION]: markAfterWrite(live, this.writer, batch, Date.now()) };
      try {
        if (!live) {
          const meta = p.target.metadata();
          await this.client.create(CONFIGMAPS, {
            apiVersion: 'v1',
            kind: 'ConfigMap',
            metadata: {
              name,
              namespace: ns,
              labels: { ...meta.labels, [MANAGED_BY_LABEL]: MANAGED_BY_VALUE },
              annotations: { ...meta.annotations, ...annotations },
              ...(meta.ownerReferences ? { ownerReferences: meta.ownerReferences } : {}),
            },
            data,
          });
        } else {
          // Conditional on the resourceVersion just read: a concurrent write makes this one a 409.
          await this.client.replace(CONFIGMAPS, { ...live, metadata: { ...live.metadata, annotations }, data });
        }
        p.batches = [];
        return p.target.committed(data);
      } catch (err) {
        if (isConflict(err) || isAlreadyExists(err)) continue;
        // Applied or not: the next GET says which (its write mark).
        if (outcomeUnknown(err)) {
          unknownOutcome = true;
          this.log.debug({ usage: p.target.what, err: (err as Error).message }, 'usage write answer lost; reading back');
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

/**
 * The client calls of a usage write, each with a deadline: a hung request must not hold every
 * account's usage back (KubeClient's own get/create/replace take no signal).
 */
class DeadlineClient {
  constructor(private readonly client: KubeClient, private readonly timeoutMs: number) {}

  private request<T>(path: string, opts: { method?: string; body?: unknown } = {}): Promise<T> {
    return this.client.request<T>(path, { ...opts, signal: AbortSignal.timeout(this.timeoutMs) });
  }

  get(r: ResourceRef, namespace: string, name: string): Promise<UsageConfigMap> {
    return this.request(resourcePath(r, namespace, name));
  }

  create(r: ResourceRef, obj: UsageConfigMap): Promise<UsageConfigMap> {
    return this.request(resourcePath(r, obj.metadata!.namespace), { method: 'POST', body: obj });
  }

  replace(r: ResourceRef, obj: UsageConfigMap): Promise<UsageConfigMap> {
    return this.request(resourcePath(r, obj.metadata!.namespace, obj.metadata!.name), { method: 'PUT', body: obj });
  }
}
