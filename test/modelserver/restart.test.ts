import { describe, expect, it } from 'vitest';
import { useCluster } from '../harness/cluster.js';
import type { KubeObject } from '../../operators/runtime/kube.js';
import { DEPLOYMENTS, PVCS, SERVICES } from '../../operators/modelserver/types.js';
import { client, condition, modelServerYaml, ollamaModels, operatorFor, waitForReady } from './support.js';

const cluster = useCluster();

describe('operator restart in the middle of a pull', () => {
  // SIM_OLLAMA_PULL_MS (docs/node-simulator.md) slows the simulated Ollama's pull to one progress
  // line every 400 ms (about 7 s for llama3.1:8b), so the operator can be stopped mid-download.
  it.runIf(cluster.nodeSimulator)('creates no duplicate children and resumes the pull', async () => {
    const ns = await cluster.newNamespace('ms-restart');
    const c = client(cluster);
    const first = await operatorFor(cluster, ns);
    await cluster.applyYaml(modelServerYaml('resume', {
      models: [{ name: 'llama3.1:8b' }],
      env: [{ name: 'SIM_OLLAMA_PULL_MS', value: '400' }],
    }), { namespace: ns });

    const mid = await waitForReady(cluster, c, ns, 'resume', (r, ms) => r?.reason === 'Pulling' && (ms.status?.models?.[0]?.progress ?? 0) > 0);
    expect(condition(mid, 'Reconciling')).toMatchObject({ status: 'True', reason: 'Pulling' });
    expect(mid.status?.models?.[0]).toMatchObject({ name: 'llama3.1:8b', present: false });
    const uids = async () => Promise.all([[PVCS, 'resume-cache'], [SERVICES, 'resume'], [DEPLOYMENTS, 'resume']].map(async ([r, n]) => (await c.get(r as typeof PVCS, ns, n as string)).metadata?.uid));
    const before = await uids();
    await first.stop();
    // Stopping aborted the download: the server does not have the model.
    expect(await ollamaModels(cluster, c, ns, 'resume')).toEqual([]);

    await operatorFor(cluster, ns);
    const done = await waitForReady(cluster, c, ns, 'resume', (r) => r?.status === 'True', 60_000);
    expect(done.status?.models?.[0]).toMatchObject({ name: 'llama3.1:8b', present: true });
    expect(await ollamaModels(cluster, c, ns, 'resume')).toEqual(['llama3.1:8b']);
    expect(await uids()).toEqual(before);

    const labelSelector = 'agentlab.dev/modelserver=resume';
    for (const path of [`/apis/apps/v1/namespaces/${ns}/deployments`, `/api/v1/namespaces/${ns}/services`, `/api/v1/namespaces/${ns}/persistentvolumeclaims`]) {
      const list = await c.request<{ items: KubeObject[] }>(path, { query: { labelSelector } });
      expect(list.items).toHaveLength(1);
    }
  }, 90_000);
});
