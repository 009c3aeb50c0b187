// The garbage collector for the ConfigMaps the lane router writes per run in ITS namespace
// (<kind>-usage-<hash>, <kind>-report-<hash>, and older routers' run-usage-<hash>): they cannot
// carry an owner reference to a run in another namespace, so Kubernetes' garbage collector never
// deletes them (ADR 0016).
import type { Logger } from 'pino';
import { isConflict, isNotFound, type KubeClient, type KubeObject } from '../runtime/kube.js';
import { FLOWS } from '../flow/resources.js';
import { HARDWARETASKS } from '../hardwaretask/resources.js';
import { AGENTRUNS, CONFIGMAPS, SECRETS } from './resources.js';
import { orphanReason, RUN_CONFIGMAP_SELECTORS, type OwnerLookup, type RunConfigMapLike, type RunKind, type SweepCandidate, sweepCandidate, tokenSecretRun } from './run-configmap-orphans.js';

export interface RunConfigMapSweepOptions {
  client: KubeClient;
  log: Logger;
  /** The router's namespace, where the ConfigMaps are. */
  routerNamespace: string;
  /** Time between sweeps (default 10 minutes); the first runs one minute after start at most. */
  intervalMs?: number;
  /** A ConfigMap written less than this long ago is left alone (default 10 minutes). */
  graceMs?: number;
  now?: () => number;
}

export const DEFAULT_SWEEP_INTERVAL_MS = 10 * 60_000;
export const DEFAULT_SWEEP_GRACE_MS = 10 * 60_000;
/** ConfigMaps per list page: a report holds up to ~1 MiB of transcript. */
const PAGE = 50;

export interface SweepResult { deleted: string[]; failed: string[] }

/**
 * Deletes run ConfigMaps whose run is gone, verified on the API server: the recorded run object
 * answers 404 or has another UID (a GET, never a cache miss), or, for a ConfigMap that records no
 * run, no token Secret of the run is left. Each delete is conditional on the UID and
 * resourceVersion that were judged, so a write the router made meanwhile keeps the ConfigMap until
 * the next sweep. A run's status is its record: usage is copied there while the run exists, and a
 * ConfigMap is only deleted once nothing holds that status any more.
 */
export class RunConfigMapSweep {
  private timer?: NodeJS.Timeout;
  private running?: Promise<SweepResult>;
  private stopped = true;
  /** Set by stop(): a sweep in progress ends after the ConfigMap it is at. */
  private aborted = false;
  private readonly intervalMs: number;
  private readonly graceMs: number;
  private readonly now: () => number;

