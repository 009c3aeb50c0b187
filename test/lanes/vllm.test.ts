import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { useCluster } from '../harness/cluster.js';
import { startOperator } from '../../operators/manager.js';
import { lanePolicyController } from '../../operators/lanepolicy/controller.js';
import { modelServerController } from '../../operators/modelserver/controller.js';
import { startRouter } from '../../operators/router/server.js';
import { condition, getLane } from './support.js';

const cluster = useCluster();
const logger = pino({ level: process.env.AGENTLAB_TEST_LOG_LEVEL ?? 'silent' });
const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The repository's vLLM ModelServer, moved into the test's namespace. */
const vllmExample = (ns: string) => readFileSync(path.join(root, 'examples', 'modelserver-vllm-rtx3070.yaml'), 'utf8').replace(/^  namespace: .*$/m, `  namespace: ${ns}`);
const SERVED = 'Qwen/Qwen2.5-1.5B-Instruct';

/** The content of an OpenAI SSE answer and its chunks. */
function readSse(text: string) {
  const data = text.split('\n\n').filter((e) => e.startsWith('data: ')).map((e) => e.slice(6));
  const chunks = data.filter((d) => d !== '[DONE]').map((d) => JSON.parse(d) as { choices: { delta: { content?: string }; finish_reason: string | null }[]; usage?: { completion_tokens: number } });
  return { data, chunks, content: chunks.flatMap((c) => c.choices.map((ch) => ch.delta.content ?? '')).join('') };
}

