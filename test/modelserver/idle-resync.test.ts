import { describe, expect, it } from 'vitest';
import { useCluster } from '../harness/cluster.js';
import { modelServerYaml, operatorFor } from './support.js';

const cluster = useCluster();

// A converged ModelServer costs the API server nothing: periodic resyncs replay it to the
// controller, which finds its children up to date and its status unchanged, and writes nothing
// (children are skipped by their applied hash, status is compared before it is written).
describe('an idle ModelServer across resyncs', () => {
  it('is reconciled again on every resync and makes no API write', async () => {
    const ns = await cluster.newNamespace('ms-idle');
    const resyncMs = 1000;
    const op = await operatorFor(cluster, ns, { resyncPeriodMs: resyncMs });
    await cluster.applyYaml(modelServerYaml('idle', { runtime: 'ollama', models: [{ name: 'qwen2.5:0.5b' }] }), { namespace: ns });
    const wait = await cluster.kubectl(['wait', '-n', ns, '--for=condition=Ready', 'modelserver/idle', '--timeout=60s'], { timeoutMs: 70_000 });
    expect(wait.stdout).toContain('condition met');

    const reconciles = async () => {
      const text = await op.registry.metrics();
      return [...text.matchAll(/^controller_runtime_reconcile_total\{controller="modelserver",[^}]*\} (\d+)/gm)].reduce((a, m) => a + Number(m[1]), 0);
    };
    // Let the last status write's echo and any requeue it caused settle.
    await new Promise((r) => setTimeout(r, 2 * resyncMs));
    const writes0 = op.client.counter.writes;
    const reconciles0 = await reconciles();
    // Three resyncs, waited for rather than given 3.5 periods (a loaded machine stretches them).
    await cluster.waitFor(async () => (await reconciles()) >= reconciles0 + 3, { what: 'three resyncs of idle', timeoutMs: 60_000, intervalMs: 200 });
    expect(await reconciles()).toBeGreaterThanOrEqual(reconciles0 + 3);
    expect(op.client.counter.writes - writes0).toBe(0);
  }, 120_000);
});
