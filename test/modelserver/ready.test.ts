import { describe, expect, it } from 'vitest';
import { useCluster } from '../harness/cluster.js';
import { client, condition, events, modelServerYaml, operatorFor } from './support.js';
import { DEPLOYMENTS, PVCS, SERVICES } from '../../operators/modelserver/types.js';

const cluster = useCluster();

describe('ModelServer becomes Ready with two models pulled', () => {
  it('is placed, deployed, pulls both models and reports it through kubectl', async () => {
    const ns = await cluster.newNamespace('ms-ready');
    const op = await operatorFor(cluster, ns, { metricsPort: 0, healthPort: 0 });
    const c = client(cluster);
    await cluster.applyYaml(modelServerYaml('ollama-main', {
      runtime: 'ollama',
      models: [{ name: 'llama3.1:8b' }, { name: 'nomic-embed-text' }],
      warmup: { prompt: 'Say hello.' },
      resources: { requests: { cpu: '1', memory: '1Gi' } },
    }), { namespace: ns });

    const wait = await cluster.kubectl(['wait', '-n', ns, '--for=condition=Ready', 'modelserver/ollama-main', '--timeout=60s'], { timeoutMs: 70_000 });
    expect(wait.stdout).toContain('condition met');

    const table = await cluster.kubectl(['get', 'modelservers', '-n', ns]);
    const [header, row] = table.stdout.trim().split('\n');
    expect(header.split(/\s{2,}/)).toEqual(['NAME', 'RUNTIME', 'NODE', 'MODELS', 'READY', 'STATUS', 'AGE']);
    expect(row).toMatch(/^ollama-main\s+ollama\s+pumped-piglet\s+2\/2\s+True\s+serving 2 models on pumped-piglet at http:\/\/ollama-main\.\S+\.svc:11434\s+\S+$/);

    const ms = JSON.parse((await cluster.kubectl(['get', 'ms', 'ollama-main', '-n', ns, '-o', 'json'])).stdout);
    expect(ms.status.observedGeneration).toBe(ms.metadata.generation);
    expect(ms.status.models.map((m: { name: string; present: boolean }) => [m.name, m.present])).toEqual([['llama3.1:8b', true], ['nomic-embed-text', true]]);
    for (const m of ms.status.models) expect(m.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(ms.status.warmedUpAt, JSON.stringify(ms.status)).toBeTruthy();
    expect(condition(ms, 'ModelsReady')).toMatchObject({ status: 'True', reason: 'ModelsPresent' });
    expect(condition(ms, 'Scheduled')).toMatchObject({ status: 'True', reason: 'Placed' });
    expect(condition(ms, 'Reconciling')).toBeUndefined();
    expect(ms.status.placement.candidates).toHaveLength(3);

    // Children carry a controller reference to the ModelServer.
    for (const [res, name] of [[PVCS, 'ollama-main-cache'], [SERVICES, 'ollama-main'], [DEPLOYMENTS, 'ollama-main']] as const) {
      const child = await c.get(res, ns, name);
      expect(child.metadata?.ownerReferences).toEqual([expect.objectContaining({ kind: 'ModelServer', name: 'ollama-main', uid: ms.metadata.uid, controller: true })]);
    }

    // The Ready transition's event is written after the status (operators/runtime/runtime.ts), the
    // ready gauge beside it: waited for, not read the moment kubectl saw Ready.
    const evs = await cluster.waitFor(async () => {
      const e = await events(c, ns, 'ollama-main');
      return e.some((x) => x.type === 'Normal' && x.reason === 'Succeeded') ? e : undefined;
    }, { what: 'the Succeeded event of ollama-main' });
    expect(evs.some((e) => e.type === 'Normal' && e.reason === 'Succeeded')).toBe(true);

    const metrics = await (await fetch(`${op.metricsUrl}/metrics`)).text();
    expect(metrics).toMatch(new RegExp(`agentlab_resource_ready\\{kind="ModelServer",namespace="${ns}",name="ollama-main"\\} 1`));
    expect(metrics).toMatch(/controller_runtime_reconcile_total\{controller="modelserver",result="(success|requeue_after)"\} [1-9]/);
    expect(metrics).toContain('workqueue_adds_total{name="modelserver"}');
    expect((await fetch(`${op.healthUrl}/readyz`)).status).toBe(200);
    expect((await fetch(`${op.healthUrl}/healthz`)).status).toBe(200);
  });
});
