import http from 'node:http';
import https from 'node:https';
import { Readable } from 'node:stream';
import type { KubeConfig } from '@kubernetes/client-node';

/** The parts of a Kubernetes object the runtime reads; kinds add their own spec and status. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
  [key: string]: unknown;
}

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
  ownerReferences?: OwnerReference[];
  managedFields?: unknown[];
}

/** Where a resource lives in the API: enough to build its URLs. */
export interface ResourceRef {
  group: string;          // '' for the core group
  version: string;
  plural: string;
  kind: string;
  namespaced: boolean;
}

export function apiVersionOf(r: ResourceRef): string {
  return r.group ? `${r.group}/${r.version}` : r.version;
}

/** URL path of a collection (namespace undefined = all namespaces) or, with a name, of one object. */
export function resourcePath(r: ResourceRef, namespace?: string, name?: string, subresource?: string): string {
  const base = r.group ? `/apis/${r.group}/${r.version}` : `/api/${r.version}`;
  let path = base;
  if (r.namespaced && namespace) path += `/namespaces/${encodeURIComponent(namespace)}`;
  path += `/${r.plural}`;
  if (name !== undefined) path += `/${encodeURIComponent(name)}`;
  if (subresource) path += `/${subresource}`;
  return path;
}

/** A failed API call: `code` is the HTTP status, `status` the decoded metav1.Status when the server sent one. */
export class KubeApiError extends Error {
  readonly code: number;
  readonly reason: string;
  readonly status?: { reason?: string; message?: string; details?: unknown };
  constructor(code: number, method: string, path: string, status?: { reason?: string; message?: string }) {
    super(`${method} ${path}: ${code} ${status?.reason ?? ''} ${status?.message ?? ''}`.trim());
    this.name = 'KubeApiError';
    this.code = code;
    this.reason = status?.reason ?? '';
    this.status = status;
  }
}

export const isNotFound = (e: unknown): boolean => e instanceof KubeApiError && e.code === 404;
export const isConflict = (e: unknown): boolean => e instanceof KubeApiError && e.code === 409;
export const isAlreadyExists = (e: unknown): boolean => e instanceof KubeApiError && e.code === 409 && e.reason === 'AlreadyExists';

const CREDENTIALS_TTL_MS = 10_000;
/**
 * Deadline of one request that is not a watch (KubeClient.request), body included. kube-apiserver
 * answers 504 after its own --request-timeout (60 s); this bounds what the server cannot: a
 * connection or an API server that never answers, so a reconcile gets an error and is retried
 * instead of holding its key in an await that never ends.
 */
export const REQUEST_TIMEOUT_MS = 70_000;

export type Query = Record<string, string | number | boolean | undefined>;

export interface RequestOptions {
  method?: string;
  query?: Query;
  body?: unknown;
  contentType?: string;
  signal?: AbortSignal;
  headers?: Record<string, string>;
}

/** Counts of requests by verb, so benchmarks can prove an idle resync writes nothing. */
export interface RequestCounter { reads: number; writes: number }

/**
 * A small REST client over node:http(s) using the KubeConfig's credentials. The runtime needs
 * streaming watches, server-side apply and exact status codes; owning the request keeps those
 * three simple and lets one keep-alive agent carry every call.
 */
export class KubeClient {
  readonly server: URL;
  readonly counter: RequestCounter = { reads: 0, writes: 0 };
  private readonly agent: http.Agent;
  private auth?: { at: number; opts: https.RequestOptions };
  private authRefresh?: Promise<https.RequestOptions>;
  private readonly kc: KubeConfig;
  /** The server URL without a trailing slash, to which request paths are appended. */
  private readonly base: string;

  /** Called for every response (metrics: rest_client_requests_total). */
  onResponse?: (method: string, code: number) => void;

  private readonly requestTimeoutMs: number;

  constructor(kc: KubeConfig, opts: { maxSockets?: number; requestTimeoutMs?: number } = {}) {
    const cluster = kc.getCurrentCluster();
    if (!cluster) throw new Error('kubeconfig has no current cluster: set a current-context');
    this.kc = kc;
    this.requestTimeoutMs = opts.requestTimeoutMs ?? REQUEST_TIMEOUT_MS;
    this.server = new URL(cluster.server);
    this.base = this.server.toString().replace(/\/$/, '');
    const agentOpts = { keepAlive: true, maxSockets: opts.maxSockets ?? 64 };
    this.agent = this.server.protocol === 'https:' ? new https.Agent(agentOpts) : new http.Agent(agentOpts);
  }

