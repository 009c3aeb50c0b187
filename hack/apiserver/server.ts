/**
 * The embedded Kubernetes API server: node:http on 127.0.0.1, bearer-token authentication,
 * discovery, OpenAPI, and the resource handlers. See docs/embedded-apiserver.md for fidelity.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import net, { type AddressInfo } from 'node:net';
import pino, { type Logger } from 'pino';
import type { ServerContext } from './context.js';
import { installValidatingAdmissionPolicies } from './admission/install.js';
import { forbiddenMessage, requestAttributes } from './auth/attributes.js';
import { Authenticator, ADMIN_USER } from './auth/authenticator.js';
import { ServiceAccountTokens } from './auth/service-account-tokens.js';
import { makeAuthorizer, storeRbacSource, type AuthorizationMode } from './auth/authorizer.js';
import { createBootstrapRbac } from './auth/bootstrap.js';
import { impersonate } from './auth/impersonation.js';
import { parseTokenFile } from './auth/token-file.js';
import { setRequestUser } from './auth/user.js';
import { installCrdController } from './crd.js';
import {
  AGGREGATED_MEDIA_TYPE, aggregatedDiscovery, apiGroup, apiGroupList, apiResourceList, apiVersions, SERVER_VERSION, wantsAggregated,
} from './discovery.js';
import { ApiError, forbidden, internalError, pathNotFound, unauthorized } from './errors.js';
import { FaultInjector } from './faults.js';
import { installGarbageCollector } from './gc.js';
import { handleResource, type HandlerDeps } from './handlers.js';
import { sendError, sendJson } from './http.js';
import { kubeconfigYaml } from './kubeconfig.js';
import { createKubernetesService } from './kubernetes-service.js';
import { createDefaultNamespaces, installNamespaceController } from './namespaces.js';
import { ObjectService } from './objects.js';
import { OpenApi } from './openapi.js';
import { Registry, fieldsOf, storageKey } from './registry.js';
import { parseRoute } from './routes.js';
import { Store } from './store.js';
import { selfSignedCertificate } from './tls.js';
import type { StoredObject } from './types.js';
import { WatchHub } from './watch.js';

export interface ApiServerOptions {
  host?: string;
  /** 0 = a random free port. */
  port?: number;
  /** The admin's bearer token (user `admin`, group system:masters); random when omitted. */
  token?: string;
  /**
   * More users, as kube-apiserver's --token-auth-file: a CSV file with `token,user,uid,"group1,group2"`
   * per line. A line that does not parse fails the start with the file and line.
   */
  tokenAuthFile?: string;
  /** --authorization-mode: RBAC (default; system:masters is always allowed) or AlwaysAllow. */
  authorizationMode?: AuthorizationMode;
  /** Watch events kept per resource for resuming watches (older resourceVersions get 410). */
  watchHistory?: number;
  /** Request bodies above this are rejected with 413 (kube-apiserver: 3 MiB). */
  maxBodyBytes?: number;
  /** How often watches with allowWatchBookmarks get a BOOKMARK event. */
  bookmarkIntervalMs?: number;
  logger?: Logger;
}

export interface EmbeddedApiServer {
  /** Plain HTTP (curl, fetch, client-node). */
  url: string;
  /** The same port over TLS with a self-signed certificate; the kubeconfig uses it because kubectl sends credentials only over TLS. */
  httpsUrl: string;
  token: string;
  kubeconfig(): string;
  writeKubeconfig(path: string): Promise<void>;
  faults: FaultInjector;
  /**
   * Benchmarks only (test/bench/memory.bench.ts): stores complete objects, as a create would
   * have stored them, without admission, validation or commit hooks, each with a fresh
   * resourceVersion, so that a benchmark fills the store with 100,000s of objects in seconds.
   * Clients still list and watch them over HTTP. Returns how many were stored.
   */
  preload(group: string, version: string, resource: string, objects: Iterable<StoredObject>): number;
  close(): Promise<void>;
}

const PUBLIC_PATHS = new Set(['/version', '/healthz', '/livez', '/readyz']);