describe('a private lane on a vLLM ModelServer', () => {
  // Needs pods that serve: the node simulator runs a fake vLLM (OpenAI-compatible) for the
  // vllm/vllm-openai image. On a real cluster the pod would pull the real image and the weights.
  it.runIf(cluster.nodeSimulator)('speaks the OpenAI-compatible API to vLLM with the served model name, streaming and not, and follows its readiness', async () => {
    const id = randomBytes(3).toString('hex');
    const selector = `lanes.test.agentlab.dev/fixture=${id}`;
    const msNs = await cluster.newNamespace('lanes-vllm');
    const laneNs = await cluster.newNamespace('lanes-vllm-private');
    const operator = await startOperator({
      kubeConfig: cluster.kc, logger, namespaces: [msNs, laneNs], labelSelector: selector,
      controllerOverrides: [modelServerController({ serviceAccess: cluster.serviceAccess }) as never, lanePolicyController({ router: { namespace: msNs, podLabels: { app: 'router' }, port: 8080 }, refreshMs: 300 }) as never],
    });
    cleanups.push(() => operator.stop());

    // The lane and the router come first: the router learns the ModelServer's runtime when it appears.
    const lane = `private-vllm-${id}`;
    await cluster.applyYaml(JSON.stringify({
      apiVersion: 'agentlab.dev/v1alpha1', kind: 'LanePolicy', metadata: { name: lane, labels: { 'lanes.test.agentlab.dev/fixture': id } },
      spec: { namespaceSelector: { matchLabels: { 'lanes.test.agentlab.dev/lane': lane } }, allowCloud: false, providers: [{ name: 'local-qwen', modelServerRef: { name: 'vllm-3070', namespace: msNs }, models: { fast: SERVED } }], fallback: { timeout: '5s' } },
    }));
    cleanups.push(async () => {
      await cluster.request({ method: 'DELETE', path: `/apis/agentlab.dev/v1alpha1/lanepolicies/${lane}` });
      await cluster.waitFor(async () => (await cluster.request({ path: `/apis/agentlab.dev/v1alpha1/lanepolicies/${lane}` })).status === 404, { what: 'lane finalized' });
    });
    await cluster.request({ method: 'PATCH', path: `/api/v1/namespaces/${laneNs}`, contentType: 'application/merge-patch+json', body: { metadata: { labels: { 'lanes.test.agentlab.dev/lane': lane } } } });
    const router = await startRouter({ kubeConfig: cluster.kc, logger, laneSelector: selector, namespace: msNs, flushIntervalMs: 200, serviceAccess: cluster.serviceAccess });
    cleanups.push(() => router.stop());
    const token = randomBytes(32).toString('base64url');
    await cluster.core.createNamespacedSecret({ namespace: laneNs, body: { apiVersion: 'v1', kind: 'Secret', type: 'agentlab.dev/router-token', metadata: { name: 'run-token', labels: { 'agentlab.dev/router-token': 'true', 'agentlab.dev/run': 'run' } }, data: { token: Buffer.from(token).toString('base64') } } });
    const post = (p: string, body: unknown) => fetch(`${router.url}${p}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const messages = [{ role: 'user', content: 'Summarise the homelab backup plan' }];

    const missing = await cluster.waitFor(async () => {
      const c = condition(await getLane(cluster, lane), 'ProvidersReady');
      return c?.status === 'False' ? c : undefined;
    }, { what: 'ProvidersReady False before the ModelServer exists' });
    expect(missing.message).toBe(`local-qwen: ModelServer ${msNs}/vllm-3070 not found`);

    await cluster.applyYaml(vllmExample(msNs));
    await cluster.kubectl(['wait', '-n', msNs, '--for=condition=Ready', 'modelserver/vllm-3070', '--timeout=60s'], { timeoutMs: 70_000 });
    // Ready means the server answered /health and listed the model in /v1/models.
    const ready = await cluster.waitFor(async () => {
      const l = await getLane(cluster, lane);
      return condition(l, 'Ready')?.status === 'True' ? l : undefined;
    }, { what: 'lane Ready' });
    expect(ready.status!.providers).toEqual([{ name: 'local-qwen', locality: 'local', ready: true, endpoint: `http://vllm-3070.${msNs}.svc:8000` }]);

    // OpenAI dialect, not streamed: the answer is the fake vLLM's, for the model it serves.
    const ok = await cluster.waitFor(async () => {
      const r = await post('/v1/chat/completions', { model: 'fast', messages, stream: false });
      return r.status === 200 ? r : undefined;
    }, { what: 'an answer from vLLM through the router' });
    const answer = (await ok.json()) as { model: string; choices: { message: { content: string }; finish_reason: string }[]; usage: { completion_tokens: number } };
    expect(answer.model).toBe('fast');
    expect(answer.choices[0].message.content).toMatch(new RegExp(`^This is a deterministic answer from ${SERVED.replace(/[.]/g, '\\.')} \\([0-9a-f]{8}\\) to: Summarise the homelab backup plan$`));
    expect(answer.choices[0].finish_reason).toBe('stop');
    expect(answer.usage.completion_tokens).toBeGreaterThan(0);

    // Streamed: several chunks, the same answer, usage before [DONE].
    const streamed = await post('/v1/chat/completions', { model: 'fast', messages, stream: true, stream_options: { include_usage: true } });
    expect(streamed.status).toBe(200);
    expect(streamed.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const sse = readSse(await streamed.text());
    expect(sse.data.at(-1)).toBe('[DONE]');
    expect(sse.content).toBe(answer.choices[0].message.content);
    expect(sse.chunks.filter((c) => (c.choices[0]?.delta.content ?? '') !== '').length).toBeGreaterThan(1);
    expect(sse.chunks.at(-1)!.usage!.completion_tokens).toBe(answer.usage.completion_tokens);

    // Ollama dialect (what most agents speak): the router translates; vLLM still gets /v1/chat/completions.
    const viaOllama = await post('/api/chat', { model: 'fast', messages, stream: false });
    expect(viaOllama.status).toBe(200);
    expect(((await viaOllama.json()) as { message: { content: string } }).message.content).toBe(answer.choices[0].message.content);

    // Stopped, the server answers nothing: the lane reports it, and the private lane answers 503.
    await cluster.request({ method: 'PATCH', path: `/apis/agentlab.dev/v1alpha1/namespaces/${msNs}/modelservers/vllm-3070`, contentType: 'application/merge-patch+json', body: { spec: { replicas: 0 } } });
    await cluster.waitFor(async () => condition(await getLane(cluster, lane), 'ProvidersReady')?.status === 'False', { what: 'ProvidersReady False once stopped' });
    const refused = await cluster.waitFor(async () => {
      const r = await post('/v1/chat/completions', { model: 'fast', messages, stream: false });
      return r.status === 503 ? r : undefined;
    }, { what: '503 from the private lane' });
    expect(await refused.text()).toContain('local-qwen');
  });
});
