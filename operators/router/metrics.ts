import prom from 'prom-client';

/** A counter increment or histogram observation kept in plain numbers until the next scrape. */
export interface PendingCounter { inc(n?: number): void }
export interface PendingHistogram { observe(v: number): void }

/**
 * Router metrics. Labels are bounded by the LanePolicy specs (lane, provider, provider model);
 * run ids and caller-supplied model names never become label values.
 */
export interface TargetMetrics {
  labels: { lane: string; provider: string; model: string };
  tokensIn: PendingCounter;
  tokensOut: PendingCounter;
  cost: PendingCounter;
  duration: PendingHistogram;
  ttft: PendingHistogram;
  request(outcome: string): void;
}

/** Observations are handed to prom-client at this many per series at the latest (memory bound without scrapes). */
const MAX_PENDING_OBSERVATIONS = 256;

class Sum implements PendingCounter {
  value = 0;
  constructor(private readonly child: () => prom.Counter.Internal) {}
  inc(n = 1): void {
    this.value += n;
  }
  drain(): void {
    if (this.value === 0) return;
    this.child().inc(this.value);
    this.value = 0;
  }
}

class Observations implements PendingHistogram {
  private values: number[] = [];
  private target?: prom.Histogram.Internal<string>;
  constructor(private readonly child: () => prom.Histogram.Internal<string>) {}
  observe(v: number): void {
    this.values.push(v);
    if (this.values.length >= MAX_PENDING_OBSERVATIONS) this.drain();
  }
  drain(): void {
    if (this.values.length === 0) return;
    this.target ??= this.child();
    for (const v of this.values) this.target.observe(v);
    this.values = [];
  }
}

interface Series extends TargetMetrics {
  tokensIn: Sum;
  tokensOut: Sum;
  cost: Sum;
  duration: Observations;
  ttft: Observations;
  outcomes: Map<string, Sum>;
}

export class RouterMetrics {
  readonly registry = new prom.Registry();
  private readonly children = new Map<string, Series>();
  // The per-request series are kept in plain numbers and handed to prom-client when it collects
  // (a scrape, or registry.metrics() in tests): prom-client validates and hashes the labels on
  // every labelled call, which was a measurable share of the router's per-request CPU.
  private readonly drain = (pick: (s: Series) => (Sum | Observations)[]) => () => {
    for (const s of this.children.values()) for (const x of pick(s)) x.drain();
  };
  readonly tokens = new prom.Counter({ name: 'agentlab_llm_tokens_total', help: 'Tokens processed, by direction (input = prompt, output = completion).', labelNames: ['lane', 'provider', 'model', 'direction'], registers: [this.registry], collect: this.drain((s) => [s.tokensIn, s.tokensOut]) });
  readonly cost = new prom.Counter({ name: 'agentlab_llm_cost_usd_total', help: 'Cost in US dollars at the lane\'s prices.', labelNames: ['lane', 'provider', 'model'], registers: [this.registry], collect: this.drain((s) => [s.cost]) });
  readonly requests = new prom.Counter({
    name: 'agentlab_llm_requests_total',
    help: 'Requests by outcome: success, upstream_error, interrupted, budget, policy, auth, validation, cancelled.',
    labelNames: ['lane', 'provider', 'model', 'outcome'],
    registers: [this.registry],
    collect: this.drain((s) => [...s.outcomes.values()]),
  });
  readonly fallbacks = new prom.Counter({ name: 'agentlab_llm_fallbacks_total', help: 'Times a request moved on from a provider before its first token, by the failure class.', labelNames: ['lane', 'provider', 'reason'], registers: [this.registry] });
  readonly duration = new prom.Histogram({
    name: 'agentlab_llm_request_duration_seconds',
    help: 'Time from request to the last byte of the answer.',
    labelNames: ['lane', 'provider', 'model'],
    buckets: [0.005, 0.025, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
    registers: [this.registry],
    collect: this.drain((s) => [s.duration]),
  });
  readonly ttft = new prom.Histogram({
    name: 'agentlab_llm_time_to_first_token_seconds',
    help: 'Time from request to the first token streamed to the caller.',
    labelNames: ['lane', 'provider', 'model'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
    collect: this.drain((s) => [s.ttft]),
  });
  readonly breakerOpen = new prom.Gauge({ name: 'agentlab_llm_circuit_open', help: '1 while a provider\'s circuit breaker is open.', labelNames: ['lane', 'provider'], registers: [this.registry] });

  /** The per-(lane, provider, model) series, resolved once. */
  target(lane: string, provider: string, model: string): TargetMetrics {
    const key = `${lane}\u0000${provider}\u0000${model}`;
    let t = this.children.get(key);
    if (!t) {
      const l = { lane, provider, model };
      const outcomes = new Map<string, Sum>();
      t = {
        labels: l,
        tokensIn: new Sum(() => this.tokens.labels({ ...l, direction: 'input' })),
        tokensOut: new Sum(() => this.tokens.labels({ ...l, direction: 'output' })),
        cost: new Sum(() => this.cost.labels(l)),
        duration: new Observations(() => this.duration.labels(l)),
        ttft: new Observations(() => this.ttft.labels(l)),
        outcomes,
        request: (outcome: string) => {
          let c = outcomes.get(outcome);
          if (!c) {
            c = new Sum(() => this.requests.labels({ ...l, outcome }));
            outcomes.set(outcome, c);
          }
          c.inc();
        },
      };
      this.children.set(key, t);
    }
    return t;
  }

  /** The http egress proxy: bounded labels (lane, kind http|connect, outcome), never a host name. */
  readonly egressRequests = new prom.Counter({
    name: 'agentlab_egress_requests_total',
    help: 'Requests through the http egress proxy by kind (http, connect) and outcome: allowed, truncated, upstream_error, auth, policy, method, host.',
    labelNames: ['lane', 'kind', 'outcome'],
    registers: [this.registry],
  });
  readonly egressBytes = new prom.Counter({ name: 'agentlab_egress_response_bytes_total', help: 'Bytes from destinations to agent pods through the egress proxy (http bodies after the cut; tunnel bytes for connect).', labelNames: ['lane', 'kind'], registers: [this.registry] });

  /** The agent github tool the router serves for pods: bounded labels (call kind, ok or the HTTP status), never a repository or run. */
  readonly githubToolRequests = new prom.Counter({
    name: 'agentlab_github_tool_requests_total',
    help: 'Requests of the agent github tool by call (issue, comments, comment, file, none) and outcome (ok, or the HTTP status answered).',
    labelNames: ['call', 'outcome'],
    registers: [this.registry],
  });

  /** Chat calls with an Idempotency-Key answered from an earlier call's outcome: joined while it ran, or replayed after. */
  readonly idempotentReplays = new prom.Counter({
    name: 'agentlab_router_idempotent_replays_total',
    help: 'Chat calls with an Idempotency-Key answered with the first call\'s stored response (no upstream call, no usage), by outcome: joined (the first was still running) or replayed (it had finished).',
    labelNames: ['outcome'],
    registers: [this.registry],
  });

  readonly usageFlushes = new prom.Counter({ name: 'agentlab_llm_usage_flushes_total', help: 'Writes of lane and run usage to their ConfigMaps, by result.', labelNames: ['result'], registers: [this.registry] });
}
