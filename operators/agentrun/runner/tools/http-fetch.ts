import http, { type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import https from 'node:https';
import tls from 'node:tls';
import { ToolError } from './errors.js';
import { checkHttpRequest, type HttpPolicy } from '../../../model/agentrun/http-policy.js';

export interface HttpRequest {
  url: string;
  method: string;
  headers?: Record<string, string>;
  body?: string;
}

export interface FetchOptions {
  /** An http:// forward proxy (the lane router): http targets in absolute form, https through CONNECT. */
  proxyUrl?: string;
  /** Sent to the proxy only (absolute-form requests and CONNECT) as Proxy-Authorization, e.g. `Bearer <run token>`. */
  proxyAuthorization?: string;
  maxRedirects?: number;
  timeoutMs?: number;
  /** Extra trusted CA certificates (PEM) for https targets. */
  ca?: string | string[];
}

export interface HttpResult {
  status: number;
  /** The URL that answered, after redirects. */
  url: string;
  contentType?: string;
  body: string;
  bytes: number;
  /** The body was cut off at maxResponseBytes. */
  truncated: boolean;
}

export const DEFAULT_MAX_REDIRECTS = 5;
export const DEFAULT_HTTP_TIMEOUT_MS = 30_000;
/** Headers the agent may not set: the runner sets them, or they belong to the connection. */
const RESERVED_HEADERS = new Set(['host', 'connection', 'content-length', 'transfer-encoding', 'proxy-authorization', 'proxy-connection', 'upgrade', 'te', 'keep-alive']);
/** Headers dropped when a redirect leaves the origin. */
const CREDENTIAL_HEADERS = new Set(['authorization', 'cookie']);
const REDIRECT = new Set([301, 302, 303, 307, 308]);

function send(url: URL, method: string, headers: OutgoingHttpHeaders, body: Buffer | undefined, opts: FetchOptions, signal: AbortSignal): Promise<IncomingMessage> {
  const port = Number(url.port) || (url.protocol === 'https:' ? 443 : 80);
  const hostHeader = url.host;
  return new Promise((resolve, reject) => {
    const onResponse = (res: IncomingMessage) => resolve(res);
    const common = { method, headers: { ...headers, host: hostHeader, ...(body ? { 'content-length': body.length } : {}) }, signal };
    const finish = (req: http.ClientRequest) => {
      req.on('error', reject);
      req.end(body);
    };
    if (!opts.proxyUrl) {
      const mod = url.protocol === 'https:' ? https : http;
      finish(mod.request(url, { ...common, ...(opts.ca ? { ca: opts.ca } : {}) }, onResponse));
      return;
    }
    const proxy = new URL(opts.proxyUrl);
    if (proxy.protocol !== 'http:') { reject(new ToolError('Failed', `proxy ${opts.proxyUrl}: only http:// proxies are supported`)); return; }
    const proxyPort = Number(proxy.port) || 80;
    const proxyAuth = opts.proxyAuthorization ? { 'proxy-authorization': opts.proxyAuthorization } : {};
    if (url.protocol === 'http:') {
      finish(http.request({ ...common, headers: { ...common.headers, ...proxyAuth }, host: proxy.hostname, port: proxyPort, path: url.href }, onResponse));
      return;
    }
    const target = `${url.hostname.replace(/^\[|\]$/g, '')}:${port}`;
    const connect = http.request({ host: proxy.hostname, port: proxyPort, method: 'CONNECT', path: target, headers: { host: target, ...proxyAuth }, signal });
    connect.on('error', reject);
    connect.on('connect', (res, socket) => {
      if (res.statusCode !== 200) {
        socket.destroy();
        reject(new ToolError(res.statusCode === 403 || res.statusCode === 407 ? 'Forbidden' : 'Failed', `the egress proxy refused CONNECT ${target}: ${res.statusCode} ${res.statusMessage ?? ''}`.trim()));
        return;
      }
      const secure = tls.connect({ socket, servername: url.hostname, ...(opts.ca ? { ca: opts.ca } : {}) });
      finish(https.request({ ...common, host: url.hostname, port, path: `${url.pathname}${url.search}`, createConnection: () => secure }, onResponse));
    });
    connect.end();
  });
}

/**
 * A response the proxy made itself: RFC 9209's Proxy-Status with an `error` parameter (the lane
 * router sets it on every refusal). A target that sends one only turns its own answer into an error.
 */
export function isProxyError(res: Pick<IncomingMessage, 'headers'>): boolean {
  const v = res.headers['proxy-status'];
  return (Array.isArray(v) ? v.join(',') : v ?? '').split(',').some((member) => /;\s*error\s*=/.test(member));
}

/** The proxy's explanation: the OpenAI-style error message, else the text, cut to 512 characters. */
function proxyErrorMessage(body: Buffer): string {
  const text = body.toString('utf8');
  try {
    const m = (JSON.parse(text) as { error?: { message?: unknown } }).error?.message;
    if (typeof m === 'string') return m.slice(0, 512);
  } catch { /* not JSON */ }
  return text.slice(0, 512);
}

/** Reads at most `max` bytes of the body, then stops reading and closes the response. */
function readCapped(res: IncomingMessage, max: number): Promise<{ body: Buffer; truncated: boolean }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let n = 0;
    let done = false;
    res.on('data', (chunk: Buffer) => {
      if (done) return;
      if (n + chunk.length > max) {
        chunks.push(chunk.subarray(0, max - n));
        n = max;
        done = true;
        res.destroy(); // cut off: the rest is never downloaded
        resolve({ body: Buffer.concat(chunks), truncated: true });
        return;
      }
      chunks.push(chunk);
      n += chunk.length;
    });
    res.on('end', () => { if (!done) { done = true; resolve({ body: Buffer.concat(chunks), truncated: false }); } });
    // A connection closed right after `max` bytes is the egress proxy cutting the body at the same limit.
    const cutAtMax = (): boolean => {
      if (n < max) return false;
      resolve({ body: Buffer.concat(chunks), truncated: true });
      return true;
    };
    res.on('error', (e) => { if (!done) { done = true; if (!cutAtMax()) reject(e); } });
    res.on('close', () => { if (!done) { done = true; if (!cutAtMax()) reject(new Error('the connection closed before the response ended')); } });
  });
}

