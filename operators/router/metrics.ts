import prom from 'prom-client';

/**
 * Router metrics. Labels are bounded by the LanePolicy specs (lane, provider, provider model);
 * run ids and caller-supplied model names never become label values.
 */
export class RouterMetrics {
  readonly registry = new prom.Registry();
  readonly tokens = new prom.Counter({ name: 'agentlab_llm_tokens_total', help: 'Tokens processed, by direction (input = prompt, output = completion).', labelNames: ['lane', 'provider', 'model', 'direction'], registers: [this.registry] });
  readonly cost = new prom.Counter({ name: 'agentlab_llm_cost_usd_total', help: 'Cost in US dollars at the lane\'s prices.', labelNames: ['lane', 'provider', 'model'], registers: [this.registry] });
  readonly requests = new prom.Counter({
    name: 'agentlab_llm_requests_total',
    help: 'Requests by outcome: success, upstream_error, interrupted, budget, policy, auth, validation, cancelled.',
    labelNames: ['lane', 'provider', 'model', 'outcome'],
    registers: [this.registry],
  });
  readonly fallbacks = new prom.Counter({ name: 'agentlab_llm_fallbacks_total', help: 'Times a request moved on from a provider before its first token, by the failure class.', labelNames: ['lane', 'provider', 'reason'], registers: [this.registry] });
  readonly duration = new prom.Histogram({
    name: 'agentlab_llm_request_duration_seconds',
    help: 'Time from request to the last byte of the answer.',
    labelNames: ['lane', 'provider', 'model'],
    buckets: [0.005, 0.025, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
    registers: [this.registry],
  });
  readonly ttft = new prom.Histogram({
    name: 'agentlab_llm_time_to_first_token_seconds',
    help: 'Time from request to the first token streamed to the caller.',
    labelNames: ['lane', 'provider', 'model'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  readonly breakerOpen = new prom.Gauge({ name: 'agentlab_llm_circuit_open', help: '1 while a provider\'s circuit breaker is open.', labelNames: ['lane', 'provider'], registers: [this.registry] });
  readonly usageFlushes = new prom.Counter({ name: 'agentlab_llm_usage_flushes_total', help: 'Writes of lane usage to its ConfigMap, by result.', labelNames: ['result'], registers: [this.registry] });
}
