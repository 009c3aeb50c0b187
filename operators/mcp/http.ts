/**
 * The MCP server over streamable HTTP (Open WebUI, a phone, another machine). Every session
 * carries a bearer token, and that token is the Kubernetes credential of the session's every
 * API call: the MCP server holds no identity of its own, so a person sees and changes exactly
 * what kubectl with their token would. Loopback by default, Host and Origin checked against an
 * allow-list (DNS rebinding), and a session answers only to the token that opened it.
 */
import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { CustomResourceDefinition } from '../api/crds.js';
import { KubeApiError, KubeClient } from '../runtime/kube.js';
import { createMcpServer, type ServerOptions } from './server.js';

export const MCP_PATH = '/mcp';
/** Probe endpoint: no Host, Origin or token check (the kubelet sends the pod IP and no token). */
export const HEALTH_PATH = '/healthz';
const SESSION_IDLE_MS = 30 * 60_000;
const MAX_SESSIONS = 64;

/** The host name of a Host header or an Origin URL, lower case, IPv6 in brackets; undefined when it does not parse. */
export function hostnameOf(value: string, isOrigin = false): string | undefined {
  try {
    const url = new URL(isOrigin ? value : `http://${value}`);
    return url.hostname.toLowerCase();
  } catch {
    return undefined;
  }
}

/** The Host names accepted by default: loopback, plus the bind address when it is a specific one. */
export function defaultAllowedHosts(bindHost: string): string[] {
  const loopback = ['localhost', '127.0.0.1', '[::1]'];
  const bind = bindHost.includes(':') ? `[${bindHost}]` : bindHost;
  return bindHost === '0.0.0.0' || bindHost === '::' || loopback.includes(bind) ? loopback : [...loopback, bind.toLowerCase()];
}

/** Why a request is refused before it reaches MCP (Host, Origin, bearer token), or undefined. */
export function checkRequest(headers: http.IncomingHttpHeaders, allowedHosts: readonly string[]): { status: number; message: string; headers?: Record<string, string> } | undefined {
  const host = headers.host ? hostnameOf(headers.host) : undefined;
  if (!host || !allowedHosts.includes(host)) {
    return { status: 403, message: `Host "${headers.host ?? ''}" is not allowed; start agentlab mcp with --allowed-hosts ${headers.host ? hostnameOf(headers.host) ?? '<name>' : '<name>'} to serve it` };
  }
  const origin = headers.origin;
  if (origin !== undefined && origin !== 'null') {
    const o = hostnameOf(origin, true);
    if (!o || !allowedHosts.includes(o)) return { status: 403, message: `Origin "${origin}" is not allowed` };
  }
  const auth = headers.authorization ?? '';
  const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
  if (!m) {
    return { status: 401, message: 'a bearer token is required: send Authorization: Bearer <Kubernetes token> (e.g. kubectl create token <serviceaccount>); every call runs with it', headers: { 'WWW-Authenticate': 'Bearer realm="agentlab-mcp"' } };
  }
  return undefined;
}

export const bearerToken = (headers: http.IncomingHttpHeaders): string => /^Bearer\s+(\S+)/i.exec(headers.authorization ?? '')?.[1] ?? '';
const digest = (token: string) => createHash('sha256').update(token).digest();

/** A KubeConfig for the same cluster as `base` whose only credential is `token`. */
export function tokenKubeConfig(base: KubeConfig, token: string): KubeConfig {
  const cluster = base.getCurrentCluster();
  if (!cluster) throw new Error('the kubeconfig has no current cluster');
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [cluster],
    users: [{ name: 'mcp-session', token }],
    contexts: [{ name: 'mcp-session', cluster: cluster.name, user: 'mcp-session' }],
    currentContext: 'mcp-session',
  });
  return kc;
}

interface Session {
  transport: StreamableHTTPServerTransport;
  kube: KubeClient;
  tokenDigest: Buffer;
  lastUsed: number;
  close(): Promise<void>;
}

export interface HttpServerOptions {
  host: string;
  port: number;
  allowedHosts?: string[];
  /** The cluster to talk to (server URL and CA); its own credentials are never used. */
  kubeConfig: KubeConfig;
  crds: CustomResourceDefinition[];
  logger: Logger;
  server?: ServerOptions;
}

export interface McpHttpServer {
  url: string;
  sessions(): number;
  close(): Promise<void>;
}

function refuse(res: http.ServerResponse, status: number, message: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
  res.end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32001, message }, id: null }));
}

