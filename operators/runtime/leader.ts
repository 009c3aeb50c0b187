import type { Logger } from 'pino';
import { type KubeClient, type KubeObject, type ResourceRef, isConflict, isNotFound, isAlreadyExists } from './kube.js';
import { sleep } from './informer.js';
import { requireFiniteOptions, withDefaults } from './options.js';

export const LEASES: ResourceRef = { group: 'coordination.k8s.io', version: 'v1', plural: 'leases', kind: 'Lease', namespaced: true };

export interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}
export interface Lease extends KubeObject { spec?: LeaseSpec }

export interface LeaderElectionOptions {
  client: KubeClient;
  namespace: string;
  name: string;
  identity: string;
  logger: Logger;
  /** How long a lease is valid without renewal (client-go default 15 s). */
  leaseDurationMs?: number;
  /** The leader gives up if it cannot renew for this long (default 10 s). */
  renewDeadlineMs?: number;
  /** How often candidates retry and the leader renews (default 2 s). */
  retryPeriodMs?: number;
  onStartedLeading: () => void;
  onStoppedLeading: () => void;
}

/** Lease MicroTime: RFC 3339 with exactly six fractional digits, as metav1.MicroTime serialises. */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/**
 * Decides whether `identity` may take the lease now. Expiry is judged on the local clock from
 * when this candidate last saw the record change (as client-go does), never on the holder's
 * timestamps, so clock skew between replicas cannot cause two leaders.
 */
export function canAcquire(spec: LeaseSpec | undefined, identity: string, observedAtMs: number, nowMs: number, leaseDurationMs: number): boolean {
  if (!spec?.holderIdentity) return true;
  if (spec.holderIdentity === identity) return true;
  return observedAtMs + leaseDurationMs <= nowMs;
}

/** client-go's defaults: lease 15 s, renew deadline 10 s, retry period 2 s. */
export const LEADER_ELECTION_DEFAULTS = { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 };

/**
 * Leader election on a coordination.k8s.io/v1 Lease, following client-go's leaderelection:
 * candidates retry every retryPeriod; the leader renews and steps down when it cannot renew
 * within renewDeadline; release on stop clears the holder so a standby takes over at once.
 */
export class LeaderElector {
  private readonly o: typeof LEADER_ELECTION_DEFAULTS & Omit<LeaderElectionOptions, keyof typeof LEADER_ELECTION_DEFAULTS>;
  private readonly abort = new AbortController();
  private leading = false;
  private observed?: { rv?: string; holder?: string; renewTime?: string; at: number };
  private loop?: Promise<void>;

  constructor(opts: LeaderElectionOptions) {
    // `agentlab run --leader-elect` forwards unset durations as undefined: they keep the defaults.
    this.o = withDefaults(LEADER_ELECTION_DEFAULTS, opts);
    requireFiniteOptions('LeaderElector', this.o, ['leaseDurationMs', 'renewDeadlineMs', 'retryPeriodMs'], 1);
  }

  isLeader(): boolean {
    return this.leading;
  }

  start(): void {
    this.loop = this.run();
  }

  /** Stops campaigning; a leader releases the lease so another replica can take over immediately. */
  async stop(): Promise<void> {
    this.abort.abort();
    await this.loop;
    if (this.leading) {
      this.leading = false;
      await this.release();
      this.o.onStoppedLeading();
    }
  }

  private async run(): Promise<void> {
    const { retryPeriodMs, renewDeadlineMs } = this.o;
    let lastRenew = 0;
    while (!this.abort.signal.aborted) {
      let ok = false;
      try {
        ok = await this.tryAcquireOrRenew();
      } catch (err) {
        this.o.logger.warn({ err: String(err), lease: this.o.name }, 'lease update failed');
      }
      if (this.abort.signal.aborted) return;
      const now = Date.now();
      if (ok) {
        lastRenew = now;
        if (!this.leading) {
          this.leading = true;
          this.o.logger.info({ lease: `${this.o.namespace}/${this.o.name}`, identity: this.o.identity }, 'became leader');
          this.o.onStartedLeading();
        }
      } else if (this.leading && now - lastRenew >= renewDeadlineMs) {
        this.leading = false;
        this.o.logger.error({ lease: this.o.name }, 'lost leadership: could not renew the lease in time');
        this.o.onStoppedLeading();
      }
      await sleep(retryPeriodMs, this.abort.signal);
    }
  }

  private record(now: number): LeaseSpec {
    return {
      holderIdentity: this.o.identity,
      leaseDurationSeconds: Math.max(1, Math.round(this.o.leaseDurationMs / 1000)),
      renewTime: microTime(now),
    };
  }

  private async tryAcquireOrRenew(): Promise<boolean> {
    const { client, namespace, name, identity } = this.o;
    const now = Date.now();
    let lease: Lease;
    try {
      lease = await client.get<Lease>(LEASES, namespace, name);
    } catch (err) {
      if (!isNotFound(err)) throw err;
      try {
        await client.create<Lease>(LEASES, {
          apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name, namespace },
          spec: { ...this.record(now), acquireTime: microTime(now), leaseTransitions: 0 },
        });
        this.observed = { holder: identity, at: now };
        return true;
      } catch (e) {
        if (isAlreadyExists(e) || isConflict(e)) return false;
        throw e;
      }
    }
    const spec = lease.spec ?? {};
    const rv = lease.metadata?.resourceVersion;
    if (!this.observed || this.observed.rv !== rv || this.observed.holder !== spec.holderIdentity || this.observed.renewTime !== spec.renewTime) {
      this.observed = { rv, holder: spec.holderIdentity, renewTime: spec.renewTime, at: now };
    }
    if (!canAcquire(spec, identity, this.observed.at, now, this.o.leaseDurationMs)) return false;
    const taking = spec.holderIdentity !== identity;
    const next: Lease = {
      ...lease,
      spec: {
        ...spec,
        ...this.record(now),
        acquireTime: taking ? microTime(now) : spec.acquireTime ?? microTime(now),
        leaseTransitions: (spec.leaseTransitions ?? 0) + (taking && spec.holderIdentity ? 1 : 0),
      },
    };
    try {
      const updated = await client.replace<Lease>(LEASES, next);
      this.observed = { rv: updated.metadata?.resourceVersion, holder: identity, renewTime: updated.spec?.renewTime, at: now };
      return true;
    } catch (err) {
      if (isConflict(err)) return false;
      throw err;
    }
  }

  private async release(): Promise<void> {
    const { client, namespace, name, identity } = this.o;
    try {
      const lease = await client.get<Lease>(LEASES, namespace, name);
      if (lease.spec?.holderIdentity !== identity) return;
      const now = Date.now();
      await client.replace<Lease>(LEASES, {
        ...lease,
        spec: { ...lease.spec, holderIdentity: '', leaseDurationSeconds: 1, renewTime: microTime(now), acquireTime: microTime(now) },
      });
      this.o.logger.info({ lease: `${namespace}/${name}` }, 'released leadership');
    } catch (err) {
      this.o.logger.warn({ err: String(err) }, 'could not release the lease');
    }
  }
}
