import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { KubeApiError, type KubeClient } from './kube.js';
import { LeaderElector, canAcquire, microTime, type Lease } from './leader.js';
import { backoffDelay } from './backoff.js';
import { formatBytes, parseQuantity } from './quantity.js';

describe('leader election decisions', () => {
  it('acquires a free, own or expired lease only', () => {
    expect(canAcquire(undefined, 'a', 0, 0, 15_000)).toBe(true);
    expect(canAcquire({ holderIdentity: '' }, 'a', 0, 0, 15_000)).toBe(true);
    expect(canAcquire({ holderIdentity: 'a' }, 'a', 0, 1, 15_000)).toBe(true);
    expect(canAcquire({ holderIdentity: 'b' }, 'a', 1000, 15_999, 15_000)).toBe(false);
    expect(canAcquire({ holderIdentity: 'b' }, 'a', 1000, 16_000, 15_000)).toBe(true);
  });

  it('formats MicroTime with six fractional digits', () => {
    expect(microTime(Date.UTC(2026, 0, 2, 3, 4, 5, 678))).toBe('2026-01-02T03:04:05.678000Z');
  });
});

/** One Lease in memory behind the three calls the elector makes; counts them. */
function leaseStore() {
  let lease: Lease | undefined;
  let rv = 0;
  const calls = { get: 0, create: 0, replace: 0 };
  const notFound = new KubeApiError(404, 'GET', '/apis/coordination.k8s.io/v1/namespaces/ns/leases/l', { reason: 'NotFound' });
  const client = {
    async get() { calls.get++; if (!lease) throw notFound; return structuredClone(lease); },
    async create(_r: unknown, obj: Lease) { calls.create++; lease = { ...obj, metadata: { ...obj.metadata, resourceVersion: String(++rv) } }; return structuredClone(lease); },
    async replace(_r: unknown, obj: Lease) { calls.replace++; lease = { ...obj, metadata: { ...obj.metadata, resourceVersion: String(++rv) } }; return structuredClone(lease); },
  };
  return { client: client as unknown as KubeClient, calls, lease: () => lease };
}

describe('LeaderElector built as startOperator builds it', () => {
  // `agentlab run --leader-elect` sets no durations; manager.ts forwards them as undefined.
  it('keeps the default durations: a 15 s lease renewed every 2 s, not a write loop', async () => {
    const store = leaseStore();
    let leading = false;
    const le = new LeaderElector({
      client: store.client, namespace: 'ns', name: 'agentlab-operator', identity: 'a', logger: pino({ level: 'silent' }),
      leaseDurationMs: undefined, renewDeadlineMs: undefined, retryPeriodMs: undefined,
      onStartedLeading: () => { leading = true; }, onStoppedLeading: () => { leading = false; },
    });
    le.start();
    // The first attempt takes the free lease; waited for (not given a fixed time), then 400 ms more.
    for (let i = 0; i < 1000 && !leading; i++) await new Promise((r) => setTimeout(r, 10));
    expect(leading).toBe(true);
    await new Promise((r) => setTimeout(r, 400));
    await le.stop();
    expect(store.lease()?.spec?.holderIdentity).toBe(''); // released on stop
    expect(leading).toBe(false);
    // In those 400 ms: nothing after the first attempt (the next is due after the 2 s retry period), then the release.
    expect(store.calls.create).toBe(1);
    expect(store.calls.get).toBeLessThanOrEqual(2);
    expect(store.calls.replace).toBeLessThanOrEqual(1);
  });

  it('writes leaseDurationSeconds 15 into the Lease', async () => {
    const store = leaseStore();
    const le = new LeaderElector({
      client: store.client, namespace: 'ns', name: 'l', identity: 'a', logger: pino({ level: 'silent' }),
      leaseDurationMs: undefined, renewDeadlineMs: undefined, retryPeriodMs: undefined,
      onStartedLeading: () => {}, onStoppedLeading: () => {},
    });
    le.start();
    for (let i = 0; i < 100 && !store.lease(); i++) await new Promise((r) => setTimeout(r, 5));
    expect(store.lease()?.spec).toMatchObject({ holderIdentity: 'a', leaseDurationSeconds: 15, leaseTransitions: 0 });
    await le.stop();
  });

  it('rejects a duration that is not a positive finite number, naming it', () => {
    expect(() => new LeaderElector({
      client: leaseStore().client, namespace: 'ns', name: 'l', identity: 'a', logger: pino({ level: 'silent' }),
      retryPeriodMs: Number.NaN, onStartedLeading: () => {}, onStoppedLeading: () => {},
    })).toThrow(/LeaderElector: option retryPeriodMs must be a finite number >= 1, got NaN/);
  });
});

describe('backoffDelay', () => {
  it('doubles up to the cap with half jitter', () => {
    const o = { baseMs: 100, maxMs: 1000 };
    expect(backoffDelay(0, { ...o, random: () => 0 })).toBe(50);
    expect(backoffDelay(3, { ...o, random: () => 0.999999 })).toBeCloseTo(800, 0);
    expect(backoffDelay(50, { ...o, random: () => 0 })).toBe(500);
  });
});

describe('quantities', () => {
  it.each([
    ['12Gi', 12 * 2 ** 30], ['500m', 0.5], ['1k', 1000], ['1e3', 1000], ['8192Mi', 8 * 2 ** 30], [4, 4], ['.5', 0.5],
  ] as const)('parseQuantity(%j)', (q, want) => {
    expect(parseQuantity(q)).toBeCloseTo(want);
  });
  it('rejects nonsense with a clear message', () => {
    expect(() => parseQuantity('12 GB')).toThrow(/invalid quantity "12 GB"/);
  });
  it('formats bytes for people', () => {
    expect(formatBytes(12 * 2 ** 30)).toBe('12 GiB');
    expect(formatBytes(1.5 * 2 ** 20)).toBe('1.5 MiB');
  });
});
