import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MAX_TIMER_MS, timerDelay, WorkQueue } from './queue.js';

describe('WorkQueue', () => {
  beforeEach(() => { vi.useFakeTimers(); });
  afterEach(() => { vi.useRealTimers(); });

  const mk = (opts: ConstructorParameters<typeof WorkQueue>[0] = {}) => new WorkQueue({ random: () => 0, now: () => Date.now(), ...opts });

  it('deduplicates keys that are queued but not yet processed', async () => {
    const q = mk();
    q.add('ns/a'); q.add('ns/a'); q.add('ns/b');
    expect(q.length).toBe(2);
    expect(await q.get()).toBe('ns/a');
    expect(await q.get()).toBe('ns/b');
  });

  it('never hands a key to two workers: a re-add while processing is queued after done()', async () => {
    const q = mk();
    q.add('k');
    const k = await q.get();
    q.add('k');
    expect(q.length).toBe(0); // held back while in flight
    let second: string | undefined;
    void q.get().then((v) => { second = v; });
    await Promise.resolve();
    expect(second).toBeUndefined();
    q.done(k!);
    await Promise.resolve();
    expect(second).toBe('k');
  });

  it('addAfter keeps the earliest deadline and fires once', async () => {
    const q = mk();
    q.addAfter('k', 1000);
    q.addAfter('k', 5000);
    q.addAfter('k', 300);
    vi.advanceTimersByTime(299);
    expect(q.length).toBe(0);
    vi.advanceTimersByTime(1);
    expect(q.length).toBe(1);
    vi.advanceTimersByTime(10_000);
    expect(q.length).toBe(1);
  });

  it('backs off exponentially per key and resets on forget', () => {
    const q = mk({ baseDelayMs: 100, maxDelayMs: 1000, random: () => 1 });
    expect(q.addRateLimited('k')).toBe(100);
    expect(q.addRateLimited('k')).toBe(200);
    expect(q.addRateLimited('k')).toBe(400);
    expect(q.addRateLimited('k')).toBe(800);
    expect(q.addRateLimited('k')).toBe(1000);
    expect(q.retries('k')).toBe(5);
    expect(q.addRateLimited('other')).toBe(100);
    q.forget('k');
    expect(q.addRateLimited('k')).toBe(100);
  });

  it('jitters within [cap/2, cap]', () => {
    const q = mk({ baseDelayMs: 1000, maxDelayMs: 60_000, random: () => 0 });
    expect(q.addRateLimited('k')).toBe(500);
    expect(q.addRateLimited('k')).toBe(1000);
  });

  it('limits the overall retry rate with a token bucket', () => {
    const q = mk({ baseDelayMs: 1, maxDelayMs: 1, retryQps: 10, retryBurst: 2 });
    expect(q.addRateLimited('a')).toBeLessThan(2);
    expect(q.addRateLimited('b')).toBeLessThan(2);
    expect(q.addRateLimited('c')).toBeCloseTo(100, 0); // third retry waits for a token
  });

  it('shutDown drains queued keys, then returns undefined; later adds are ignored', async () => {
    const q = mk();
    q.add('a');
    q.shutDown();
    q.add('b');
    expect(await q.get()).toBe('a');
    expect(await q.get()).toBeUndefined();
  });

  it('shutDown wakes idle workers and cancels delayed adds', async () => {
    const q = mk();
    const waiting = q.get();
    q.addAfter('later', 1000);
    q.shutDown();
    expect(await waiting).toBeUndefined();
    vi.advanceTimersByTime(2000);
    expect(q.length).toBe(0);
  });

  it('reports metrics for adds, depth, retries and durations', async () => {
    const seen = { added: 0, retried: 0, depth: [] as number[], queued: [] as number[], worked: [] as number[] };
    const q = mk({
      metrics: {
        added: () => seen.added++, retried: () => seen.retried++, depth: (n) => seen.depth.push(n),
        queued: (s) => seen.queued.push(s), worked: (s) => seen.worked.push(s),
      },
    });
    q.add('a');
    vi.advanceTimersByTime(250);
    const k = await q.get();
    vi.advanceTimersByTime(500);
    q.done(k!);
    q.addRateLimited('a');
    expect(seen.added).toBe(1);
    expect(seen.retried).toBe(1);
    expect(seen.depth).toEqual([1, 0]);
    expect(seen.queued).toEqual([0.25]);
    expect(seen.worked).toEqual([0.5]);
  });

  it('pending counts queued, in-flight and delayed keys', async () => {
    const q = mk();
    q.add('a'); q.add('b'); q.addAfter('c', 100);
    expect(q.pending()).toBe(3);
    const k = await q.get();
    expect(q.pending()).toBe(3);
    q.done(k!);
    expect(q.pending()).toBe(2);
  });
});

describe('WorkQueue with real timers', () => {
  it('does not fire a requeue weeks away at once (Node timers overflow past 2^31-1 ms to 1 ms)', async () => {
    const q = new WorkQueue({});
    q.addAfter('far', 30 * 24 * 3600_000);
    q.addAfter('nan', Number.NaN);
    q.addAfter('inf', Number.POSITIVE_INFINITY);
    await new Promise((r) => setTimeout(r, 50));
    expect(q.length).toBe(0);
    q.shutDownNow();
  });

  it('timerDelay keeps delays a timer can hold and clamps the rest', () => {
    expect(timerDelay(5)).toBe(5);
    expect(timerDelay(0)).toBe(0);
    expect(timerDelay(MAX_TIMER_MS)).toBe(MAX_TIMER_MS);
    expect(timerDelay(MAX_TIMER_MS + 1)).toBe(MAX_TIMER_MS);
    expect(timerDelay(Number.NaN)).toBe(MAX_TIMER_MS);
    expect(timerDelay(Number.POSITIVE_INFINITY)).toBe(MAX_TIMER_MS);
  });
});
