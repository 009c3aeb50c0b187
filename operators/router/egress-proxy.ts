import dns from 'node:dns';
import http from 'node:http';
import net, { type LookupFunction } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { decideEgress, type EgressDecision, type EgressTarget } from './egress-policy.js';
import { RouterError, renderOpenAIError } from './errors.js';
import type { RouterMetrics } from './metrics.js';
import type { RouterState } from './state.js';

/**
 * The lane router as an agent pod's HTTP forward proxy (the http tool's only way out):
 * absolute-form http requests are checked and forwarded with the response cut at the run's
 * maxResponseBytes; CONNECT (https) is checked on host and port and then tunnelled, so methods
 * and response size of https requests are the runner's to enforce (the tunnel is encrypted end
 * to end). Each request is authenticated by `Proxy-Authorization: Bearer <run token>`.
 */
export interface EgressProxyDeps {
  state: RouterState;
  metrics: RouterMetrics;
  log: Logger;
  /** How host names are resolved (default dns.lookup, the system resolver). */
  lookup?: LookupFunction;
  /** Connect and idle timeout towards the destination (default 30 s). */
  timeoutMs?: number;
}

/** Hop-by-hop headers (RFC 9110 section 7.6.1) and the proxy's own: never forwarded. */
const HOP_BY_HOP = new Set(['connection', 'proxy-connection', 'keep-alive', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'proxy-authorization', 'proxy-authenticate']);
const MAX_REQUEST_BODY = 8 * 1024 * 1024;
const DEFAULT_TIMEOUT_MS = 30_000;

function forwardable(headers: http.IncomingHttpHeaders): Record<string, string | string[]> {
  const named = new Set(String(headers.connection ?? '').toLowerCase().split(',').map((h) => h.trim()).filter(Boolean));
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(headers)) if (v !== undefined && !HOP_BY_HOP.has(k) && !named.has(k)) out[k] = v;
  return out;
}

/** Link-local (cloud metadata), unspecified and multicast addresses: never reached through a name. */
export function forbiddenAddress(address: string): boolean {
  if (net.isIPv4(address)) {
    const [a, b] = address.split('.').map(Number);
    return a === 0 || (a === 169 && b === 254) || a >= 224;
  }
  const v6 = address.toLowerCase();
  if (v6.startsWith('::ffff:')) return forbiddenAddress(v6.slice(7));
  return v6 === '::' || v6.startsWith('fe8') || v6.startsWith('fe9') || v6.startsWith('fea') || v6.startsWith('feb') || v6.startsWith('ff');
}

class ForbiddenAddress extends Error {
  readonly code = 'EGRESS_FORBIDDEN_ADDRESS';
}

/** A lookup that refuses names resolving to a forbidden address (DNS pointing a name at the metadata service). */
function guardedLookup(base: LookupFunction): LookupFunction {
  return ((hostname: string, options: dns.LookupOptions, callback: (err: NodeJS.ErrnoException | null, address: string | dns.LookupAddress[], family?: number) => void) => {
    base(hostname, options, (err, address, family) => {
      if (err) return callback(err, address, family);
      const list = Array.isArray(address) ? address.map((a) => a.address) : [address];
      const bad = list.find(forbiddenAddress);
      if (bad) return callback(new ForbiddenAddress(`${hostname} resolves to ${bad}, a link-local, unspecified or multicast address, which the egress proxy does not connect to`), address, family);
      callback(null, address, family);
    });
  }) as LookupFunction;
}

function upstreamMessage(err: NodeJS.ErrnoException, host: string): { status: number; proxyStatus: string; message: string } {
  if (err instanceof ForbiddenAddress) return { status: 403, proxyStatus: 'destination_ip_prohibited', message: err.message };
  if (err.code === 'ENOTFOUND' || err.code === 'EAI_AGAIN') return { status: 502, proxyStatus: 'dns_error', message: `${host} could not be resolved` };
  if (err.code === 'ECONNREFUSED') return { status: 502, proxyStatus: 'connection_refused', message: `${host} refused the connection` };
  if (err.code === 'ETIMEDOUT' || err.message === 'timeout') return { status: 504, proxyStatus: 'connection_timeout', message: `${host} did not answer in time` };
  return { status: 502, proxyStatus: 'proxy_internal_error', message: `${host}: ${err.code ?? err.message}` };
}

export class EgressProxy {
  private readonly lookup: LookupFunction;
  private readonly timeoutMs: number;
  private readonly tunnels = new Set<Duplex>();