  /**
   * Low-level request: resolves with the raw response; the caller consumes the body.
   * `onRequest` sees the request once it is sent (KubeClient.request arms its deadline there).
   */
  async raw(path: string, opts: RequestOptions = {}, onRequest?: (req: http.ClientRequest) => void): Promise<http.IncomingMessage> {
    const method = opts.method ?? 'GET';
    let target = this.base + path;
    if (opts.query) {
      // Built once: URL.searchParams.set re-serialises the whole URL on every call.
      const params = new URLSearchParams();
      for (const k in opts.query) {
        const v = opts.query[k];
        if (v !== undefined) params.append(k, String(v));
      }
      const qs = params.toString();
      if (qs) target += `?${qs}`;
    }
    const url = new URL(target);
    const auth = await this.credentials();
    const reqOpts: https.RequestOptions = { ...auth, method, headers: { ...auth.headers, Accept: 'application/json', ...opts.headers } };
    // A string body: Node sends the request head and a string given to end() in one write (a
    // Buffer goes out as a second one, a writev and on TLS a second record).
    let payload: string | undefined;
    if (opts.body !== undefined) {
      payload = typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
      (reqOpts.headers as Record<string, string>)['Content-Type'] = opts.contentType ?? 'application/json';
      (reqOpts.headers as Record<string, string>)['Content-Length'] = String(Buffer.byteLength(payload));
    }
    if (method === 'GET') this.counter.reads++;
    else this.counter.writes++;
    const mod = url.protocol === 'https:' ? https : http;
    return new Promise((resolve, reject) => {
      const req = mod.request(url, { ...reqOpts, agent: this.agent, ...(opts.signal ? { signal: opts.signal } : {}) }, (res) => {
        this.onResponse?.(method, res.statusCode ?? 0);
        resolve(res);
      });
      req.on('error', reject);
      onRequest?.(req);
      req.end(payload);
    });
  }

  /**
   * TLS material and auth headers from the kubeconfig. client-node's applyToHTTPSOptions builds a
   * new https.Agent (and TLS context) on every call, which costs more than the request itself,
   * so its result is reused for a few seconds; exec/OIDC tokens live for minutes, and
   * client-node refreshes them when asked again after that.
   */
  private async credentials(): Promise<https.RequestOptions> {
    const now = Date.now();
    if (this.auth && now - this.auth.at < CREDENTIALS_TTL_MS) return this.auth.opts;
    this.authRefresh ??= (async () => {
      const o: https.RequestOptions & { agent?: unknown } = { headers: {} };
      await this.kc.applyToHTTPSOptions(o);
      delete o.agent; // our pooled keep-alive agent carries every request
      if (o.auth) {
        (o.headers as Record<string, string>).Authorization = 'Basic ' + Buffer.from(o.auth).toString('base64');
        delete o.auth;
      }
      this.auth = { at: Date.now(), opts: o };
      return o;
    })().finally(() => { this.authRefresh = undefined; });
    return this.authRefresh;
  }

  /** JSON request: resolves with the decoded body, rejects with KubeApiError on a non-2xx status. */
  async request<T = unknown>(path: string, opts: RequestOptions = {}): Promise<T> {
    // The deadline is one timer that destroys the request: AbortSignal.timeout, AbortSignal.any and
    // the abort listener http.request adds for a signal were ~4 % of the ModelServer operator's
    // CPU in a 1,000-object burst (--cpu-prof).
    let timer: NodeJS.Timeout | undefined;
    let timedOut = false;
    let res: http.IncomingMessage;
    let text: string;
    try {
      res = await this.raw(path, opts, (req) => {
        timer = setTimeout(() => {
          timedOut = true;
          req.destroy(new Error('request deadline'));
        }, this.requestTimeoutMs);
        timer.unref();
      });
      text = await readBody(res);
    } catch (err) {
      if (!timedOut) throw err;
      throw new Error(`${opts.method ?? 'GET'} ${path}: no answer from the API server ${this.server.origin} within ${this.requestTimeoutMs / 1000} s`);
    } finally {
      clearTimeout(timer);
    }
    const code = res.statusCode ?? 0;
    if (code < 200 || code >= 300) {
      let status: { reason?: string; message?: string } | undefined;
      try { status = JSON.parse(text) as { reason?: string; message?: string }; } catch { status = { message: text.slice(0, 500) }; }
      throw new KubeApiError(code, opts.method ?? 'GET', path, status);
    }
    return (text ? JSON.parse(text) : undefined) as T;
  }

