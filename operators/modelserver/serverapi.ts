import { Ollama } from 'ollama';
import type { KubeClient } from '../runtime/kube.js';
import type { PresentModel } from './models.js';
import type { PullClient } from './pulls.js';
import { RUNTIME_PORTS, type ModelServer, runtimeOf } from './types.js';
import { serviceName } from './desired.js';

/** Inside a pod the Service DNS name works; outside, the API server's service proxy does. */
export function inCluster(): boolean {
  return Boolean(process.env.KUBERNETES_SERVICE_HOST);
}

/** Base URL of a ModelServer's API, and the fetch that can reach it. */
export function serverBase(client: KubeClient, ms: ModelServer): { url: string; fetch: typeof globalThis.fetch } {
  const ns = ms.metadata!.namespace!;
  const name = serviceName(ms);
  if (inCluster()) return { url: `http://${name}.${ns}.svc:${RUNTIME_PORTS[runtimeOf(ms.spec)].port}`, fetch: globalThis.fetch };
  const server = client.server.toString().replace(/\/$/, '');
  return { url: `${server}/api/v1/namespaces/${encodeURIComponent(ns)}/services/${encodeURIComponent(name)}:http/proxy`, fetch: client.fetch };
}

/** Rejects when `p` takes longer than `ms`, calling `onTimeout` to abort the work. */
export async function withTimeout<T>(p: Promise<T>, ms: number, what: string, onTimeout?: () => void): Promise<T> {
  let t: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    t = setTimeout(() => { onTimeout?.(); reject(new Error(`${what} timed out after ${ms / 1000}s`)); }, ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(t);
  }
}

/** What the controller needs from an inference server. */
export interface ServerApi {
  list(): Promise<PresentModel[]>;
  pullClient(): PullClient;
  remove(model: string): Promise<void>;
  warmup(model: string, prompt: string): Promise<void>;
}

export function ollamaApi(client: KubeClient, ms: ModelServer): ServerApi {
  const base = serverBase(client, ms);
  const make = () => new Ollama({ host: base.url, fetch: base.fetch });
  return {
    async list() {
      const o = make();
      const res = await withTimeout(o.list(), 15_000, 'listing models');
      return res.models.map((m) => ({
        name: m.name, digest: m.digest, sizeBytes: m.size,
        modifiedAt: m.modified_at ? new Date(m.modified_at).toISOString().replace(/\.\d{3}Z$/, 'Z') : undefined,
      }));
    },
    pullClient() {
      return make() as unknown as PullClient;
    },
    async remove(model) {
      await withTimeout(make().delete({ model }), 30_000, `deleting ${model}`);
    },
    async warmup(model, prompt) {
      const o = make();
      await withTimeout(o.generate({ model, prompt, stream: false }), 120_000, `warm-up of ${model}`, () => o.abort());
    },
  };
}

/** vLLM: health from /health, the served model from the OpenAI-compatible /v1/models. */
export function vllmApi(client: KubeClient, ms: ModelServer): ServerApi {
  const base = serverBase(client, ms);
  const get = async (path: string): Promise<Response> => {
    const res = await withTimeout(base.fetch(`${base.url}${path}`, { method: 'GET', headers: { Accept: 'application/json' } }), 15_000, `GET ${path}`);
    if (!res.ok) throw new Error(`GET ${path}: HTTP ${res.status}`);
    return res;
  };
  return {
    async list() {
      await (await get('/health')).arrayBuffer();
      const body = (await (await get('/v1/models')).json()) as { data?: { id: string }[] };
      return (body.data ?? []).map((m) => ({ name: m.id }));
    },
    pullClient() {
      throw new Error('vLLM loads its model at start; there is nothing to pull');
    },
    async remove() {
      throw new Error('vLLM serves exactly one model; nothing to delete');
    },
    async warmup(model, prompt) {
      const res = await withTimeout(base.fetch(`${base.url}/v1/completions`, {
        method: 'POST', headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ model, prompt, max_tokens: 1 }),
      }), 120_000, `warm-up of ${model}`);
      await res.arrayBuffer();
      if (!res.ok) throw new Error(`warm-up of ${model}: HTTP ${res.status}`);
    },
  };
}

export function serverApi(client: KubeClient, ms: ModelServer): ServerApi {
  return runtimeOf(ms.spec) === 'vllm' ? vllmApi(client, ms) : ollamaApi(client, ms);
}