export async function startMcpHttpServer(opts: HttpServerOptions): Promise<McpHttpServer> {
  const allowed = (opts.allowedHosts?.length ? opts.allowedHosts : defaultAllowedHosts(opts.host)).map((h) => h.toLowerCase());
  const sessions = new Map<string, Session>();
  const log = opts.logger;

  const sweep = setInterval(() => {
    const now = Date.now();
    for (const [id, s] of sessions) if (now - s.lastUsed > SESSION_IDLE_MS) void s.close();
  }, 60_000);
  sweep.unref();

  async function openSession(token: string): Promise<Session | { status: number; message: string }> {
    if (sessions.size >= MAX_SESSIONS) return { status: 503, message: `too many open sessions (${MAX_SESSIONS}); close one (DELETE ${MCP_PATH}) or wait for idle ones to expire` };
    const kube = new KubeClient(tokenKubeConfig(opts.kubeConfig, token));
    let user: string | undefined;
    try {
      // Authenticate now, so a wrong token is a 401 at connect time rather than on every tool.
      const review = await kube.request<{ status?: { userInfo?: { username?: string } } }>('/apis/authentication.k8s.io/v1/selfsubjectreviews', {
        method: 'POST', body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' },
      });
      user = review.status?.userInfo?.username;
    } catch (err) {
      kube.close();
      if (err instanceof KubeApiError && err.code === 401) return { status: 401, message: 'the Kubernetes API server refused the bearer token (401 Unauthorized)' };
      return { status: 502, message: `cannot check the bearer token with the Kubernetes API server: ${(err as Error).message}` };
    }
    const mcp = createMcpServer({ kube, crds: opts.crds, logger: log.child({ user }) }, opts.server);
    const session: Session = {
      kube,
      tokenDigest: digest(token),
      lastUsed: Date.now(),
      transport: new StreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        onsessioninitialized: (id) => {
          sessions.set(id, session);
          log.info({ session: id.slice(0, 8), user }, 'MCP session opened');
        },
      }),
      async close() {
        const id = session.transport.sessionId;
        if (id) sessions.delete(id);
        await mcp.close().catch(() => {});
        kube.close();
      },
    };
    session.transport.onclose = () => {
      const id = session.transport.sessionId;
      if (id && sessions.get(id) === session) {
        sessions.delete(id);
        kube.close();
        log.info({ session: id.slice(0, 8), user }, 'MCP session closed');
      }
    };
    await mcp.connect(session.transport);
    return session;
  }

  const server = http.createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      // Liveness and readiness for the kubelet, whose probes send the pod IP as Host and no
      // token: answered before those checks, and it says nothing but that the server is up.
      if (url.pathname === HEALTH_PATH) {
        res.writeHead(200, { 'Content-Type': 'text/plain' });
        return void res.end('ok');
      }
      if (url.pathname !== MCP_PATH) return refuse(res, 404, `not found: the MCP endpoint is ${MCP_PATH}`);
      const problem = checkRequest(req.headers, allowed);
      if (problem) return refuse(res, problem.status, problem.message, problem.headers);
      const token = bearerToken(req.headers);
      const id = req.headers['mcp-session-id'];
      if (typeof id === 'string') {
        const s = sessions.get(id);
        if (!s) return refuse(res, 404, 'unknown or expired MCP session: initialize a new one');
        const d = digest(token);
        if (!timingSafeEqual(d, s.tokenDigest)) return refuse(res, 403, 'this session was opened with another bearer token');
        s.lastUsed = Date.now();
        return s.transport.handleRequest(req, res);
      }
      if (req.method !== 'POST') return refuse(res, 400, 'send an initialize request (POST) to open a session first');
      const opened = await openSession(token);
      if (!('transport' in opened)) return refuse(res, opened.status, opened.message);
      await opened.transport.handleRequest(req, res);
      // Anything but an initialize request leaves the transport without a session: drop it.
      if (!opened.transport.sessionId) await opened.close();
    })().catch((err: unknown) => {
      log.error({ err }, 'MCP HTTP request failed');
      if (!res.headersSent) refuse(res, 500, `internal error: ${(err as Error).message}`);
      else res.end();
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  const addr = server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  return {
    url: `http://${host}:${addr.port}${MCP_PATH}`,
    sessions: () => sessions.size,
    async close() {
      clearInterval(sweep);
      for (const s of [...sessions.values()]) await s.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
