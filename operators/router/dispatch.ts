import type { Logger } from 'pino';
import type { LaneProvider, LaneSpec, ProviderType } from '../model/lanes/spec.js';
import type { AttemptSignal, ProviderAdapter, PushedEvents, StreamItem } from './providers/types.js';
import { periodStart } from '../model/lanes/period.js';
import { UsageAccounting, laneKey, runKey, type UsageDelta } from './accounting.js';
import type { Amount, Reservation } from './budget.js';
import type { CircuitBreakers } from './breaker.js';
import { promptTokenBound, type ChatRequest, type EmbedRequest, type EmbedResult, type StreamEvent, type Usage } from './canonical.js';
import type { ChatSink } from './dialects/common.js';
import { budgetError, policyError, RouterError, upstreamError } from './errors.js';
import type { RouterMetrics } from './metrics.js';
import { mayFallBack, planCandidates, type Candidate } from './plan.js';
import { costUSD } from './pricing.js';
import { ADAPTERS } from './providers/index.js';
import { UpstreamFailure, type FailureClass } from './providers/http.js';
import { MAX_TOKENS_ANNOTATION, type Identity } from './tokens.js';
import type { TargetResolver } from './targets.js';

export interface DispatchDeps {
  accounting: UsageAccounting;
  breakers: CircuitBreakers;
  resolver: TargetResolver;
  metrics: RouterMetrics;
  log: Logger;
  defaultMaxTokens: number;
  /** Wire adapters per provider type (default: the real ones). */
  adapters?: Record<ProviderType, ProviderAdapter>;
}

/**
 * The calling connection: whether it went away, and one listener for when it does (the current
 * attempt's). Lighter than an AbortSignal per request, which costs measurably at these rates.
 */
export interface Caller {
  readonly gone: boolean;
  /** Sets (or with undefined clears) the function called once if the caller goes away. */
  onGone(fn: (() => void) | undefined): void;
}

export interface CallContext {
  lane: LaneSpec;
  identity: Identity;
  requestId: string;
  sensitive: boolean;
  caller: Caller;
}

/** What a finished request reports for its log line (never prompts or keys). */
export interface CallSummary {
  provider?: string;
  model?: string;
  outcome: string;
  usage?: Usage;
  costUSD?: number;
  fallbacks: number;
  ttftMs?: number;
  /** The HTTP status answered when it was not 200 (an idempotent call's stored error, first or replayed). */
  status?: number;
  /** The error code of a failed call answered without throwing (an idempotent call's stored error). */
  code?: string;
}

const STATUS_FOR: Partial<Record<FailureClass, number>> = { Timeout: 504, RateLimited: 429, Unavailable: 503 };

// The start of each kind of budget period, recomputed when the UTC day changes (every kind of
// period starts at a UTC midnight) rather than per request.
const DAY_MS = 86_400_000;
const periodCache = new Map<LaneSpec['budget']['period'], { day: number; start: string }>();
function currentPeriodStart(period: LaneSpec['budget']['period'], nowMs: number): string {
  const day = Math.floor(nowMs / DAY_MS);
  const c = periodCache.get(period);
  if (c && c.day === day) return c.start;
  const start = periodStart(period, new Date(nowMs));
  periodCache.set(period, { day, start });
  return start;
}

// The candidates per lane, request kind, model and locality: a LanePolicy change makes a new
// LaneSpec object, so its entry goes with the old one. Refusals are not kept (they are rare and
// carry an error of their own); a lane's entries are bounded, since callers choose model names.
const plans = new WeakMap<LaneSpec, Map<string, Candidate[]>>();
const MAX_PLANS_PER_LANE = 256;
function cachedPlan(lane: LaneSpec, kind: 'chat' | 'embed', model: string, localOnly: string | undefined): ReturnType<typeof planCandidates> {
  const key = `${kind}\u0000${localOnly ?? ''}\u0000${model}`;
  let byKey = plans.get(lane);
  const hit = byKey?.get(key);
  if (hit) return { ok: true, candidates: hit };
  const plan = planCandidates(lane, { kind, model }, { localOnly });
  if (plan.ok) {
    if (!byKey) plans.set(lane, (byKey = new Map()));
    if (byKey.size >= MAX_PLANS_PER_LANE) byKey.clear();
    byKey.set(key, plan.candidates);
  }
  return plan;
}

