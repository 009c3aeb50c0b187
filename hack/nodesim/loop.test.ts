import { describe, expect, it } from 'vitest';
import pino from 'pino';
import { retryDelayMs, WorkQueue } from './loop.js';

const silent = pino({ level: 'silent' });

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
    await new Promise((r) => setTimeout(r, 100));
    await q.stop();
    expect(seen).toEqual(['a', 'b', 'c']);
    expect(maxRunning).toBe(1);
  });

  it('retries a failing key with back-off until it succeeds', async () => {
    let attempts = 0;
    const q = new WorkQueue(async () => {
      attempts += 1;
      if (attempts < 3) throw Object.assign(new Error('boom'), { code: 500 });
    }, silent);
    q.start();
    q.enqueue('k');
    await new Promise((r) => setTimeout(r, 1_500));
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