  constructor(private readonly o: RunConfigMapSweepOptions) {
    this.intervalMs = o.intervalMs ?? DEFAULT_SWEEP_INTERVAL_MS;
    this.graceMs = o.graceMs ?? DEFAULT_SWEEP_GRACE_MS;
    this.now = o.now ?? Date.now;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.aborted = false;
    this.schedule(Math.min(this.intervalMs, 60_000));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.aborted = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.running?.catch(() => undefined);
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.sweep().catch((err: unknown) => {
        this.o.log.warn({ namespace: this.o.routerNamespace, err: (err as Error).message }, 'run ConfigMap sweep failed; trying again at the next one');
        return { deleted: [], failed: [] };
      });
      void this.running.finally(() => this.schedule(this.intervalMs));
    }, ms);
    this.timer.unref();
  }

  /** One sweep over the router namespace's run ConfigMaps. */
  async sweep(): Promise<SweepResult> {
    const result: SweepResult = { deleted: [], failed: [] };
    const owners = new Map<string, Promise<OwnerLookup>>();
    const tokenRuns = new Map<string, Promise<Set<string>>>();
    for (const labelSelector of RUN_CONFIGMAP_SELECTORS) {
      let cont: string | undefined;
      do {
        const page = await this.o.client.list<KubeObject & RunConfigMapLike>(CONFIGMAPS, this.o.routerNamespace, { labelSelector, limit: PAGE, ...(cont ? { continue: cont } : {}) });
        cont = page.metadata.continue || undefined;
        const now = this.now();
        for (const cm of page.items) {
          if (this.aborted) return result;
          const c = sweepCandidate(cm, now, this.graceMs);
          if (!c) continue;
          try {
            const why = c.owner
              ? orphanReason(c, { owner: await memo(owners, `${c.owner.kind}/${c.namespace}/${c.run}`, () => this.lookup(c.owner!.kind, c.namespace, c.run)) })
              : orphanReason(c, { tokenSecretExists: (await memo(tokenRuns, c.namespace, () => this.tokenRuns(c.namespace))).has(c.run) });
            if (why && await this.delete(c, why)) result.deleted.push(c.name);
          } catch (err) {
            result.failed.push(c.name);
            this.o.log.warn({ configMap: `${this.o.routerNamespace}/${c.name}`, namespace: c.namespace, name: c.run, err: (err as Error).message }, 'run ConfigMap not swept; trying again at the next sweep');
          }
        }
      } while (cont);
    }
    return result;
  }

  /** The recorded run object as the API server has it now. */
  private async lookup(kind: RunKind, namespace: string, name: string): Promise<OwnerLookup> {
    const client = this.o.client;
    const get: Record<RunKind, () => Promise<KubeObject>> = {
      AgentRun: () => client.get(AGENTRUNS, namespace, name),
      Flow: () => client.get(FLOWS, namespace, name),
      HardwareTask: () => client.get(HARDWARETASKS, namespace, name),
    };
    try {
      const obj = await get[kind]();
      return { state: 'present', uid: obj.metadata?.uid ?? '' };
    } catch (err) {
      if (isNotFound(err)) return { state: 'absent' };
      throw err;
    }
  }

  /** Runs that have a router token Secret in the namespace (revoked ones too). */
  private async tokenRuns(namespace: string): Promise<Set<string>> {
    const runs = new Set<string>();
    let cont: string | undefined;
    do {
      const page = await this.o.client.list(SECRETS, namespace, { labelSelector: 'agentlab.dev/router-token=true', limit: 500, ...(cont ? { continue: cont } : {}) });
      for (const s of page.items) {
        const run = tokenSecretRun(s);
        if (run) runs.add(run);
      }
      cont = page.metadata.continue || undefined;
    } while (cont);
    return runs;
  }

  /** Deletes the ConfigMap as judged (UID and resourceVersion preconditions); false when it changed or went meanwhile. */
  private async delete(c: SweepCandidate, why: string): Promise<boolean> {
    try {
      await this.o.client.delete(CONFIGMAPS, this.o.routerNamespace, c.name, { preconditions: { uid: c.uid, resourceVersion: c.resourceVersion } });
    } catch (err) {
      if (isNotFound(err) || isConflict(err)) return false;
      throw err;
    }
    this.o.log.info({ configMap: `${this.o.routerNamespace}/${c.name}`, namespace: c.namespace, name: c.run, ...(c.owner ? { kind: c.owner.kind } : {}), reason: why }, 'deleted a run ConfigMap that outlived its run');
    return true;
  }
}

function memo<T>(m: Map<string, Promise<T>>, key: string, load: () => Promise<T>): Promise<T> {
  let p = m.get(key);
  if (!p) {
    p = load();
    m.set(key, p);
  }
  return p;
}

/** One sweep per API client and router namespace: the AgentRun and Flow controllers of one operator share it. */
const shared = new WeakMap<KubeClient, Map<string, { users: number; sweep: RunConfigMapSweep }>>();

/**
 * Starts the sweep for this client and router namespace unless a controller of the same operator
 * already did; returns the release, which stops it when its last user is done.
 */
export function acquireRunConfigMapSweep(o: RunConfigMapSweepOptions): () => Promise<void> {
  let byNamespace = shared.get(o.client);
  if (!byNamespace) {
    byNamespace = new Map();
    shared.set(o.client, byNamespace);
  }
  const m = byNamespace;
  let entry = m.get(o.routerNamespace);
  if (!entry) {
    entry = { users: 0, sweep: new RunConfigMapSweep(o) };
    m.set(o.routerNamespace, entry);
    entry.sweep.start();
  }
  entry.users++;
  const e = entry;
  let released = false;
  return async () => {
    if (released) return;
    released = true;
    if (--e.users > 0) return;
    if (m.get(o.routerNamespace) === e) m.delete(o.routerNamespace);
    await e.sweep.stop();
  };
}