export async function startApiServer(opts: ApiServerOptions = {}): Promise<EmbeddedApiServer> {
  const host = opts.host ?? '127.0.0.1';
  const token = opts.token ?? randomBytes(24).toString('hex');
  const logger = opts.logger ?? pino({ level: process.env.AGENTLAB_APISERVER_LOG ?? 'warn' });
  const hub = new WatchHub(opts.watchHistory ?? 1000);
  const ctx: ServerContext = { registry: new Registry(), store: new Store(hub), hub, logger, timers: new Set() };
  const fileUsers = opts.tokenAuthFile ? parseTokenFile(readFileSync(opts.tokenAuthFile, 'utf8'), opts.tokenAuthFile) : new Map();
  const serviceAccountTokens = new ServiceAccountTokens();
  const lookup = {
    serviceAccountUid: (ns: string, name: string) => ctx.store.getEntry('serviceaccounts.', ns, name)?.uid,
    objectUid: (ns: string, kind: string, name: string) => (kind === 'Pod' ? ctx.store.getEntry('pods.', ns, name)?.uid : kind === 'Secret' ? ctx.store.getEntry('secrets.', ns, name)?.uid : undefined),
  };
  const authenticator = new Authenticator(token, fileUsers, (t) => serviceAccountTokens.authenticate(t, lookup, Date.now()));
  const authorize = makeAuthorizer(opts.authorizationMode ?? 'RBAC', storeRbacSource(ctx.store));
  hub.onWatcherError = (err, w) => logger.error({ err, resource: w.gr }, 'watch stream failed; closing it');
  const svc = new ObjectService(ctx);
  installCrdController(ctx, svc);
  installGarbageCollector(ctx, svc);
  installNamespaceController(ctx, svc);
  createDefaultNamespaces(svc, ctx);
  createBootstrapRbac(svc, ctx);
  installValidatingAdmissionPolicies(ctx, svc, authorize);
  const faults = new FaultInjector();
  const openapi = new OpenApi(ctx.registry);
  const deps: HandlerDeps = { ctx, svc, faults, maxBodyBytes: opts.maxBodyBytes ?? 3 * 1024 * 1024,
    bookmarkIntervalMs: opts.bookmarkIntervalMs ?? 60_000, authorize, serviceAccountTokens };
  let serverAddress = '';

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const route = parseRoute(url.pathname);
    if (!PUBLIC_PATHS.has(url.pathname)) {
      const authenticated = authenticator.authenticate(req.headers.authorization);
      if (!authenticated) throw unauthorized();
      const user = impersonate(authenticated, req.headers, authorize);
      setRequestUser(req, user);
      const attrs = { ...requestAttributes(route, req.method ?? 'GET', url.pathname, url.searchParams), user };
      const decision = authorize(attrs);
      if (!decision.allowed) {
        const why = decision.reason ? `${forbiddenMessage(attrs)}: ${decision.reason}` : forbiddenMessage(attrs);
        throw attrs.resourceRequest ? forbidden({ group: attrs.apiGroup, resource: attrs.resource }, attrs.name, why) : forbidden({ group: '', resource: '' }, '', why);
      }
    }
    switch (route.kind) {
      case 'version': return sendJson(res, 200, SERVER_VERSION);
      case 'health': res.writeHead(200, { 'Content-Type': 'text/plain' }); res.end('ok'); return;
      case 'api': case 'apis': {
        if (wantsAggregated(req.headers.accept)) {
          return sendJson(res, 200, aggregatedDiscovery(ctx.registry, route.kind === 'api'), { headers: { 'Content-Type': AGGREGATED_MEDIA_TYPE } });
        }
        return sendJson(res, 200, route.kind === 'api' ? apiVersions(serverAddress) : apiGroupList(ctx.registry));
      }
      case 'apiVersion': case 'groupVersion': {
        const doc = apiResourceList(ctx.registry, route.kind === 'apiVersion' ? '' : route.group, route.version);
        if (!doc) throw pathNotFound();
        return sendJson(res, 200, doc);
      }
      case 'group': {
        const doc = apiGroup(ctx.registry, route.group);
        if (!doc) throw pathNotFound();
        return sendJson(res, 200, doc);
      }
      case 'openapiV3': return sendJson(res, 200, openapi.root());
      case 'openapiV3Doc': {
        const body = openapi.document(route.path);
        if (!body) throw pathNotFound();
        res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
        res.end(body);
        return;
      }
      case 'resource': return handleResource(deps, route, url, req, res);
      default: throw pathNotFound();
    }
  };

  const listener = (req: IncomingMessage, res: ServerResponse): void => {
    const started = Date.now();
    handle(req, res).catch((err: unknown) => {
      const apiErr = err instanceof ApiError ? err : internalError(err instanceof Error ? err.message : String(err));
      if (!(err instanceof ApiError)) logger.error({ err, method: req.method, path: req.url?.split('?')[0] }, 'request failed');
      // Drain what is left of the body so the connection can be reused.
      if (!req.complete) req.resume();
      sendError(res, apiErr);
    }).finally(() => {
      logger.debug({ method: req.method, path: req.url?.split('?')[0], status: res.statusCode, ms: Date.now() - started }, 'request');
    });
  };
  const plain = http.createServer(listener);
  const secure = https.createServer(selfSignedCertificate(), listener);
  for (const s of [plain, secure]) s.keepAliveTimeout = 65_000;
  // One port serves both: a TLS ClientHello starts with 0x16, anything else is plain HTTP.
  const sockets = new Set<net.Socket>();
  const server = net.createServer({ noDelay: true }, (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    socket.once('data', (first: Buffer) => {
      socket.pause();
      socket.unshift(first);
      (first[0] === 0x16 ? secure : plain).emit('connection', socket);
      process.nextTick(() => socket.resume());
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => { server.off('error', reject); resolve(); });
  });
  const { port } = server.address() as AddressInfo;
  serverAddress = `${host}:${port}`;
  createKubernetesService(svc, ctx, host, port);
  const hostPort = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  const url = `http://${hostPort}`;
  const httpsUrl = `https://${hostPort}`;
  logger.info({ url, httpsUrl }, 'embedded API server listening');
  const kubeconfig = (): string => kubeconfigYaml({ server: httpsUrl, token });
  return {
    url, httpsUrl, token, faults, kubeconfig,
    writeKubeconfig: (path) => writeFile(path, kubeconfig(), { mode: 0o600 }),
    preload: (group, version, resource, objects) => {
      const r = ctx.registry.get(group, version, resource);
      if (!r) throw new Error(`preload: the server does not serve ${resource} in ${group || 'core'}/${version}`);
      let n = 0;
      for (const obj of objects) {
        obj.metadata.resourceVersion = String(ctx.store.nextRv());
        ctx.store.put(storageKey(r), obj, fieldsOf(r, obj));
        n++;
      }
      return n;
    },
    close: async () => {
      for (const t of ctx.timers) clearTimeout(t);
      ctx.timers.clear();
      faults.dropWatches();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const sock of sockets) sock.destroy();
      });
    },
  };
}