interface Admitted { reservation: Reservation; candidates: Candidate[]; maxTokens: number; period: string }

/**
 * Policy and budget, decided before anything is sent: which providers, in which order, and a
 * reservation of the worst case on the lane's period budget and the run's token limit.
 */
function admit(deps: DispatchDeps, ctx: CallContext, req: ChatRequest | EmbedRequest): Admitted {
  const { lane, identity } = ctx;
  const localOnly = ctx.sensitive && lane.sensitiveData === 'LocalOnly' ? 'sensitive data' : undefined;
  const plan = cachedPlan(lane, req.kind, req.model, localOnly);
  if (!plan.ok) throw plan.error;
  const maxTokens = req.kind === 'chat' ? req.maxTokens ?? deps.defaultMaxTokens : 0;
  const prompt = promptTokenBound(req);
  const worst = (cs: Candidate[]): Amount => ({
    tokens: prompt + maxTokens,
    costUSD: Math.max(0, ...cs.map((c) => costUSD(c.provider, { inputTokens: prompt, outputTokens: maxTokens }))),
  });
  const period = currentPeriodStart(lane.budget.period, Date.now());
  const runLimit = Math.min(lane.budget.maxTokensPerRun ?? Infinity, identity.maxTokens ?? Infinity);
  const runCheck = { key: runKey(identity.namespace, identity.kind, identity.run), limits: Number.isFinite(runLimit) ? { maxTokens: runLimit } : {}, label: `run ${identity.namespace}/${identity.run}` };
  const laneCheck = { key: laneKey(lane.name, period), limits: { maxCostUSD: lane.budget.maxCostUSD }, label: `lane ${lane.name}` };
  let candidates = plan.candidates;
  let a = deps.accounting.ledger.admit([runCheck, laneCheck], worst(candidates));
  if (!a.ok && a.key === laneCheck.key && lane.budget.onExceeded === 'LocalOnly') {
    // Over budget, the lane keeps serving from its local providers (which cost nothing by policy).
    candidates = candidates.filter((c) => c.provider.locality === 'local');
    if (candidates.length > 0) a = deps.accounting.ledger.admit([runCheck, { ...laneCheck, limits: {} }], worst(candidates));
  }
  if (!a.ok) {
    deps.accounting.flushSoon();
    if (a.key === runCheck.key) throw runLimitError(a.reason, lane, identity, runLimit);
    throw budgetError(a.reason);
  }
  return { reservation: a.reservation, candidates, maxTokens, period };
}

/** 429 run_token_limit, naming the limit and where it comes from (the runner reports it as MaxTokens). */
function runLimitError(reason: string, lane: LaneSpec, identity: Identity, limit: number): RouterError {
  const source = identity.maxTokens === limit
    ? `${MAX_TOKENS_ANNOTATION} on Secret ${identity.namespace}/${identity.secret}, the run's limits.maxTokens`
    : `LanePolicy ${lane.name} spec.budget.maxTokensPerRun`;
  return new RouterError('budget', 429, 'run_token_limit', `${reason} (limit ${limit} tokens from ${source})`);
}

function describeFailure(p: LaneProvider, f: FailureClass, message: string): string {
  return `${p.name}: ${f} (${message})`;
}

/** Settles the reservation and counts usage; `usage` undefined = the request failed before any answer. */
function finish(deps: DispatchDeps, ctx: CallContext, a: Admitted, c: Candidate | undefined, usage: Usage | undefined, fallbacks: number, chargeReserved = false): number {
  const cost = c && usage ? costUSD(c.provider, usage) : 0;
  const actual: Amount = chargeReserved ? a.reservation.amount : { tokens: usage ? usage.inputTokens + usage.outputTokens : 0, costUSD: cost };
  deps.accounting.ledger.settle(a.reservation, actual);
  const delta = {
    costUSD: actual.costUSD,
    // A request cut off is charged its reservation (ADR 0012): as completion tokens, the part the provider may have generated.
    promptTokens: usage?.inputTokens ?? 0,
    completionTokens: usage?.outputTokens ?? (chargeReserved ? actual.tokens : 0),
    requests: 1,
    fallbacks: fallbacks > 0 ? 1 : 0,
  };
  deps.accounting.record(ctx.lane.name, ctx.lane.budget.period, a.period, delta);
  // The run's own account (AgentRun status.usage), with the provider and model that answered.
  if (c && usage) {
    (delta as Partial<UsageDelta>).provider = c.provider.name;
    (delta as Partial<UsageDelta>).model = c.model;
  }
  deps.accounting.recordRun(ctx.identity.namespace, ctx.identity.kind, ctx.identity.run, delta);
  if (c && usage) {
    const m = deps.metrics.target(ctx.lane.name, c.provider.name, c.model);
    m.tokensIn.inc(usage.inputTokens);
    m.tokensOut.inc(usage.outputTokens);
    m.cost.inc(actual.costUSD);
  }
  return actual.costUSD;
}