  constructor(private readonly deps: EgressProxyDeps) {
    this.lookup = guardedLookup(deps.lookup ?? (dns.lookup as LookupFunction));
    this.timeoutMs = deps.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  /** Whether a request is for the proxy (absolute-form target) rather than the router's own API. */
  static isProxyRequest(req: http.IncomingMessage): boolean {
    return /^[a-z][a-z0-9+.-]*:\/\//i.test(req.url ?? '');
  }

  private decide(header: string | undefined, target: EgressTarget): EgressDecision {
    return decideEgress({ auth: this.deps.state.tokens.authenticate(header, Date.now()), lane: (ns) => this.deps.state.laneFor(ns), target });
  }

  private count(lane: string | undefined, kind: 'http' | 'connect', outcome: string): void {
    this.deps.metrics.egressRequests.inc({ lane: lane ?? '', kind, outcome });
  }

  private logLine(d: EgressDecision, kind: 'http' | 'connect', host: string | undefined, extra: Record<string, unknown>, msg: string): void {
    // Host and port only: paths and queries can carry data, headers carry credentials.
    this.deps.log.info({ egress: kind, namespace: d.identity?.namespace, run: d.identity?.run, lane: d.lane, host, ...extra }, msg);
  }

  /** An absolute-form request: check, forward, cut the response at maxResponseBytes. */
  handleRequest(req: http.IncomingMessage, res: http.ServerResponse, requestId: string): void {
    const method = req.method ?? 'GET';
    const d = this.decide(req.headers['proxy-authorization'], { kind: 'http', url: req.url ?? '', method });
    if (!d.allowed) {
      this.count(d.lane, 'http', d.outcome);
      this.logLine(d, 'http', safeHost(req.url), { method, status: d.status, code: d.code }, d.message);
      req.resume();
      const r = renderOpenAIError(new RouterError(d.outcome === 'auth' ? 'auth' : 'policy', d.status, d.code, d.message), requestId);
      const body = JSON.stringify(r.body);
      res.writeHead(d.status, {
        'content-type': 'application/json; charset=utf-8',
        'content-length': Buffer.byteLength(body),
        'x-request-id': requestId,
        'proxy-status': `agentlab-router; error=${d.status === 407 ? 'proxy_auth_required' : 'http_request_denied'}`,
        ...(d.status === 407 ? { 'proxy-authenticate': 'Bearer realm="agentlab-router"' } : {}),
      });
      res.end(body);
      return;
    }
    const url = d.url!;
    const max = d.policy.maxResponseBytes;
    const t0 = performance.now();
    const headers = { ...forwardable(req.headers), host: url.host };
    const upstream = http.request({ host: url.hostname, port: d.port, method: d.method, path: `${url.pathname}${url.search}`, headers, lookup: this.lookup, timeout: this.timeoutMs, setHost: false });
    let requestBytes = 0;
    req.on('data', (c: Buffer) => {
      requestBytes += c.length;
      if (requestBytes > MAX_REQUEST_BODY) {
        upstream.destroy(new Error(`request body over ${MAX_REQUEST_BODY} bytes`));
        req.destroy();
      }
    });
    req.pipe(upstream);
    upstream.on('timeout', () => upstream.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })));
    upstream.on('error', (err: NodeJS.ErrnoException) => {
      const e = upstreamMessage(err, url.host);
      this.count(d.lane, 'http', 'upstream_error');
      this.logLine(d, 'http', url.host, { method: d.method, status: e.status }, e.message);
      if (res.headersSent) {
        res.destroy();
        return;
      }
      const body = JSON.stringify(renderOpenAIError(new RouterError('upstream', e.status, e.proxyStatus, e.message), requestId).body);
      res.writeHead(e.status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body), 'x-request-id': requestId, 'proxy-status': `agentlab-router; error=${e.proxyStatus}` });
      res.end(body);
    });
    upstream.on('response', (up) => {
      res.writeHead(up.statusCode ?? 502, up.statusMessage, forwardable(up.headers));
      let bytes = 0;
      let cut = false;
      up.on('data', (chunk: Buffer) => {
        if (cut) return;
        if (bytes + chunk.length > max) {
          // The run's maxResponseBytes: what is over it never reaches the pod. The response is
          // ended by closing the connection, so the client sees it incomplete.
          cut = true;
          // Let the written bytes reach the client, then close the connection.
          res.write(chunk.subarray(0, max - bytes), () => res.destroy());
          bytes = max;
          this.deps.metrics.egressBytes.inc({ lane: d.lane, kind: 'http' }, bytes);
          this.count(d.lane, 'http', 'truncated');
          this.logLine(d, 'http', url.host, { method: d.method, status: up.statusCode, bytes, truncated: true, durationMs: Math.round(performance.now() - t0) }, 'egress response cut at maxResponseBytes');
          up.destroy();
          return;
        }
        bytes += chunk.length;
        res.write(chunk);
      });
      up.on('end', () => {
        if (cut) return;
        res.end();
        this.deps.metrics.egressBytes.inc({ lane: d.lane, kind: 'http' }, bytes);
        this.count(d.lane, 'http', 'allowed');
        this.logLine(d, 'http', url.host, { method: d.method, status: up.statusCode, bytes, durationMs: Math.round(performance.now() - t0) }, 'egress');
      });
      up.on('error', () => res.destroy());
    });
    res.on('close', () => {
      if (!res.writableFinished) upstream.destroy();
    });
  }

  /** CONNECT host:port: check host and port, then a byte tunnel (the TLS inside is the runner's). */
  handleConnect(req: http.IncomingMessage, socket: Duplex, head: Buffer): void {
    const authority = req.url ?? '';
    const d = this.decide(req.headers['proxy-authorization'], { kind: 'connect', authority });
    socket.on('error', () => socket.destroy());
    if (!d.allowed) {
      this.count(d.lane, 'connect', d.outcome);
      this.logLine(d, 'connect', authority.slice(0, 300), { status: d.status, code: d.code }, d.message);
      const body = JSON.stringify(renderOpenAIError(new RouterError(d.outcome === 'auth' ? 'auth' : 'policy', d.status, d.code, d.message), 'connect').body);
      const reason = http.STATUS_CODES[d.status] ?? 'Forbidden';
      socket.end(
        `HTTP/1.1 ${d.status} ${reason}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
        `Proxy-Status: agentlab-router; error=${d.status === 407 ? 'proxy_auth_required' : 'http_request_denied'}\r\n` +
        `${d.status === 407 ? 'Proxy-Authenticate: Bearer realm="agentlab-router"\r\n' : ''}Connection: close\r\n\r\n${body}`,
      );
      return;
    }
    const t0 = performance.now();
    const upstream = net.connect({ host: d.host.replace(/^\[|\]$/g, ''), port: d.port, lookup: this.lookup, timeout: this.timeoutMs });
    this.tunnels.add(socket);
    let open = false;
    const close = () => {
      upstream.destroy();
      socket.destroy();
      this.tunnels.delete(socket);
    };
    upstream.on('timeout', () => {
      if (!open) upstream.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' }));
      else close(); // idle tunnel
    });
    upstream.once('connect', () => {
      open = true;
      socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) upstream.write(head);
      socket.pipe(upstream);
      upstream.pipe(socket);
      this.count(d.lane, 'connect', 'allowed');
    });
    upstream.on('error', (err: NodeJS.ErrnoException) => {
      if (open) return close();
      const e = upstreamMessage(err, `${d.host}:${d.port}`);
      this.count(d.lane, 'connect', 'upstream_error');
      this.logLine(d, 'connect', `${d.host}:${d.port}`, { status: e.status }, e.message);
      socket.end(`HTTP/1.1 ${e.status} ${http.STATUS_CODES[e.status]}\r\nProxy-Status: agentlab-router; error=${e.proxyStatus}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(e.message)}\r\nConnection: close\r\n\r\n${e.message}`);
      this.tunnels.delete(socket);
    });
    upstream.on('close', () => {
      if (!open) return;
      this.deps.metrics.egressBytes.inc({ lane: d.lane, kind: 'connect' }, upstream.bytesRead);
      this.logLine(d, 'connect', `${d.host}:${d.port}`, { bytes: upstream.bytesRead, durationMs: Math.round(performance.now() - t0) }, 'egress tunnel closed');
      close();
    });
    socket.on('close', close);
  }

  /** Ends open tunnels (router shutdown). */
  closeAll(): void {
    for (const s of this.tunnels) s.destroy();
    this.tunnels.clear();
  }
}

function safeHost(url: string | undefined): string | undefined {
  try {
    return new URL(url ?? '').host.slice(0, 300);
  } catch {
    return undefined;
  }
}
