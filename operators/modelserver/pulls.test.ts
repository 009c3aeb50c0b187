import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { PullManager, type PullClient } from './pulls.js';

type Line = { status: string; completed?: number; total?: number };

/** A pull stream the test drives line by line. */
function scripted(lines: Line[], fail?: Error): PullClient & { calls: number } {
  const c = {
    calls: 0,
    async pull() {
      c.calls++;
      let aborted = false;
      async function* gen() {
        for (const l of lines) { if (aborted) return; await new Promise((r) => setTimeout(r, 1)); yield l; }
        if (fail) throw fail;
      }
      return Object.assign(gen(), { abort: () => { aborted = true; } });
    },
  };
  return c;
}

const until = async (cond: () => boolean) => { for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 5)); };

describe('PullManager', () => {
  it('pulls once per model, tracks percent and notifies on completion', async () => {
    const notified: string[] = [];
    const now = { t: 0 };
    const m = new PullManager({ log: pino({ level: 'silent' }), notify: (k) => notified.push(k), progressIntervalMs: 1_000_000, now: () => now.t });
    const client = scripted([{ status: 'pulling', completed: 50, total: 100 }, { status: 'success', completed: 100, total: 100 }]);
    m.ensure('ns/a', 'llama3.1:8b', client);
    m.ensure('ns/a', 'llama3.1:8b', client); // idempotent while running
    await until(() => !m.state('ns/a', 'llama3.1:8b')!.running);
    expect(client.calls).toBe(1);
    expect(m.state('ns/a', 'llama3.1:8b')).toMatchObject({ running: false, percent: 100, attempts: 0 });
    expect(notified).toEqual(['ns/a', 'ns/a']); // first progress line, then completion (throttled between)
  });

  it('backs off after a failure and retries only when the time has come', async () => {
    const now = { t: 10_000 };
    const m = new PullManager({ log: pino({ level: 'silent' }), notify: () => {}, baseRetryMs: 2_000, now: () => now.t });
    const bad = scripted([{ status: 'pulling' }], new Error('stream reset'));
    m.ensure('ns/a', 'x', bad);
    await until(() => !m.state('ns/a', 'x')!.running);
    const s = m.state('ns/a', 'x')!;
    expect(s).toMatchObject({ attempts: 1, lastError: 'stream reset' });
    expect(s.nextAttemptAt).toBeGreaterThanOrEqual(11_000);
    expect(s.nextAttemptAt).toBeLessThanOrEqual(12_000);
    m.ensure('ns/a', 'x', bad);
    expect(bad.calls).toBe(1);
    now.t = 12_000;
    const good = scripted([{ status: 'success' }]);
    m.ensure('ns/a', 'x', good);
    await until(() => !m.state('ns/a', 'x')!.running);
    expect(good.calls).toBe(1);
    expect(m.state('ns/a', 'x')).toMatchObject({ attempts: 1, lastError: undefined });
  });

  it('forget drops a key and stops its pulls from reporting', async () => {
    const notified: string[] = [];
    const m = new PullManager({ log: pino({ level: 'silent' }), notify: (k) => notified.push(k), progressIntervalMs: 0 });
    m.ensure('ns/a', 'x', scripted(Array.from({ length: 50 }, () => ({ status: 'pulling' }))));
    m.forget('ns/a');
    await new Promise((r) => setTimeout(r, 30));
    expect(m.state('ns/a', 'x')).toBeUndefined();
    expect(notified.length).toBeLessThanOrEqual(1);
  });

  // controller.ts forwards its own optional settings, which are undefined in production
  // (`agentlab run` sets none): the manager must fall back to its defaults for them.
  const asTheControllerBuildsIt = (notify: (key: string) => void, clock?: { now: () => number }) =>
    new PullManager({ log: pino({ level: 'silent' }), notify, progressIntervalMs: undefined, baseRetryMs: undefined, ...clock });

  it('built as the controller builds it, backs off a model that does not exist with finite, growing delays up to 5 min', async () => {
    const now = { t: 1_000_000 };
    const m = asTheControllerBuildsIt(() => {}, { now: () => now.t });
    const missing = scripted([{ status: 'pulling manifest' }], new Error('pull model manifest: file does not exist'));
    const delays: number[] = [];
    for (let attempt = 1; attempt <= 12; attempt++) {
      m.ensure('ns/a', 'lama3.1:8b', missing);
      await until(() => !m.state('ns/a', 'lama3.1:8b')!.running);
      const s = m.state('ns/a', 'lama3.1:8b')!;
      expect(s).toMatchObject({ attempts: attempt, lastError: 'pull model manifest: file does not exist' });
      expect(Number.isFinite(s.nextAttemptAt)).toBe(true);
      delays.push(s.nextAttemptAt! - now.t);
      m.ensure('ns/a', 'lama3.1:8b', missing); // not yet: no new request
      expect(missing.calls).toBe(attempt);
      now.t = s.nextAttemptAt!;
    }
    // Attempt n waits in [2 s * 2^(n-1) / 2, 2 s * 2^(n-1)] until that reaches the 5 min cap.
    expect(delays[0]).toBeGreaterThanOrEqual(1_000);
    expect(delays[0]).toBeLessThanOrEqual(2_000);
    for (let i = 1; i < 8; i++) expect(delays[i]).toBeGreaterThanOrEqual(delays[i - 1] - 1e-6);
    expect(delays[5]).toBeGreaterThanOrEqual(32_000);
    for (const d of delays.slice(9)) {
      expect(d).toBeGreaterThanOrEqual(150_000);
      expect(d).toBeLessThanOrEqual(300_000);
    }
  });

  it('built as the controller builds it, does not spin: a reconcile on every notification pulls a missing model once per backoff', async () => {
    const pulled: number[] = [];
    const missing = scripted([{ status: 'pulling manifest' }], new Error('pull model manifest: file does not exist'));
    const original = missing.pull.bind(missing);
    missing.pull = async (req) => { pulled.push(Date.now()); return original(req); };
    let notifications = 0;
    // The controller's loop: every notification queues the key, and each reconcile calls ensure.
    const m: PullManager = asTheControllerBuildsIt(() => { notifications++; setImmediate(() => m.ensure('ns/a', 'lama3.1:8b', missing)); });
    m.ensure('ns/a', 'lama3.1:8b', missing);
    await new Promise((r) => setTimeout(r, 500));
    m.stop();
    // The first retry is due after at least 1 s: one request and a handful of notifications.
    expect(pulled).toHaveLength(1);
    expect(notifications).toBeLessThanOrEqual(2);
  });

  it('rejects settings that are not finite durations, naming the option', () => {
    expect(() => new PullManager({ log: pino({ level: 'silent' }), notify: () => {}, baseRetryMs: Number.NaN })).toThrow(/PullManager: option baseRetryMs must be a finite number >= 1, got NaN/);
    expect(() => new PullManager({ log: pino({ level: 'silent' }), notify: () => {}, progressIntervalMs: -5 })).toThrow(/progressIntervalMs/);
  });

  it('does not pull again for a listing taken before the pull ended, but does once the model is really gone', async () => {
    const now = { t: 50_000 };
    const m = new PullManager({ log: pino({ level: 'silent' }), notify: () => {}, now: () => now.t });
    const client = scripted([{ status: 'success' }]);
    m.ensure('ns/a', 'llama3.1:8b', client);
    await until(() => !m.state('ns/a', 'llama3.1:8b')!.running);
    expect(m.state('ns/a', 'llama3.1:8b')).toMatchObject({ running: false, percent: 100, pulledAt: 50_000 });
    now.t += 14_999; // a reconcile whose listing started before the pull ended
    expect(m.ensure('ns/a', 'llama3.1:8b', client)).toMatchObject({ running: false, pulledAt: 50_000 });
    expect(client.calls).toBe(1);
    now.t += 1; // a listing started after the pull ended: the model was deleted since
    expect(m.ensure('ns/a', 'llama3.1:8b', client).running).toBe(true);
    expect(client.calls).toBe(2);
  });
});