/**
 * A failed attempt's verdict for the provider's circuit breaker: only a request that went out
 * tells anything about the endpoint. A target that could not be resolved (a ModelServer still
 * pulling the model, not found yet, a missing key Secret) never reached it, so it must not open the
 * circuit for the server's other models, or for this one for openMs after its pull ends.
 */
function countOutcome(breakers: CircuitBreakers, endpoint: string, f: FailureClass, sent: boolean): void {
  if (sent && f !== 'ClientError') breakers.failure(endpoint);
  else breakers.release(endpoint);
}

function guardLocality(lane: LaneSpec, p: LaneProvider): void {
  // planCandidates already excludes these; this is the last check before a socket is opened.
  if (!lane.allowCloud && p.locality !== 'local') throw policyError(`lane ${lane.name} is private; provider ${p.name} is not local`, 403, 'private_lane');
}

/**
 * Runs a chat request: providers in lane order, falling back on the lane's error classes until
 * the first token; after it, a failure ends the answer with an error and never switches provider.
 */
export async function dispatchChat(deps: DispatchDeps, ctx: CallContext, req: ChatRequest, sink: ChatSink): Promise<CallSummary> {
  const a = admit(deps, ctx, req);
  try {
    return await chatAttempts(deps, ctx, req, sink, a);
  } finally {
    // Every path settles; this only catches the unexpected ones (a bug must not leak a reservation).
    if (!a.reservation.settled) finish(deps, ctx, a, undefined, undefined, 0);
  }
}

