import type https from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';
import { modelServerAPI, type LaneProvider } from '../model/lanes/spec.js';
import { normalizeModelName } from '../modelserver/models.js';
import { serverBase } from '../modelserver/serverapi.js';
import type { ModelServer } from '../modelserver/types.js';
import { isNotFound, type KubeClient, type KubeObject } from '../runtime/kube.js';
import type { ServiceAccess } from '../runtime/service-access.js';
import { SECRETS } from '../model/lanes/resources.js';
import { DEFAULT_BASE_URLS } from '../model/lanes/provider-defaults.js';
import { UpstreamFailure, type Target } from './providers/http.js';

const KEY_TTL_MS = 60_000;
const AUTH_TTL_MS = 30_000;

/**
 * Turns a lane provider into a concrete Target: base URL (the ModelServer's Service as the
 * ServiceAccess reaches it: DNS in the cluster, the API server's service proxy outside, with the
 * API server's credentials added for the latter; plus /v1 for vLLM's OpenAI-compatible API),
 * API key from its Secret.
 * Keys are cached briefly and only in memory; they are never logged.
 */
export class TargetResolver {
  private readonly keys = new Map<string, { value: string; at: number }>();
  private auth?: { headers: Record<string, string>; tls: https.AgentOptions; at: number };

  constructor(
    private readonly client: KubeClient,
    private readonly kc: KubeConfig,
    private readonly modelServer: (namespace: string, name: string) => ModelServer | undefined,
    private readonly services: ServiceAccess,
  ) {}

  /** The endpoint identity used for the circuit breaker and status (no credentials). */
  endpointOf(p: LaneProvider): string {
    if (p.modelServerRef) return `modelserver://${p.modelServerRef.namespace}/${p.modelServerRef.name}`;
    return p.baseURL ?? DEFAULT_BASE_URLS[p.type] ?? '';
  }

  async resolve(p: LaneProvider, model: string): Promise<Target> {
    if (p.modelServerRef) {
      const ms = this.modelServer(p.modelServerRef.namespace, p.modelServerRef.name);
      const ref = `${p.modelServerRef.namespace}/${p.modelServerRef.name}`;
      if (!ms) throw new UpstreamFailure('Unavailable', `ModelServer ${ref} not found`);
      const api = modelServerAPI(ms);
      // The lane is re-read when a ModelServer changes; until then its adapter may not match the runtime.
      if (api.type !== p.type) throw new UpstreamFailure('Unavailable', `ModelServer ${ref} speaks the ${api.type} API; the lane is being reloaded`);
      // A model the server lists but has not pulled yet is not served yet (Ollama would answer 404
      // "try pulling it first", a refusal callers take as final): unavailable for now, like a server still starting.
      const pending = ms.status?.models?.find((x) => normalizeModelName(x.name) === normalizeModelName(model) && x.present === false);
      if (pending) throw new UpstreamFailure('Unavailable', `ModelServer ${ref} has not pulled model ${model} yet${pending.message ? ` (${pending.message})` : ''}`);
      // A model the spec asks for that the status does not report yet (the first reconcile has not
      // reached the server, or the model was just added): it is being pulled, not missing for good.
      const wanted = normalizeModelName(model);
      const requested = ms.spec?.models?.some((x) => normalizeModelName(x.name) === wanted);
      const reported = ms.status?.models?.some((x) => normalizeModelName(x.name) === wanted && x.present === true);
      if (requested && !reported) throw new UpstreamFailure('Unavailable', `ModelServer ${ref} has not reported model ${model} pulled yet`);
      let url: string;
      try {
        ({ url } = await serverBase(this.services, ms));
      } catch (err) {
        throw new UpstreamFailure('Unavailable', `ModelServer ${ref}: ${(err as Error).message}`);
      }
      const t: Target = { baseURL: `${url}${api.basePath}`, model };
      if (url.startsWith(this.client.server.origin)) Object.assign(t, await this.apiServerAuth());
      return t;
    }
    const t: Target = { baseURL: p.baseURL ?? DEFAULT_BASE_URLS[p.type] ?? '', model };
    if (p.secretRef) t.apiKey = await this.key(p.secretRef.namespace, p.secretRef.name, p.secretRef.key);
    return t;
  }

  /** Forget a key after the provider rejected it (rotated Secret). */
  invalidate(p: LaneProvider): void {
    if (p.secretRef) this.keys.delete(`${p.secretRef.namespace}/${p.secretRef.name}/${p.secretRef.key}`);
  }

  private async key(namespace: string, name: string, key: string): Promise<string> {
    const id = `${namespace}/${name}/${key}`;
    const hit = this.keys.get(id);
    if (hit && Date.now() - hit.at < KEY_TTL_MS) return hit.value;
    let s: KubeObject & { data?: Record<string, string> };
    try {
      s = await this.client.get(SECRETS, namespace, name);
    } catch (err) {
      throw new UpstreamFailure('Unavailable', isNotFound(err) ? `API key Secret ${namespace}/${name} not found` : `cannot read API key Secret ${namespace}/${name}`);
    }
    const raw = s.data?.[key];
    if (!raw) throw new UpstreamFailure('Unavailable', `API key Secret ${namespace}/${name} has no key ${JSON.stringify(key)}`);
    const value = Buffer.from(raw, 'base64').toString('utf8').trim();
    this.keys.set(id, { value, at: Date.now() });
    return value;
  }

  private async apiServerAuth(): Promise<Pick<Target, 'headers' | 'tls'>> {
    if (this.auth && Date.now() - this.auth.at < AUTH_TTL_MS) return { headers: this.auth.headers, tls: this.auth.tls };
    const o: https.RequestOptions = { headers: {} };
    await this.kc.applyToHTTPSOptions(o);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(o.headers ?? {})) if (v !== undefined) headers[k] = String(v);
    const tls: https.AgentOptions = {};
    for (const k of ['ca', 'cert', 'key', 'rejectUnauthorized', 'servername'] as const) {
      if ((o as Record<string, unknown>)[k] !== undefined) (tls as Record<string, unknown>)[k] = (o as Record<string, unknown>)[k];
    }
    this.auth = { headers, tls, at: Date.now() };
    return { headers, tls };
  }
}