  get<T extends KubeObject>(r: ResourceRef, namespace: string | undefined, name: string): Promise<T> {
    return this.request<T>(resourcePath(r, namespace, name));
  }

  list<T extends KubeObject>(r: ResourceRef, namespace?: string, query?: Query): Promise<{ metadata: { resourceVersion?: string; continue?: string }; items: T[] }> {
    return this.request(resourcePath(r, namespace), { query });
  }

  create<T extends KubeObject>(r: ResourceRef, obj: T, query?: Query): Promise<T> {
    return this.request<T>(resourcePath(r, obj.metadata?.namespace), { method: 'POST', body: obj, query });
  }

  replace<T extends KubeObject>(r: ResourceRef, obj: T, subresource?: string, query?: Query): Promise<T> {
    return this.request<T>(resourcePath(r, obj.metadata?.namespace, obj.metadata?.name, subresource), { method: 'PUT', body: obj, query });
  }

  /** Server-side apply: the object is the caller's full intent for the fields `manager` owns. */
  apply<T extends KubeObject>(r: ResourceRef, obj: T, manager: string, opts: { force?: boolean; subresource?: string } = {}): Promise<T> {
    return this.request<T>(resourcePath(r, obj.metadata?.namespace, obj.metadata?.name, opts.subresource), {
      method: 'PATCH',
      body: obj,
      contentType: 'application/apply-patch+yaml',
      query: { fieldManager: manager, force: opts.force ?? true },
    });
  }

  mergePatch<T extends KubeObject>(r: ResourceRef, namespace: string | undefined, name: string, patch: unknown, query?: Query, subresource?: string): Promise<T> {
    return this.request<T>(resourcePath(r, namespace, name, subresource), {
      method: 'PATCH', body: patch, contentType: 'application/merge-patch+json', query,
    });
  }

  jsonPatch<T extends KubeObject>(r: ResourceRef, namespace: string | undefined, name: string, ops: unknown[], query?: Query): Promise<T> {
    return this.request<T>(resourcePath(r, namespace, name), { method: 'PATCH', body: ops, contentType: 'application/json-patch+json', query });
  }

  delete(r: ResourceRef, namespace: string | undefined, name: string, body?: object): Promise<unknown> {
    return this.request(resourcePath(r, namespace, name), { method: 'DELETE', body });
  }

  /** Headers that authenticate a request, for clients (such as ollama) that bring their own fetch. */
  async authHeaders(): Promise<Record<string, string>> {
    const o = await this.credentials();
    const h: Record<string, string> = {};
    for (const [k, v] of Object.entries(o.headers ?? {})) if (v !== undefined) h[k] = String(v);
    return h;
  }

  /**
   * A WHATWG fetch that sends requests through this client's connection and credentials. Used to
   * reach Services through the API server's service proxy from outside the cluster.
   */
  fetch: typeof globalThis.fetch = async (input, init) => {
    const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.toString() : input.url);
    if (url.origin !== this.server.origin) throw new Error(`refusing to send credentials to ${url.origin}: not the API server`);
    const headers: Record<string, string> = {};
    new Headers(init?.headers).forEach((v, k) => { headers[k] = v; });
    let body: string | undefined;
    if (init?.body !== undefined && init.body !== null) {
      if (typeof init.body !== 'string') throw new Error('KubeClient.fetch only sends string bodies');
      body = init.body;
    }
    const res = await this.raw(url.pathname + url.search, {
      method: init?.method ?? 'GET', body, contentType: headers['content-type'] ?? 'application/json',
      headers, signal: init?.signal ?? undefined,
    });
    const outHeaders = new Headers();
    for (const [k, v] of Object.entries(res.headers)) if (typeof v === 'string') outHeaders.set(k, v);
    const status = res.statusCode ?? 502;
    const nullBody = status === 204 || status === 304 || init?.method === 'HEAD';
    return new Response(nullBody ? null : (Readable.toWeb(res) as ReadableStream<Uint8Array>), { status, headers: outHeaders });
  };

  close(): void {
    this.agent.destroy();
  }
}

export function readBody(res: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    res.on('error', reject);
  });
}

export function objectKey(obj: KubeObject): string {
  const m = obj.metadata ?? {};
  return m.namespace ? `${m.namespace}/${m.name}` : `${m.name}`;
}

export function splitKey(key: string): { namespace?: string; name: string } {
  const i = key.indexOf('/');
  return i < 0 ? { name: key } : { namespace: key.slice(0, i), name: key.slice(i + 1) };
}
