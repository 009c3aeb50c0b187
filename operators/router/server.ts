import http from 'node:http';
import type { AddressInfo, LookupFunction } from 'node:net';
import { randomBytes } from 'node:crypto';
import type { KubeConfig } from '@kubernetes/client-node';
import pino, { type Logger } from 'pino';
import type prom from 'prom-client';
import { KubeClient } from '../runtime/kube.js';
import { kubeServiceAccess, type ServiceAccess } from '../runtime/service-access.js';
import { DEFAULT_MAX_TOKENS } from '../model/lanes/spec.js';
import { UsageAccounting, runKey } from './accounting.js';
import { CircuitBreakers, DEFAULT_BREAKER, type BreakerOptions } from './breaker.js';
import { readJsonBody } from './body.js';
import { isObj, sendJson } from './dialects/common.js';
import { ollamaChatSink, parseOllamaChat, parseOllamaEmbed, parseOllamaGenerate, renderOllamaEmbed, renderOllamaShow, renderOllamaTags } from './dialects/ollama.js';
import { openaiChatSink, parseOpenAIChat, parseOpenAIEmbeddings, renderOpenAIEmbeddings, renderOpenAIModels } from './dialects/openai.js';
import { dispatchChat, dispatchEmbed, type CallContext, type Caller, type CallSummary, type DispatchDeps } from './dispatch.js';
import { asRouterError, authError, policyError, renderOllamaError, renderOpenAIError, RouterError } from './errors.js';
import { EgressProxy } from './egress-proxy.js';
import { GITHUB_TOOL_PREFIX } from './forge-scope.js';
import { GitHubToolApi } from './github-tool.js';
import { IdempotencyTable } from './idempotency.js';
import { DETACHED, serveIdempotentChat } from './idempotent-chat.js';
import { createIssueTracker } from '../issues/factory.js';
import type { IssueTrackerFactory } from '../issues/types.js';
import { RouterMetrics } from './metrics.js';
import { logicalModels, modelNotFound } from './plan.js';
import { RouterState } from './state.js';
import { storeRunReport } from './report.js';
import { TargetResolver } from './targets.js';
import { runRef } from './tokens.js';

export interface RouterOptions {
  kubeConfig: KubeConfig;
  port?: number;
  host?: string;
  logger?: Logger;
  /** Only LanePolicies matching this label selector are loaded (tests label theirs). */
  laneSelector?: string;
  /** Namespace of the router's usage ConfigMaps (default $AGENTLAB_ROUTER_NAMESPACE or agentlab-system). */
  namespace?: string;
  /** How often usage is written to the lanes' and runs' ConfigMaps (default 5 s). */
  flushIntervalMs?: number;
  /** max_tokens reserved when a request sets none (default 1024). */
  defaultMaxTokens?: number;
  breaker?: BreakerOptions;
  /** How ModelServer Services are reached (default: Service DNS in a pod, the API server's service proxy outside). */
  serviceAccess?: ServiceAccess;
  /** How the http egress proxy resolves host names (default: the system resolver). */
  egressLookup?: LookupFunction;
  /** How the agent github tool reaches a forge (default createIssueTracker; tests and `agentlab dev` send it to the fake forges). */
  issueTrackers?: IssueTrackerFactory;
}

export interface Router {
  url: string;
  stop(): Promise<void>;
  registry: prom.Registry;
  /** Writes pending usage now (tests, shutdown). */
  flushUsage(): Promise<void>;
}

// Request ids: unique per process start and counter, cheaper than random bytes per request.
const ID_PREFIX = randomBytes(4).toString('hex');
let idCounter = 0;
const nextRequestId = () => `${ID_PREFIX}${(++idCounter).toString(36).padStart(6, '0')}`;

type Dialect = 'ollama' | 'openai';

/**
 * The calling connection of one request (dispatch.ts's Caller). A class rather than an object
 * literal with a getter: V8 builds such a literal through its slow runtime path on every request.
 */
class ConnectionCaller implements Caller {
  gone = false;
  private listener: (() => void) | undefined = undefined;

  onGone(fn: (() => void) | undefined): void {
    this.listener = fn;
    if (this.gone) fn?.();
  }

  /** The connection closed before the response finished. */
  leave(): void {
    this.gone = true;
    this.listener?.();
  }
}

