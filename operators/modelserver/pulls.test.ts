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
});