async function chatAttempts(deps: DispatchDeps, ctx: CallContext, req: ChatRequest, sink: ChatSink, a: Admitted): Promise<CallSummary> {
  const t0 = performance.now();
  const failures: string[] = [];
  let fallbacks = 0;
  const lane = ctx.lane;
  const upstreamReq: ChatRequest = { ...req, maxTokens: a.maxTokens };
  for (let i = 0; i < a.candidates.length; i++) {
    const c = a.candidates[i];
    const m = deps.metrics.target(lane.name, c.provider.name, c.model);
    const endpoint = deps.resolver.endpointOf(c.provider);
    const moveOn = (f: FailureClass | 'CircuitOpen', message: string) => {
      failures.push(describeFailure(c.provider, f as FailureClass, message));
      if (i < a.candidates.length - 1) {
        fallbacks++;
        deps.metrics.fallbacks.inc({ lane: lane.name, provider: c.provider.name, reason: f });
      }
    };
    if (!deps.breakers.tryAcquire(endpoint)) {
      moveOn('CircuitOpen', 'circuit breaker open');
      continue;
    }
    guardLocality(lane, c.provider);
    const attempt = startAttempt(ctx.caller, lane.fallback.firstTokenTimeoutMs);
    let firstToken = false;
    let ttftMs: number | undefined;
    let sent = false;
    try {
      const target = await deps.resolver.resolve(c.provider, c.model);
      sent = true;
      const events = await (deps.adapters ?? ADAPTERS)[c.provider.type].chat(upstreamReq, target, attempt.signal);
      sink.start();
      let summary: CallSummary | undefined;
      // A batch holds the events of one upstream read (providers/types.ts StreamItem); true once it held the answer's end.
      const onBatch = (batch: readonly StreamEvent[]): boolean => {
        for (let j = 0; j < batch.length; j++) {
          const ev = batch[j];
          if (ev.type === 'delta' || ev.type === 'tool_call') {
            if (!firstToken) {
              firstToken = true;
              attempt.clearTimer();
              ttftMs = performance.now() - t0;
              m.ttft.observe(ttftMs / 1000);
            }
            if (ev.type === 'delta') sink.delta(ev.text, ev.json);
            else sink.toolCall(ev.call);
          } else {
            attempt.clearTimer();
            // The last chunk goes out first; the bookkeeping after it is in memory and synchronous
            // (no other request runs in between), so nothing can see the answer before its usage.
            sink.done(ev.usage, ev.finishReason);
            deps.breakers.success(endpoint);
            const cost = finish(deps, ctx, a, c, ev.usage, fallbacks);
            m.request('success');
            m.duration.observe((performance.now() - t0) / 1000);
            summary = { provider: c.provider.name, model: c.model, outcome: 'success', usage: ev.usage, costUSD: cost, fallbacks, ttftMs };
            return true;
          }
        }
        return false;
      };
      if (offersPush(events)) {
        // Each batch is one upstream read: what it brought leaves in one write before the next is waited for.
        await events.consume((batch) => {
          if (onBatch(batch)) return true;
          sink.flush();
          return false;
        });
      } else {
        // An iterator yields the events of one read in one tick: they leave together at its end.
        const flushSoon = tickFlusher(sink);
        for await (const item of events) {
          if (onBatch(Array.isArray(item) ? item : [item as StreamEvent])) break;
          flushSoon();
        }
      }
      if (summary) return summary;
      throw new UpstreamFailure('Interrupted', 'stream ended without a final event');
    } catch (err) {
      attempt.clearTimer();
      if (ctx.caller.gone) {
        deps.breakers.release(endpoint);
        // The caller went away: charge what was reserved, since the provider may have generated it.
        finish(deps, ctx, a, c, undefined, fallbacks, firstToken);
        m.request('cancelled');
        return { provider: c.provider.name, model: c.model, outcome: 'cancelled', fallbacks };
      }
      if (err instanceof RouterError) throw err;
      const f: FailureClass = attempt.timedOut && !firstToken ? 'Timeout' : err instanceof UpstreamFailure ? err.failure : 'Unavailable';
      const message = attempt.timedOut && !firstToken ? `no first token within ${lane.fallback.firstTokenTimeoutMs} ms` : (err as Error).message;
      countOutcome(deps.breakers, endpoint, f, sent);
      if (f === 'ClientError' && (err as UpstreamFailure).status === 401) deps.resolver.invalidate(c.provider);
      if (firstToken) {
        // Tokens already reached the caller: switching provider now would splice two answers.
        finish(deps, ctx, a, c, undefined, fallbacks, true);
        sink.fail(upstreamError(c.provider.name, `the provider failed mid-answer: ${message}`, 502, 'upstream_interrupted'));
        m.request('interrupted');
        return { provider: c.provider.name, model: c.model, outcome: 'interrupted', fallbacks, ttftMs };
      }
      if (mayFallBack(lane, f) && i < a.candidates.length - 1) {
        moveOn(f, message);
        continue;
      }
      failures.push(describeFailure(c.provider, f, message));
      finish(deps, ctx, a, undefined, undefined, fallbacks);
      m.request('upstream_error');
      const status = (err as UpstreamFailure).status;
      throw upstreamError(c.provider.name, failures.join('; '), f === 'ClientError' && status ? status : STATUS_FOR[f] ?? 502, f === 'ClientError' ? 'upstream_rejected' : 'upstream_unavailable');
    } finally {
      ctx.caller.onGone(undefined);
    }
  }
  finish(deps, ctx, a, undefined, undefined, fallbacks);
  deps.metrics.requests.inc({ lane: lane.name, provider: '', model: '', outcome: 'upstream_error' });
  const scope = lane.allowCloud ? '' : `lane ${lane.name} is private, so no cloud provider is tried; `;
  throw new RouterError('upstream', 503, 'no_provider_available', `${scope}no provider could answer: ${failures.join('; ')}`);
}

/** Flushes the sink at the end of the current tick, once however often it is asked to in that tick. */
function tickFlusher(sink: ChatSink): () => void {
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    sink.flush();
  };
  return () => {
    if (scheduled) return;
    scheduled = true;
    process.nextTick(flush);
  };
}

/** Whether an answer hands its batches over synchronously (providers/types.ts PushedEvents). */
function offersPush(events: AsyncIterable<StreamItem>): events is AsyncIterable<StreamItem> & PushedEvents {
  return typeof (events as Partial<PushedEvents>).consume === 'function';
}

/** Embeddings: the same policy, budget and fallback, without streaming. */
export async function dispatchEmbed(deps: DispatchDeps, ctx: CallContext, req: EmbedRequest): Promise<{ result: EmbedResult; model: string; summary: CallSummary }> {
  const a = admit(deps, ctx, req);
  try {
    return await embedAttempts(deps, ctx, req, a);
  } finally {
    if (!a.reservation.settled) finish(deps, ctx, a, undefined, undefined, 0);
  }
}

