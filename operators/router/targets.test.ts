import { describe, expect, it } from 'vitest';
import type { KubeConfig } from '@kubernetes/client-node';
import type { ModelServer } from '../modelserver/types.js';
import type { KubeClient } from '../runtime/kube.js';
import type { ServiceAccess } from '../runtime/service-access.js';
import { UpstreamFailure } from './providers/http.js';
import { TargetResolver } from './targets.js';

const ms: ModelServer = { apiVersion: 'agentlab.dev/v1alpha1', kind: 'ModelServer', metadata: { name: 'llm', namespace: 'ai' }, spec: { models: [{ name: 'llama3.1:8b' }] }, status: { models: [{ name: 'llama3.1:8b', present: true }] } } as ModelServer;
const provider = { name: 'local', type: 'ollama', modelServerRef: { namespace: 'ai', name: 'llm' } } as never;
const client = { server: new URL('https://127.0.0.1:6443') } as KubeClient;
const kc = { applyToHTTPSOptions: async (o: { headers?: Record<string, string> }) => { o.headers = { Authorization: 'Bearer t' }; } } as unknown as KubeConfig;

function resolver(access: ServiceAccess, servers: ModelServer[] = [ms]): TargetResolver {
  return new TargetResolver(client, kc, (ns, name) => servers.find((s) => s.metadata?.namespace === ns && s.metadata?.name === name), access);
}

describe('TargetResolver with a ServiceAccess', () => {
  it("asks the ServiceAccess for the ModelServer's http port and adds no API server credentials to a direct URL", async () => {
    const asked: unknown[] = [];
    const t = await resolver({ base: async (...args) => { asked.push(args); return { url: 'http://127.0.0.1:41000', fetch }; } }).resolve(provider, 'llama3.1:8b');
    expect(asked).toEqual([['ai', 'llm', { name: 'http', port: 11434 }]]);
    expect(t).toEqual({ baseURL: 'http://127.0.0.1:41000', model: 'llama3.1:8b' });
  });

  it("adds the API server's credentials when the route is its service proxy", async () => {
    const t = await resolver({ base: async () => ({ url: 'https://127.0.0.1:6443/api/v1/namespaces/ai/services/llm:http/proxy', fetch }) }).resolve(provider, 'm');
    expect(t.headers).toEqual({ Authorization: 'Bearer t' });
  });

  it('turns a route that cannot be found into an Unavailable upstream failure naming the ModelServer', async () => {
    const err = await resolver({ base: async () => { throw new Error('service ai/llm has no ready simulated pod serving port "http"'); } }).resolve(provider, 'm').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UpstreamFailure);
    expect(err).toMatchObject({ failure: 'Unavailable', message: 'ModelServer ai/llm: service ai/llm has no ready simulated pod serving port "http"' });
  });
});

describe('TargetResolver and the ModelServer\'s models', () => {
  const base = async () => ({ url: 'http://127.0.0.1:41000', fetch });
  const withModels = (models: NonNullable<ModelServer['status']>['models']) => ({ ...ms, status: { models } }) as ModelServer;

  it('is Unavailable (asked again, not refused) while the server has not pulled the model, naming it and the pull', async () => {
    const pulling = withModels([{ name: 'llama3.1:8b', present: false, progress: 40, message: 'pulling' }]);
    const err = await resolver({ base }, [pulling]).resolve(provider, 'llama3.1:8b').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UpstreamFailure);
    expect(err).toMatchObject({ failure: 'Unavailable', message: 'ModelServer ai/llm has not pulled model llama3.1:8b yet (pulling)' });
  });

  it('is Unavailable for a model the spec requests while the status has not reported it yet (no status, or a status from before the model was added)', async () => {
    for (const stale of [{ ...ms, status: undefined } as ModelServer, withModels([{ name: 'qwen2.5:7b', present: true }])]) {
      const err = await resolver({ base }, [stale]).resolve(provider, 'llama3.1:8b').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(UpstreamFailure);
      expect(err).toMatchObject({ failure: 'Unavailable', message: 'ModelServer ai/llm has not reported model llama3.1:8b pulled yet' });
    }
  });

  it('resolves once the model is present, and for a model the status does not list (the server answers for it)', async () => {
    const pulled = withModels([{ name: 'llama3.1', present: true }, { name: 'nomic-embed-text', present: false, message: 'waiting to pull' }]);
    expect(await resolver({ base }, [pulled]).resolve(provider, 'llama3.1:latest')).toEqual({ baseURL: 'http://127.0.0.1:41000', model: 'llama3.1:latest' });
    expect(await resolver({ base }, [pulled]).resolve(provider, 'qwen2.5:7b')).toEqual({ baseURL: 'http://127.0.0.1:41000', model: 'qwen2.5:7b' });
  });
});

describe('TargetResolver for a vLLM ModelServer', () => {
  const vllm = { apiVersion: 'agentlab.dev/v1alpha1', kind: 'ModelServer', metadata: { name: 'vllm-3070', namespace: 'ai' }, spec: { runtime: 'vllm', models: [{ name: 'Qwen/Qwen2.5-1.5B-Instruct' }] }, status: { models: [{ name: 'Qwen/Qwen2.5-1.5B-Instruct', present: true }] } } as ModelServer;
  const qwen = { name: 'local-qwen', type: 'openai-compatible', modelServerRef: { namespace: 'ai', name: 'vllm-3070' } } as never;

  it("points the OpenAI-compatible adapter at the Service's /v1 on vLLM's port, with the served model name", async () => {
    const asked: unknown[] = [];
    const t = await resolver({ base: async (...args) => { asked.push(args); return { url: 'http://127.0.0.1:41000', fetch }; } }, [vllm]).resolve(qwen, 'Qwen/Qwen2.5-1.5B-Instruct');
    expect(asked).toEqual([['ai', 'vllm-3070', { name: 'http', port: 8000 }]]);
    expect(t).toEqual({ baseURL: 'http://127.0.0.1:41000/v1', model: 'Qwen/Qwen2.5-1.5B-Instruct' });
  });

  it('refuses to speak Ollama to it while the lane still says ollama', async () => {
    const stale = { name: 'local-qwen', type: 'ollama', modelServerRef: { namespace: 'ai', name: 'vllm-3070' } } as never;
    const err = await resolver({ base: async () => ({ url: 'http://127.0.0.1:41000', fetch }) }, [vllm]).resolve(stale, 'm').catch((e: unknown) => e);
    expect(err).toMatchObject({ failure: 'Unavailable', message: 'ModelServer ai/vllm-3070 speaks the openai-compatible API; the lane is being reloaded' });
  });
});
