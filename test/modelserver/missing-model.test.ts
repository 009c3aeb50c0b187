import { Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { useCluster } from '../harness/cluster.js';
import { client, condition, events, modelServerYaml, operatorFor, pullRequests, waitForReady } from './support.js';

const cluster = useCluster();

/** The operator's log lines (JSON) about objects in `ns`, captured at the default level (info). */
function capturedLogger(ns: string) {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const text of chunk.toString('utf8').split('\n')) {
        if (!text) continue;
        const line = JSON.parse(text) as Record<string, unknown>;
        if (line.namespace === ns) lines.push(line);
      }
      done();
    },
  });
  return { logger: pino({ level: 'info' }, sink), lines };
}

/**
 * Issue 8, bug 1: a model name that does not exist (`lama3.1:8b`) made the operator retry the pull
 * ~100 times a second. The operator here is started as `agentlab run` starts it, with its
 * production retry timing: retry k waits between 2^(k-1) and 2^k seconds (doubling to 5 min), so
 * n pulls take at least 2^(n-1) - 1 seconds.
 */
describe('a ModelServer asking for a model that does not exist', () => {
  it('says which model and what to fix, records one PullFailed event, and retries with a bounded backoff', async () => {
    const ns = await cluster.newNamespace('ms-typo');
    const captured = capturedLogger(ns);
    await operatorFor(cluster, ns, { logger: captured.logger });
    const c = client(cluster);
    const applied = Date.now();
    await cluster.applyYaml(modelServerYaml('typo', { models: [{ name: 'nomic-embed-text' }, { name: 'lama3.1:8b' }] }), { namespace: ns });

    const failing = await waitForReady(cluster, c, ns, 'typo', (r) => r?.reason === 'PullFailed');
    const expected = 'pull of lama3.1:8b failed: pull model manifest: file does not exist; the registry has no model "lama3.1:8b": '
      + 'correct the name or tag in spec.models[1].name (see https://ollama.com/library); retrying with backoff';
    expect(condition(failing, 'Ready')).toMatchObject({ status: 'False', reason: 'PullFailed', message: expected });
    expect(condition(failing, 'ModelsReady')).toMatchObject({ status: 'False', reason: 'PullFailed', message: expected });
    expect(condition(failing, 'Reconciling')).toMatchObject({ status: 'True', reason: 'ProgressingWithRetry' });
    const typo = failing.status!.models!.find((m) => m.name === 'lama3.1:8b')!;
    expect(typo.present).toBe(false);
    expect(typo.message).toMatch(/^pull failed \(attempt \d+\): pull model manifest: file does not exist; (next attempt at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ|attempt \d+ running)$/);

    const row = (await cluster.kubectl(['get', 'ms', 'typo', '-n', ns, '--no-headers'])).stdout;
    expect(row).toMatch(/^typo\s+ollama\s+\S+\s+\d\/2\s+False\s+pull of lama3\.1:8b failed: pull model manifest: file does not exist; the registry has no model "lama3\.1:8b"/);

    // Watch the retries for a while.
    await new Promise((r) => setTimeout(r, 8_000));
    const elapsedS = (Date.now() - applied) / 1000;
    const pulls = await pullRequests(cluster, ns, 'typo');
    // One pull of nomic-embed-text, the rest are attempts at lama3.1:8b.
    const attempts = pulls - 1;
    expect(attempts).toBeGreaterThanOrEqual(2); // it does retry
    expect(attempts).toBeLessThanOrEqual(1 + Math.floor(Math.log2(elapsedS + 1))); // and backs off
    const now = await waitForReady(cluster, c, ns, 'typo', (r) => r?.reason === 'PullFailed');
    expect(now.status!.models!.find((m) => m.name === 'lama3.1:8b')!.message).toMatch(/^pull failed \(attempt \d+\)/);
    expect(condition(now, 'Ready')?.message).toBe(expected);

    // The Warning is recorded once for the failure, not once per attempt.
    const warnings = (await events(c, ns, 'typo')).filter((e) => e.reason === 'PullFailed');
    expect(warnings.map((e) => [e.type, e.message])).toEqual([['Warning', expected]]);

    // A handful of log lines per attempt (pull started, pull failed, reconcile backing off), not a flood.
    const lines = [...captured.lines];
    const maxAttempts = 1 + Math.floor(Math.log2((Date.now() - applied) / 1000 + 1));
    const failedPulls = lines.filter((l) => l.msg === 'model pull failed; retrying after a backoff');
    expect(failedPulls.length).toBeGreaterThanOrEqual(2);
    expect(failedPulls.length).toBeLessThanOrEqual(maxAttempts);
    expect(failedPulls[0]).toMatchObject({ level: 40, kind: 'ModelServer', namespace: ns, name: 'typo', model: 'lama3.1:8b', error: 'pull model manifest: file does not exist', attempt: 1 });
    expect(lines.length).toBeLessThanOrEqual(10 * maxAttempts + 10);
  });
});