/**
 * Makes one http tool call: each request, the first and every redirect, must pass
 * checkHttpRequest; the body is kept up to maxResponseBytes and the connection closed beyond.
 * Credentials headers are dropped when a redirect changes the origin; 303 (and 301/302 after a
 * POST) continue as GET without a body, as browsers do.
 */
export async function fetchAllowed(policy: HttpPolicy, request: HttpRequest, opts: FetchOptions = {}): Promise<HttpResult> {
  const maxRedirects = opts.maxRedirects ?? DEFAULT_MAX_REDIRECTS;
  const signal = AbortSignal.timeout(opts.timeoutMs ?? DEFAULT_HTTP_TIMEOUT_MS);
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(request.headers ?? {})) {
    if (!RESERVED_HEADERS.has(k.toLowerCase())) headers[k.toLowerCase()] = v;
  }
  let url = request.url;
  let method = request.method;
  let body = request.body === undefined ? undefined : Buffer.from(request.body, 'utf8');
  for (let hop = 0; ; hop++) {
    const verdict = checkHttpRequest(policy, url, method);
    if (!verdict.allowed) throw new ToolError('Forbidden', hop === 0 ? verdict.reason : `redirected to ${url}, which is refused: ${verdict.reason}`);
    let res: IncomingMessage;
    try {
      res = await send(verdict.url, verdict.method, headers, body, opts, signal);
    } catch (e) {
      if (e instanceof ToolError) throw e;
      throw new ToolError('Failed', `${verdict.method} ${verdict.url.href}: ${signal.aborted ? 'timed out' : (e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    const status = res.statusCode ?? 0;
    if (opts.proxyUrl && isProxyError(res)) {
      // The proxy's own answer (a refusal, or a destination it could not reach), not the target's:
      // a refused call, whatever a target answering 403 would be.
      const { body: data } = await readCapped(res, 4096).catch(() => ({ body: Buffer.alloc(0) }));
      throw new ToolError(status === 403 || status === 407 ? 'Forbidden' : 'Failed', `the egress proxy refused ${verdict.method} ${verdict.url.href}: ${status} ${proxyErrorMessage(data)}`.trim());
    }
    const location = res.headers.location;
    if (REDIRECT.has(status) && location) {
      res.resume();
      if (hop >= maxRedirects) throw new ToolError('Failed', `more than ${maxRedirects} redirects, last to ${location}`);
      const next = new URL(location, verdict.url);
      if (next.origin !== verdict.url.origin) for (const h of CREDENTIAL_HEADERS) delete headers[h];
      if (status === 303 ? verdict.method !== 'HEAD' : (status === 301 || status === 302) && verdict.method === 'POST') {
        method = 'GET';
        body = undefined;
      }
      url = next.href;
      continue;
    }
    try {
      const { body: data, truncated } = await readCapped(res, policy.maxResponseBytes);
      const contentType = res.headers['content-type'];
      return { status, url: verdict.url.href, ...(contentType ? { contentType } : {}), body: data.toString('utf8'), bytes: data.length, truncated };
    } catch (e) {
      throw new ToolError('Failed', `${verdict.method} ${verdict.url.href}: ${signal.aborted ? 'timed out' : (e as Error).message}`);
    }
  }
}
