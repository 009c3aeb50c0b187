// The chaos driver's own API access: raw requests that retry what kube-apiserver says is
// retryable (500, 503, 429 after Retry-After, 409 Conflict), as a well-behaved client does, so the
// driver and the "person" keep working while the API server injects faults.
import type { KubeConfig } from '@kubernetes/client-node';
import { rawRequest, type RawRequest, type RawResponse } from '../harness/http.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function retryable(res: RawResponse): boolean {
  if (res.status === 500 || res.status === 503 || res.status === 429 || res.status === 504) return true;
  if (res.status !== 409) return false;
  try {
    return (res.json() as { reason?: string }).reason === 'Conflict';
  } catch {
    return false;
  }
}

export class ChaosApi {
  /** Requests the driver had to repeat. */
  retries = 0;
  constructor(readonly kc: KubeConfig) {}

  async request(req: RawRequest, attempts = 30): Promise<RawResponse> {
    for (let i = 1; ; i++) {
      let res: RawResponse | undefined;
      try {
        res = await rawRequest(this.kc, { timeoutMs: 30_000, ...req });
      } catch (err) {
        if (i >= attempts) throw err;
      }
      if (res && (!retryable(res) || i >= attempts)) return res;
      this.retries++;
      const after = Number(res?.headers['retry-after']);
      await sleep(Number.isFinite(after) && after > 0 ? Math.min(after, 2) * 1000 : 50 * i);
    }
  }

  /** GET that must succeed (2xx); throws naming the path otherwise. */
  async get<T = any>(path: string): Promise<T> {
    const res = await this.request({ path });
    if (res.status !== 200) throw new Error(`GET ${path}: HTTP ${res.status} ${res.text.slice(0, 300)}`);
    return res.json() as T;
  }

  async list<T = any>(path: string): Promise<T[]> {
    return (await this.get<{ items: T[] }>(path)).items;
  }

  /** A write that must succeed (or is allowed to find the object gone / already there). */
  async write(method: string, path: string, body?: unknown, contentType?: string, ok: number[] = []): Promise<RawResponse> {
    const res = await this.request({ method, path, body, contentType });
    if (res.status >= 300 && !ok.includes(res.status)) throw new Error(`${method} ${path}: HTTP ${res.status} ${res.text.slice(0, 300)}`);
    return res;
  }

  apply(path: string, obj: unknown): Promise<RawResponse> {
    return this.write('PATCH', `${path}?fieldManager=agentlab-chaos&force=true`, JSON.stringify(obj), 'application/apply-patch+yaml');
  }

  /** The user name the API server knows this kubeconfig as (SelfSubjectReview). */
  async whoami(): Promise<string> {
    const res = await this.write('POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' });
    return (res.json() as { status: { userInfo: { username: string } } }).status.userInfo.username;
  }
}
