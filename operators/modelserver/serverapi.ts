import { Ollama } from 'ollama';
import type { ServiceAccess, ServiceEndpoint } from '../runtime/service-access.js';
import type { PresentModel } from './models.js';
import type { PullClient } from './pulls.js';
import { RUNTIME_PORTS, type ModelServer, runtimeOf } from './types.js';
import { serviceName } from './desired.js';

/** Where a ModelServer's API answers: the `http` port of its Service, reached through `access`. */
export function serverBase(access: ServiceAccess, ms: ModelServer): Promise<ServiceEndpoint> {
  return access.base(ms.metadata!.namespace!, serviceName(ms), { name: 'http', port: RUNTIME_PORTS[runtimeOf(ms.spec)].port });
}

/** How long listing a server's models may take; a listing is never older than this when it returns. */
export const LIST_TIMEOUT_MS = 15_000;

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

export function ollamaApi(access: ServiceAccess, ms: ModelServer): ServerApi {
  // Resolved per call: the route to a pod may change between calls (pod replaced, proxy vs. DNS).
  const make = async () => {
    const base = await serverBase(access, ms);
    return new Ollama({ host: base.url, fetch: base.fetch });
  };
  return {
    async list() {
      const o = await make();
      const res = await withTimeout(o.list(), LIST_TIMEOUT_MS, 'listing models');
      return res.models.map((m) => ({
        name: m.name, digest: m.digest, sizeBytes: m.size,
        modifiedAt: m.modified_at ? new Date(m.modified_at).toISOString().replace(/\.\d{3}Z$/, 'Z') : undefined,
      }));
    },
    pullClient() {
      return { pull: async (req) => (await make()).pull(req) } satisfies PullClient;
    },
    async remove(model) {
      await withTimeout((await make()).delete({ model }), 30_000, `deleting ${model}`);
    },
    async warmup(model, prompt) {
      const o = await make();
      await withTimeout(o.generate({ model, prompt, stream: false }), 120_000, `warm-up of ${model}`, () => o.abort());
    },
  };
}

/** vLLM: health from /health, the served model from the OpenAI-compatible /v1/models. */
export function vllmApi(access: ServiceAccess, ms: ModelServer): ServerApi {
  const get = async (path: string): Promise<Response> => {
    const base = await serverBase(access, ms);
    const res = await withTimeout(base.fetch(`${base.url}${path}`, { method: 'GET', headers: { Accept: 'application/json' } }), LIST_TIMEOUT_MS, `GET ${path}`);
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
      const base = await serverBase(access, ms);
      const res = await withTimeout(base.fetch(`${base.url}/v1/completions`, {
        method: 'POST', headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ model, prompt, max_tokens: 1 }),
      }), 120_000, `warm-up of ${model}`);
      await res.arrayBuffer();
      if (!res.ok) throw new Error(`warm-up of ${model}: HTTP ${res.status}`);
    },
  };
}

export function serverApi(access: ServiceAccess, ms: ModelServer): ServerApi {
  return runtimeOf(ms.spec) === 'vllm' ? vllmApi(access, ms) : ollamaApi(access, ms);
}
