import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { useCluster } from '../harness/cluster.js';
import { startOperator } from '../../operators/manager.js';
import { condition, getLane } from './support.js';

const cluster = useCluster();
const logger = pino({ level: process.env.AGENTLAB_TEST_LOG_LEVEL ?? 'silent' });
const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

const SERVED = 'Qwen/Qwen2.5-1.5B-Instruct';

describe('a lane mapping a name its vLLM ModelServer does not serve', () => {
  // vLLM answers only to its --served-model-name: a Ready server would answer the router with
  // 404 for any other name, so the lane must not call that provider ready.
  it('shows the provider not Ready, naming the unmapped name and the served names, until the lane maps a served name', async () => {
    const id = randomBytes(3).toString('hex');
    const msNs = await cluster.newNamespace('lanes-served');
    // The LanePolicy controller as `agentlab run --controllers lanepolicy` loads it. The ModelServer
    // controller does not run: the test writes the ModelServer's Ready status itself.
    const operator = await startOperator({
      kubeConfig: cluster.kc, logger, namespaces: [msNs], labelSelector: `lanes.test.agentlab.dev/fixture=${id}`,
      controllers: ['lanepolicy'], router: { namespace: msNs, podLabels: { app: 'router' }, port: 8080 },
    });
    cleanups.push(() => operator.stop());

    await cluster.applyYaml(JSON.stringify({
      apiVersion: 'agentlab.dev/v1alpha1', kind: 'ModelServer', metadata: { name: 'vllm-3070', namespace: msNs },
      spec: { runtime: 'vllm', models: [{ name: SERVED }], gpu: { count: 1 } },
    }));
    await cluster.request({
      method: 'PATCH', path: `/apis/agentlab.dev/v1alpha1/namespaces/${msNs}/modelservers/vllm-3070/status`, contentType: 'application/merge-patch+json',
      body: { status: { endpoint: `http://vllm-3070.${msNs}.svc:8000`, conditions: [{ type: 'Ready', status: 'True', reason: 'Succeeded', message: `serving ${SERVED}`, lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z') }] } },
    });

    const lane = `served-${id}`;
    const applyLane = (models: Record<string, string>) => cluster.applyYaml(JSON.stringify({
      apiVersion: 'agentlab.dev/v1alpha1', kind: 'LanePolicy', metadata: { name: lane, labels: { 'lanes.test.agentlab.dev/fixture': id } },
      spec: { namespaceSelector: { matchLabels: { 'lanes.test.agentlab.dev/lane': lane } }, allowCloud: false, providers: [{ name: 'local-qwen', modelServerRef: { name: 'vllm-3070', namespace: msNs }, models }] },
    }));
    await applyLane({ fast: SERVED, chat: 'llama3.1:8b' });
    cleanups.push(async () => {
      await cluster.request({ method: 'DELETE', path: `/apis/agentlab.dev/v1alpha1/lanepolicies/${lane}` });
      await cluster.waitFor(async () => (await cluster.request({ path: `/apis/agentlab.dev/v1alpha1/lanepolicies/${lane}` })).status === 404, { what: 'lane finalized' });
    });

    const unserved = `ModelServer ${msNs}/vllm-3070 does not serve "llama3.1:8b" (it serves only "${SERVED}"); map spec.providers[].models to a served name, or add the name to the ModelServer (vLLM --served-model-name)`;
    const failing = await cluster.waitFor(async () => {
      const l = await getLane(cluster, lane);
      return condition(l, 'Ready')?.status === 'False' ? l : undefined;
    }, { what: 'lane Ready False' });
    expect(failing.status!.providers).toEqual([{ name: 'local-qwen', locality: 'local', ready: false, endpoint: `http://vllm-3070.${msNs}.svc:8000`, lastError: unserved }]);
    expect(condition(failing, 'Ready')).toMatchObject({ reason: 'NoProviderReady', message: `local-qwen: ${unserved}` });
    expect(condition(failing, 'ProvidersReady')).toMatchObject({ status: 'False', reason: 'NoProviderReady' });

    // `kubectl describe` shows the same words as a Warning event on the lane.
    const events = await cluster.waitFor(async () => {
      const out = await cluster.kubectl(['get', 'events', '-A', '--field-selector', `involvedObject.kind=LanePolicy,involvedObject.name=${lane},type=Warning`, '-o', 'jsonpath={.items[*].message}']);
      return out.stdout.includes('does not serve "llama3.1:8b"') ? out.stdout : undefined;
    }, { what: 'a Warning event naming the unserved model' });
    expect(events).toContain(`it serves only "${SERVED}"`);

    await applyLane({ fast: SERVED, chat: SERVED });
    const ready = await cluster.waitFor(async () => {
      const l = await getLane(cluster, lane);
      return condition(l, 'Ready')?.status === 'True' ? l : undefined;
    }, { what: 'lane Ready once every name is served' });
    expect(ready.status!.providers).toEqual([{ name: 'local-qwen', locality: 'local', ready: true, endpoint: `http://vllm-3070.${msNs}.svc:8000` }]);
  });
});
