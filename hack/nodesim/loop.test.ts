import { describe, expect, it } from 'vitest';
import pino from 'pino';
import { retryDelayMs, WorkQueue } from './loop.js';

const silent = pino({ level: 'silent' });

/** Polls until `done` holds (every 10 ms, a hang guard of 10 s): the work is waited for, not given a fixed time. */
async function until(done: () => boolean, what: string): Promise<void> {
  for (const deadline = Date.now() + 10_000; !done();) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('WorkQueue', () => {
  it('handles keys one at a time and deduplicates keys queued while waiting', async () => {
    const seen: string[] = [];
    let running = 0;
    let maxRunning = 0;
    const q = new WorkQueue(async (k) => {
      running += 1;
      maxRunning = Math.max(maxRunning, running);
      await new Promise((r) => setTimeout(r, 5));
      seen.push(k);
      running -= 1;
    }, silent);
    for (const k of ['a', 'b', 'a', 'c', 'b']) q.enqueue(k);
    q.start();
    await until(() => seen.length >= 3 && q.idle(), 'the three keys to be handled');
    await q.stop();
    expect(seen).toEqual(['a', 'b', 'c']);
    expect(maxRunning).toBe(1);
  });

  it('handles pooled keys side by side, each key by one worker at a time, beside the serial worker', async () => {
    let running = 0;
    let maxRunning = 0;
    const perKey = new Map<string, number>();
    let sameKeyAtOnce = false;
    const seen: string[] = [];
    const q = new WorkQueue(async (k) => {
      running += 1;
      maxRunning = Math.max(maxRunning, running);
      perKey.set(k, (perKey.get(k) ?? 0) + 1);
      if (perKey.get(k)! > 1) sameKeyAtOnce = true;
      await new Promise((r) => setTimeout(r, 30));
      if (k === 'pod:a' && seen.filter((x) => x === 'pod:a').length === 0) q.enqueue('pod:a'); // queued again while handled
      seen.push(k);
      perKey.set(k, perKey.get(k)! - 1);
      running -= 1;
    }, silent, { parallel: (k) => k.startsWith('pod:'), workers: 3 });
    for (const k of ['pod:a', 'pod:b', 'pod:c', 'pod:d', 'schedule', 'pod:a']) q.enqueue(k);
    q.start();
    await until(() => seen.length >= 6 && q.idle(), 'the five keys and the re-queued pod:a to be handled');
    await q.stop();
    expect(maxRunning).toBe(4); // three pool workers and the serial one
    expect(sameKeyAtOnce).toBe(false);
    expect(seen.filter((k) => k === 'pod:a')).toHaveLength(2); // once, then again after the re-queue
    expect(new Set(seen)).toEqual(new Set(['pod:a', 'pod:b', 'pod:c', 'pod:d', 'schedule']));
    expect(q.idle()).toBe(true);
  });

  it('retries a failing key with back-off until it succeeds', async () => {
    let attempts = 0;
    const q = new WorkQueue(async () => {
      attempts += 1;
      if (attempts < 3) throw Object.assign(new Error('boom'), { code: 500 });
    }, silent);
    q.start();
    q.enqueue('k');
    // Back-off 400 then 800 ms: the third attempt succeeds, after which nothing is due.
    await until(() => attempts >= 3 && q.idle(), 'the third attempt');
    await q.stop();
    expect(attempts).toBe(3);
  });

  it('drops pending retries on stop', async () => {
    let attempts = 0;
    const q = new WorkQueue(async () => {
      attempts += 1;
      throw new Error('always');
    }, silent);
    q.start();
    q.enqueue('k');
    await new Promise((r) => setTimeout(r, 20));
    await q.stop();
    await new Promise((r) => setTimeout(r, 500));
    expect(attempts).toBe(1);
  });

  it('backs off exponentially up to 10 s', () => {
    expect([1, 2, 3, 10].map(retryDelayMs)).toEqual([400, 800, 1600, 10_000]);
  });
});