async function embedAttempts(deps: DispatchDeps, ctx: CallContext, req: EmbedRequest, a: Admitted): Promise<{ result: EmbedResult; model: string; summary: CallSummary }> {
  const t0 = performance.now();
  const failures: string[] = [];
  let fallbacks = 0;
  const lane = ctx.lane;
  for (let i = 0; i < a.candidates.length; i++) {
    const c = a.candidates[i];
    const m = deps.metrics.target(lane.name, c.provider.name, c.model);
    const endpoint = deps.resolver.endpointOf(c.provider);
    const adapter = (deps.adapters ?? ADAPTERS)[c.provider.type];
    if (!adapter.embed || !deps.breakers.tryAcquire(endpoint)) {
      failures.push(`${c.provider.name}: ${adapter.embed ? 'circuit breaker open' : 'no embeddings API'}`);
      continue;
    }
    guardLocality(lane, c.provider);
    const attempt = startAttempt(ctx.caller, lane.fallback.firstTokenTimeoutMs);
    let sent = false;
    try {
      const target = await deps.resolver.resolve(c.provider, c.model);
      sent = true;
      const result = await adapter.embed(req, target, attempt.signal);
      deps.breakers.success(endpoint);
      const cost = finish(deps, ctx, a, c, result.usage, fallbacks);
      m.request('success');
      m.duration.observe((performance.now() - t0) / 1000);
      return { result, model: c.model, summary: { provider: c.provider.name, model: c.model, outcome: 'success', usage: result.usage, costUSD: cost, fallbacks } };
    } catch (err) {
      if (err instanceof RouterError) throw err;
      const f: FailureClass = attempt.timedOut ? 'Timeout' : err instanceof UpstreamFailure ? err.failure : 'Unavailable';
      const message = attempt.timedOut ? `no answer within ${lane.fallback.firstTokenTimeoutMs} ms` : (err as Error).message;
      countOutcome(deps.breakers, endpoint, f, sent);
      failures.push(describeFailure(c.provider, f, message));
      if (mayFallBack(lane, f) && i < a.candidates.length - 1) {
        fallbacks++;
        deps.metrics.fallbacks.inc({ lane: lane.name, provider: c.provider.name, reason: f });
        continue;
      }
      finish(deps, ctx, a, undefined, undefined, fallbacks);
      m.request('upstream_error');
      throw upstreamError(c.provider.name, failures.join('; '), STATUS_FOR[f] ?? 502, 'upstream_unavailable');
    } finally {
      attempt.clearTimer();
      ctx.caller.onGone(undefined);
    }
  }
  finish(deps, ctx, a, undefined, undefined, fallbacks);
  throw new RouterError('upstream', 503, 'no_provider_available', `no provider could answer: ${failures.join('; ')}`);
}

/**
 * One provider attempt: its signal aborts when the caller goes away or when nothing has arrived
 * within `timeoutMs` (the caller clears the timer once the first token or the answer is in).
 * A plain object rather than an AbortController: adapters need only aborted and the abort listeners.
 */
class Attempt implements AttemptSignal {
  aborted = false;
  timedOut = false;
  private listeners: (() => void)[] = [];
  private readonly timer: NodeJS.Timeout;

  constructor(caller: Caller, timeoutMs: number) {
    caller.onGone(() => this.abort());
    this.timer = setTimeout(() => {
      this.timedOut = true;
      this.abort();
    }, timeoutMs);
  }

  get signal(): AttemptSignal {
    return this;
  }

  addEventListener(_type: 'abort', listener: () => void): void {
    if (!this.aborted) this.listeners.push(listener);
  }

  removeEventListener(_type: 'abort', listener: () => void): void {
    const i = this.listeners.indexOf(listener);
    if (i !== -1) this.listeners.splice(i, 1);
  }

  clearTimer(): void {
    clearTimeout(this.timer);
  }

  private abort(): void {
    if (this.aborted) return;
    this.aborted = true;
    const ls = this.listeners;
    this.listeners = [];
    for (const l of ls) l();
  }
}

function startAttempt(caller: Caller, timeoutMs: number): Attempt {
  return new Attempt(caller, timeoutMs);
}
