import { describe, expect, it } from 'vitest';
import { useCluster } from '../harness/cluster.js';
import { client, condition, events, modelServerYaml, operatorFor, pullRequests, waitForReady } from './support.js';

const cluster = useCluster();

describe('a model pull that fails, then succeeds', () => {
  // The fault is the simulated Ollama's own: SIM_OLLAMA_FAIL_PULLS (docs/node-simulator.md) makes
  // its next two pulls of nomic-embed-text break off mid-download with Ollama's error line, as a
  // flaky registry connection does. A real Ollama ignores the variable.
  // The operator runs with its production retry timing (2 s doubling).
  it.runIf(cluster.nodeSimulator)('shows the failure and the backoff in status and one event, then becomes Ready', async () => {
    const ns = await cluster.newNamespace('ms-retry');
    await operatorFor(cluster, ns);
    const c = client(cluster);
    await cluster.applyYaml(modelServerYaml('flaky', {
      models: [{ name: 'llama3.1:8b' }, { name: 'nomic-embed-text' }],
      env: [{ name: 'SIM_OLLAMA_FAIL_PULLS', value: 'nomic-embed-text=2' }],
    }), { namespace: ns });

    const failing = await waitForReady(cluster, c, ns, 'flaky', (r) => r?.reason === 'PullFailed');
    const ready = condition(failing, 'Ready')!;
    expect(ready.status).toBe('False');
    expect(ready.message).toMatch(/^pull of nomic-embed-text failed: max retries exceeded: Get "https:\/\/registry\.ollama\.ai\/\S+": connection reset by peer; retrying with backoff$/);
    expect(condition(failing, 'Reconciling')).toMatchObject({ status: 'True', reason: 'ProgressingWithRetry' });
    expect(condition(failing, 'ModelsReady')).toMatchObject({ status: 'False', reason: 'PullFailed', message: ready.message });
    const model = failing.status!.models!.find((m) => m.name === 'nomic-embed-text')!;
    expect(model.present).toBe(false);
    expect(model.message).toMatch(/^pull failed \(attempt 1\): max retries exceeded: .*connection reset by peer; (next attempt at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ|attempt 2 running)$/);

    const done = await waitForReady(cluster, c, ns, 'flaky', (r) => r?.status === 'True', 60_000);
    expect(done.status?.modelsReady).toBe('2/2');
    expect(done.status?.models?.every((m) => m.present)).toBe(true);

    // Exactly the two injected failures were retried: one pull of llama3.1:8b, three of nomic-embed-text.
    expect(await pullRequests(cluster, ns, 'flaky')).toBe(4);
    // Both failures read the same, so the Warning is recorded once; then success.
    // The Ready transition's event is written after the status (operators/runtime/runtime.ts): waited for, not read once.
    const evs = await cluster.waitFor(async () => {
      const e = await events(c, ns, 'flaky');
      return e.some((x) => x.type === 'Normal' && x.reason === 'Succeeded') ? e : undefined;
    }, { what: 'the Succeeded event of flaky' });
    const warnings = evs.filter((e) => e.type === 'Warning' && e.reason === 'PullFailed').map((e) => e.message);
    expect(warnings).toEqual([ready.message]);
    expect(evs.some((e) => e.type === 'Normal' && e.reason === 'Succeeded')).toBe(true);
  }, 120_000); // its waits add up past the 60 s default
});