/**
 * The lane router: Ollama and OpenAI-compatible APIs in front of every model provider, enforcing
 * each caller's LanePolicy (identity, providers, fallback, budget) and counting usage; and, on
 * the same port, the agent pods' http egress proxy (egress-proxy.ts).
 */
export async function startRouter(opts: RouterOptions): Promise<Router> {
  const log = opts.logger ?? pino({ name: 'agentlab-router' });
  const client = new KubeClient(opts.kubeConfig, { maxSockets: 16 });
  const namespace = opts.namespace ?? process.env.AGENTLAB_ROUTER_NAMESPACE ?? 'agentlab-system';
  const metrics = new RouterMetrics();
  const state = new RouterState(client, log, { laneSelector: opts.laneSelector, routerNamespace: namespace });
  const accounting = new UsageAccounting(client, log, metrics, { namespace, flushIntervalMs: opts.flushIntervalMs ?? 5000, laneUid: (l) => state.laneUid(l), runOwner: (ns, kind, run) => state.tokens.runOwner(ns, kind, run) });
  state.onUsage((lane, u) => accounting.observe(lane, u));
  state.onRunUsage((ns, kind, run, u) => accounting.observeRun(ns, kind, run, u));
  state.onTokenGone((ns, kind, run) => accounting.forgetRun(ns, kind, run));
  const breakerOpts = opts.breaker ?? DEFAULT_BREAKER;
  const deps: DispatchDeps = {
    accounting,
    breakers: new CircuitBreakers(breakerOpts),
    resolver: new TargetResolver(client, opts.kubeConfig, (ns, name) => state.modelServer(ns, name), opts.serviceAccess ?? kubeServiceAccess(client)),
    metrics,
    log,
    defaultMaxTokens: opts.defaultMaxTokens ?? DEFAULT_MAX_TOKENS,
  };
  const egress = new EgressProxy({ state, metrics, log, lookup: opts.egressLookup });
  // First outcomes of chat requests sent with an Idempotency-Key (ADR 0017); in memory only.
  const idempotency = new IdempotencyTable();
  const githubTool = new GitHubToolApi({ client, issueTrackers: opts.issueTrackers ?? createIssueTracker, log, metrics });
  state.start();
  await state.waitForSync();
  accounting.start();

  /** Who is calling and which lane applies: 401 / 403 before anything else happens. */
  function callContext(req: http.IncomingMessage, requestId: string, caller: Caller): CallContext {
    const auth = state.tokens.authenticate(req.headers.authorization, Date.now());
    if (!auth.ok) throw authError(auth.reason);
    const id = auth.identity;
    const r = state.laneFor(id.namespace);
    if ('error' in r) throw policyError(r.error, 403, 'no_lane');
    if (!r.lane.ok) throw policyError(`LanePolicy ${r.lane.name} is invalid (${r.lane.errors.join('; ')}); its namespaces get no model access until it is fixed`, 503, 'lane_invalid');
    const lane = r.lane.lane;
    if (id.lane && id.lane !== lane.name) throw policyError(`run ${id.namespace}/${id.run} was issued for lane ${id.lane}, but namespace ${id.namespace} is in lane ${lane.name}`, 403, 'lane_mismatch');
    const sensitive = id.sensitive || String(req.headers['x-agentlab-sensitive'] ?? '').toLowerCase() === 'true';
    return { lane, identity: id, requestId, sensitive, caller };
  }

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const t0 = performance.now();
    const requestId = typeof req.headers['x-request-id'] === 'string' && /^[\w.-]{1,64}$/.test(req.headers['x-request-id']) ? req.headers['x-request-id'] : nextRequestId();
    if (EgressProxy.isProxyRequest(req)) {
      // The http tool's egress (absolute-form request): checked against the run's policy and forwarded.
      egress.handleRequest(req, res, requestId);
      return;
    }
    const path = (req.url ?? '/').split('?')[0];
    if (path.startsWith(GITHUB_TOOL_PREFIX)) {
      // The agent github tool: the router calls the forge for the run (github-tool.ts).
      const standalone: Caller = { gone: false, onGone() {} };
      await githubTool.handle(req, res, requestId, () => callContext(req, requestId, standalone).identity);
      return;
    }
    const dialect: Dialect = path.startsWith('/v1/') ? 'openai' : 'ollama';
    const caller = new ConnectionCaller();
    res.on('close', () => {
      if (!res.writableFinished) caller.leave();
    });
    let ctx: CallContext | undefined;
    let summary: CallSummary | undefined;
    let failure: RouterError | undefined;
    let sinkFail: ((e: RouterError) => void) | undefined;
    try {
      const route = `${req.method} ${path}`;
      switch (route) {
        case 'GET /':
        case 'HEAD /':
          res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end('Ollama is running');
          return;
        case 'GET /healthz':
          res.writeHead(200).end('ok');
          return;
        case 'GET /readyz':
          res.writeHead(state.synced() ? 200 : 503).end(state.synced() ? 'ok' : 'caches not synced');
          return;
        case 'GET /api/version':
          sendJson(res, 200, { version: '0.6.0' }, requestId);
          return;
        case 'GET /api/tags':
        case 'GET /v1/models': {
          ctx = callContext(req, requestId, caller);
          const models = logicalModels(ctx.lane);
          sendJson(res, 200, dialect === 'openai' ? renderOpenAIModels(models, `lane/${ctx.lane.name}`) : renderOllamaTags(models), requestId);
          return;
        }
        case 'GET /agentlab/v1/usage': {
          // A run's own view of its token account (for AgentRun status; no other run's figures).
          ctx = callContext(req, requestId, caller);
          const used = accounting.ledger.used(runKey(ctx.identity.namespace, ctx.identity.kind, ctx.identity.run));
          const limit = Math.min(ctx.lane.budget.maxTokensPerRun ?? Infinity, ctx.identity.maxTokens ?? Infinity);
          sendJson(res, 200, {
            namespace: ctx.identity.namespace,
            run: ctx.identity.run,
            lane: ctx.lane.name,
            tokensUsed: used.tokens,
            costUSD: Number(used.costUSD.toFixed(6)),
            ...(Number.isFinite(limit) ? { tokenLimit: limit } : {}),
          }, requestId);
          return;
        }
        case 'POST /api/show': {
          // Ollama clients (Continue, Open WebUI) ask for model details; the lane's names are all there is.
          ctx = callContext(req, requestId, caller);
          const body = await readJsonBody(req);
          const name = typeof body.model === 'string' ? body.model : typeof body.name === 'string' ? body.name : '';
          if (!logicalModels(ctx.lane).includes(name)) throw modelNotFound(ctx.lane, name);
          sendJson(res, 200, renderOllamaShow(), requestId);
          return;
        }
        case 'POST /api/chat':
        case 'POST /api/generate':
        case 'POST /v1/chat/completions': {
          ctx = callContext(req, requestId, caller);
          const body = await readJsonBody(req);
          const chat = route === 'POST /api/chat' ? parseOllamaChat(body) : route === 'POST /api/generate' ? parseOllamaGenerate(body) : parseOpenAIChat(body);
          const sinkOn = (out: http.ServerResponse) => dialect === 'openai'
            ? openaiChatSink(out, { model: chat.model, stream: chat.stream, includeUsage: isObj(body.stream_options) && body.stream_options.include_usage === true, requestId })
            : ollamaChatSink(out, { model: chat.model, stream: chat.stream, mode: route === 'POST /api/chat' ? 'chat' : 'generate', requestId });
          const idempotencyKey = req.headers['idempotency-key'];
          if (idempotencyKey !== undefined) {
            // Run once, whoever disconnects; a repeat with the key joins or replays it (idempotent-chat.ts).
            const c = ctx;
            summary = await serveIdempotentChat({ table: idempotency, header: idempotencyKey, scope: runRef(c.identity.namespace, c.identity.kind, c.identity.run), route, body, stream: chat.stream, res, requestId, metrics: deps.metrics, dispatch: async (out) => {
              const sink = sinkOn(out);
              try {
                return await dispatchChat(deps, { ...c, caller: DETACHED }, chat, sink);
              } catch (err) {
                const e = asRouterError(err);
                if (e.category !== 'upstream') deps.metrics.requests.inc({ lane: c.lane.name, provider: '', model: '', outcome: e.category });
                sink.fail(e);
                // Answered (and kept for repeats) without throwing: the log line still names the failure.
                return { outcome: e.category, fallbacks: 0, status: e.status, code: e.code, ...(e.provider ? { provider: e.provider } : {}) };
              }
            } });
            return;
          }
          const sink = sinkOn(res);
          sinkFail = (e) => sink.fail(e);
          summary = await dispatchChat(deps, ctx, chat, sink);
          return;
        }
        case 'POST /api/embed':
        case 'POST /v1/embeddings': {
          ctx = callContext(req, requestId, caller);
          const body = await readJsonBody(req);
          const embed = dialect === 'openai' ? parseOpenAIEmbeddings(body) : parseOllamaEmbed(body);
          const out = await dispatchEmbed(deps, ctx, embed);
          summary = out.summary;
          sendJson(res, 200, dialect === 'openai' ? renderOpenAIEmbeddings(embed.model, out.result.embeddings, out.result.usage) : renderOllamaEmbed(embed.model, out.result.embeddings, out.result.usage), requestId);
          return;
        }
        case 'POST /agentlab/v1/report': {
          // A runner in a KubeVirt VM hands in its termination message and transcript (report.ts).
          const auth = state.tokens.authenticate(req.headers.authorization, Date.now());
          if (!auth.ok) throw authError(auth.reason);
          sendJson(res, 201, await storeRunReport(client, namespace, auth.identity, await readJsonBody(req), log), requestId);
          return;
        }
        default:
          throw new RouterError('validation', 404, 'not_found', `no route ${req.method} ${path}`);
      }
    } catch (err) {
      failure = asRouterError(err);
      if (!(err instanceof RouterError)) log.error({ requestId, err: (err as Error).message }, 'router bug');
      if (failure.category !== 'upstream') {
        deps.metrics.requests.inc({ lane: ctx?.lane.name ?? '', provider: '', model: '', outcome: failure.category });
      }
      if (sinkFail) sinkFail(failure);
      else {
        const r = dialect === 'openai' ? renderOpenAIError(failure, requestId) : renderOllamaError(failure, requestId);
        if (res.headersSent) res.end();
        else sendJson(res, r.status, r.body, requestId);
      }
    } finally {
      if (path.startsWith('/api/') || path.startsWith('/v1/')) {
        // One line per model request: who, where, what it cost. Never the prompt, answer or key.
        log.info({
          requestId,
          route: `${req.method} ${path}`,
          namespace: ctx?.identity.namespace,
          run: ctx?.identity.run,
          lane: ctx?.lane.name,
          provider: summary?.provider ?? failure?.provider,
          model: summary?.model,
          outcome: summary?.outcome ?? failure?.category,
          status: failure?.status ?? summary?.status ?? 200,
          code: failure?.code ?? summary?.code,
          fallbacks: summary?.fallbacks,
          inputTokens: summary?.usage?.inputTokens,
          outputTokens: summary?.usage?.outputTokens,
          costUSD: summary?.costUSD,
          ttftMs: summary?.ttftMs !== undefined ? Math.round(summary.ttftMs * 10) / 10 : undefined,
          durationMs: Math.round((performance.now() - t0) * 10) / 10,
        }, failure ? failure.message : 'request');
      }
    }
  }

  const server = http.createServer((req, res) => void handle(req, res));
  // https egress: CONNECT host:port, checked, then tunnelled.
  server.on('connect', (req: http.IncomingMessage, socket, head: Buffer) => egress.handleConnect(req, socket, head));
  server.keepAliveTimeout = 65_000;
  server.on('connection', (s) => s.setNoDelay(true));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  const addr = server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  const url = `http://${host}:${addr.port}`;
  log.info({ url, namespace, lanes: state.laneNames() }, 'lane router listening');

  const breakerTimer = setInterval(() => {
    for (const [lane, provider, endpoint] of state.providerEndpoints((p) => deps.resolver.endpointOf(p))) {
      deps.metrics.breakerOpen.set({ lane, provider }, deps.breakers.state(endpoint) === 'open' ? 1 : 0);
    }
  }, Math.min(5000, breakerOpts.openMs));
  breakerTimer.unref();

  return {
    url,
    registry: metrics.registry,
    flushUsage: () => accounting.flush(),
    async stop() {
      clearInterval(breakerTimer);
      egress.closeAll();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        setTimeout(() => server.closeAllConnections(), 2000).unref();
      });
      await accounting.stop();
      await state.stop();
      client.close();
    },
  };
}
