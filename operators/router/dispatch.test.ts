import { describe, it, expect } from 'vitest';
import pino from 'pino';
import type { LaneProvider, LaneSpec, ProviderType } from '../model/lanes/spec.js';
import { periodStart } from '../model/lanes/period.js';
import { UsageAccounting, laneKey, runKey } from './accounting.js';
import { CircuitBreakers } from './breaker.js';
import type { ChatRequest, StreamEvent } from './canonical.js';
import type { ChatSink } from './dialects/common.js';
import { dispatchChat, type DispatchDeps } from './dispatch.js';
import { RouterError } from './errors.js';
import { RouterMetrics } from './metrics.js';
import { UpstreamFailure, type FailureClass } from './providers/http.js';
import type { ProviderAdapter } from './providers/types.js';
import { TargetResolver } from './targets.js';
import type { Identity } from './tokens.js';

/** What a scripted provider does: fail before answering, or stream these steps. */
type Script = { fail: FailureClass; status?: number } | { delayMs: number } | (string | { die: true })[];

const provider = (name: string, type: ProviderType, locality: 'local' | 'cloud'): LaneProvider => ({ name, type, locality, baseURL: `http://${name}.invalid`, models: { chat: `${name}-model` } });
const local = provider('local', 'ollama', 'local');
const cloud = provider('cloud', 'anthropic', 'cloud');

function lane(providers: LaneProvider[], over: Partial<LaneSpec> = {}): LaneSpec {
  return {
    name: 'lane', namespaceSelector: {}, allowCloud: true, providers,
    fallback: { on: ['Unavailable', 'ServerError', 'Timeout'], maxAttempts: 3, firstTokenTimeoutMs: 1000 },
    budget: { period: 'Monthly', warnAtPercent: 80, onExceeded: 'Block', maxCostUSD: 10 },
    sensitiveData: 'LocalOnly', egress: { policy: 'DenyExternal', allowCIDRs: [] }, ...over,
  };
}

function setup(scripts: Record<string, Script[]>) {
  const calls: string[] = [];
  /** How each delayed call ended: its delay ran out ('answered') or it was aborted first. */
  const delayed: string[] = [];
  const adapter: ProviderAdapter = {
    async chat(_req, t, signal) {
      const name = new URL(t.baseURL).hostname.split('.')[0];
      calls.push(name);
      const script = scripts[name].shift()!;
      if (!Array.isArray(script) && 'fail' in script) throw new UpstreamFailure(script.fail, `scripted ${script.fail}`, script.status);
      if (!Array.isArray(script)) {
        await new Promise((resolve, reject) => {
          const timer = setTimeout(() => {
            delayed.push(`${name}: answered`);
            resolve(undefined);
          }, script.delayMs);
          signal.addEventListener('abort', () => {
            clearTimeout(timer);
            delayed.push(`${name}: aborted`);
            reject(new Error('aborted'));
          });
        });
        return (async function* (): AsyncGenerator<StreamEvent> {
          yield { type: 'delta', text: 'late' };
          yield { type: 'done', usage: { inputTokens: 1, outputTokens: 1 }, finishReason: 'stop' };
        })();
      }
      return (async function* (): AsyncGenerator<StreamEvent> {
        for (const step of script) {
          if (typeof step === 'string') yield { type: 'delta', text: step };
          else throw new UpstreamFailure('Interrupted', 'connection reset mid-answer');
        }
        yield { type: 'done', usage: { inputTokens: 10, outputTokens: script.length }, finishReason: 'stop' };
      })();
    },
  };
  const log = pino({ level: 'silent' });
  const metrics = new RouterMetrics();
  const deps: DispatchDeps = {
    accounting: new UsageAccounting(undefined as never, log, metrics, { namespace: 'ns', flushIntervalMs: 1000, laneUid: () => undefined }),
    breakers: new CircuitBreakers({ threshold: 2, openMs: 60_000 }),
    resolver: new TargetResolver(undefined as never, undefined as never, () => undefined, undefined as never),
    metrics,
    log,
    defaultMaxTokens: 100,
    adapters: { ollama: adapter, anthropic: adapter, openai: adapter, gemini: adapter, 'openai-compatible': adapter },
  };
  return { deps, calls, delayed };
}

/** Records the answer; `writes` holds what each flush() sent (the text written since the one before). */
function recordingSink() {
  const out = { text: '', started: false, done: false, error: undefined as RouterError | undefined, writes: [] as string[] };
  let pending = '';
  const sink: ChatSink = {
    start: () => void (out.started = true),
    delta: (t) => {
      out.text += t;
      pending += t;
    },
    toolCall: () => undefined,
    flush: () => {
      if (pending) out.writes.push(pending);
      pending = '';
    },
    done: () => void (out.done = true),
    fail: (e) => void (out.error = e),
  };
  return { sink, out };
}

const identity: Identity = { namespace: 'ns', kind: 'AgentRun', run: 'run', secret: 's', revoked: false, sensitive: false };
const req: ChatRequest = { kind: 'chat', model: 'chat', messages: [{ role: 'user', content: 'hi' }], stream: true };
const ctx = (l: LaneSpec) => ({ lane: l, identity, requestId: 'r', sensitive: false, caller: { gone: false, onGone: () => undefined } });
const reserved = (deps: DispatchDeps) => deps.accounting.ledger.used(laneKey('lane', periodStart('Monthly', new Date())));

describe('dispatchChat', () => {
  it('falls back on an allowed class before the first token', async () => {
    const { deps, calls } = setup({ local: [{ fail: 'ServerError', status: 503 }], cloud: [['a', 'b']] });
    const { sink, out } = recordingSink();
    const s = await dispatchChat(deps, ctx(lane([local, cloud])), req, sink);
    expect(calls).toEqual(['local', 'cloud']);
    expect(s).toMatchObject({ provider: 'cloud', outcome: 'success', fallbacks: 1 });
    expect(out).toMatchObject({ text: 'ab', done: true });
  });

  it('never switches provider after the first token', async () => {
    const { deps, calls } = setup({ local: [['a', { die: true }]], cloud: [['x']] });
    const { sink, out } = recordingSink();
    const s = await dispatchChat(deps, ctx(lane([local, cloud])), req, sink);
    expect(calls).toEqual(['local']);
    expect(s.outcome).toBe('interrupted');
    expect(out.text).toBe('a');
    expect(out.error).toMatchObject({ category: 'upstream', code: 'upstream_interrupted', provider: 'local' });
    // An interrupted answer is charged its whole reservation: the provider may have generated it.
    expect(reserved(deps).tokens).toBeGreaterThan(100);
  });

  it.each([
    ['a client error', { fail: 'ClientError' as const, status: 400 }, 400],
    ['a class the lane does not fall back on', { fail: 'RateLimited' as const, status: 429 }, 429],
  ])('does not fall back on %s', async (_what, failure, status) => {
    const { deps, calls } = setup({ local: [failure], cloud: [['x']] });
    const { sink } = recordingSink();
    const err = await dispatchChat(deps, ctx(lane([local, cloud])), req, sink).catch((e: unknown) => e);
    expect(calls).toEqual(['local']);
    expect(err).toMatchObject({ category: 'upstream', status });
    expect(reserved(deps)).toEqual({ tokens: 0, costUSD: 0 });
  });

  it('falls back when no first token comes in time', async () => {
    const { deps, calls } = setup({ local: [{ delayMs: 500 }], cloud: [['x']] });
    const { sink, out } = recordingSink();
    const l = lane([local, cloud], { fallback: { on: ['Timeout'], maxAttempts: 2, firstTokenTimeoutMs: 20 } });
    const s = await dispatchChat(deps, ctx(l), req, sink);
    expect(calls).toEqual(['local', 'cloud']);
    expect(s.provider).toBe('cloud');
    expect(out.text).toBe('x');
  });

  it('stops the attempt and tries no other provider when the caller goes away', async () => {
    const { deps, calls, delayed } = setup({ local: [{ delayMs: 5000 }], cloud: [['x']] });
    const { sink, out } = recordingSink();
    let gone = false;
    let onGone: (() => void) | undefined;
    const caller = {
      get gone() {
        return gone;
      },
      onGone: (fn: (() => void) | undefined) => void (onGone = fn),
    };
    setTimeout(() => {
      gone = true;
      onGone?.();
    }, 20);
    const s = await dispatchChat(deps, { ...ctx(lane([local, cloud])), caller }, req, sink);
    // The attempt was stopped, not waited out (an order, not a time).
    expect(delayed).toEqual(['local: aborted']);
    expect(s).toMatchObject({ provider: 'local', outcome: 'cancelled' });
    expect(calls).toEqual(['local']);
    expect(out).toMatchObject({ started: false, text: '' });
    expect(reserved(deps)).toEqual({ tokens: 0, costUSD: 0 });
  });

  it('never calls a cloud provider for a private lane, even one smuggled past the parser', async () => {
    const { deps, calls } = setup({ local: [{ fail: 'Unavailable' }], cloud: [['leak']] });
    const { sink } = recordingSink();
    const err = await dispatchChat(deps, ctx(lane([local, cloud], { allowCloud: false })), req, sink).catch((e: unknown) => e);
    expect(calls).toEqual(['local']);
    expect(err).toMatchObject({ category: 'upstream', status: 503 });
  });

  it('skips a provider whose circuit is open', async () => {
    const { deps, calls } = setup({ local: [{ fail: 'Unavailable' }, { fail: 'Unavailable' }], cloud: [['1'], ['2'], ['3']] });
    for (let i = 0; i < 3; i++) await dispatchChat(deps, ctx(lane([local, cloud])), req, recordingSink().sink);
    expect(calls).toEqual(['local', 'cloud', 'local', 'cloud', 'cloud']);
  });

  it('does not count a ModelServer still pulling the model against its circuit breaker (nothing was sent)', async () => {
    const { deps, calls } = setup({});
    const ms = {
      apiVersion: 'agentlab.dev/v1alpha1', kind: 'ModelServer', metadata: { name: 'ms', namespace: 'ns' },
      spec: { runtime: 'ollama', models: [{ name: 'ready:1b' }, { name: 'big:70b' }] },
      status: { models: [{ name: 'ready:1b', present: true }, { name: 'big:70b', present: false, message: 'pulling 12%' }] },
    };
    deps.resolver = new TargetResolver(undefined as never, undefined as never, () => ms as never, undefined as never);
    const pulling: LaneProvider = { name: 'local', type: 'ollama', locality: 'local', modelServerRef: { namespace: 'ns', name: 'ms' }, models: { chat: 'big:70b' } };
    // More requests than the breaker's threshold (2 here), all while the model is being pulled.
    for (let i = 0; i < 3; i++) {
      const err = await dispatchChat(deps, ctx(lane([pulling])), req, recordingSink().sink).catch((e: unknown) => e);
      expect(err).toMatchObject({ category: 'upstream', status: 503, message: expect.stringContaining('has not pulled model big:70b yet') });
    }
    expect(calls).toEqual([]);
    // The server itself was never asked: its other models (and this one once pulled) stay reachable.
    expect(deps.breakers.state(deps.resolver.endpointOf(pulling))).toBe('closed');
  });

  it('refuses before dispatch when the budget cannot cover the worst case', async () => {
    const { deps, calls } = setup({ local: [['x']] });
    const priced = { ...local, price: { input: 1_000_000, output: 1_000_000 } };
    const err = await dispatchChat(deps, ctx(lane([priced])), req, recordingSink().sink).catch((e: unknown) => e);
    expect(err).toMatchObject({ category: 'budget', status: 429 });
    expect(calls).toEqual([]);
  });

  it('holds a run to its token Secret\'s max-tokens under concurrent requests: 429 run_token_limit naming the limit', async () => {
    const { deps, calls } = setup({ local: Array.from({ length: 10 }, () => ['x']) });
    const limited: Identity = { ...identity, run: 'limited', secret: 'limited-router-token', maxTokens: 250 };
    // Each request reserves its prompt bound (6) + max_tokens 100: two fit in 250, the third does not.
    const results = await Promise.allSettled(Array.from({ length: 5 }, () => dispatchChat(deps, { ...ctx(lane([local])), identity: limited }, req, recordingSink().sink)));
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(2);
    expect(calls).toHaveLength(2);
    expect(refused).toHaveLength(3);
    expect(refused[0].reason).toMatchObject({ category: 'budget', status: 429, code: 'run_token_limit' });
    expect((refused[0].reason as Error).message).toBe('run ns/limited token budget exhausted: 212 of 250 used or reserved, this request needs up to 106 (limit 250 tokens from agentlab.dev/max-tokens on Secret ns/limited-router-token, the run\'s limits.maxTokens)');
    expect(deps.accounting.ledger.used(runKey('ns', 'AgentRun', 'limited')).tokens).toBeLessThanOrEqual(250);
  });

  it('names the lane\'s maxTokensPerRun when that is the smaller limit', async () => {
    const { deps } = setup({ local: [['x']] });
    const l = lane([local], { budget: { period: 'Monthly', warnAtPercent: 80, onExceeded: 'Block', maxTokensPerRun: 50 } });
    const err = await dispatchChat(deps, { ...ctx(l), identity: { ...identity, maxTokens: 1000 } }, req, recordingSink().sink).catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 429, code: 'run_token_limit' });
    expect((err as Error).message).toMatch(/\(limit 50 tokens from LanePolicy lane spec\.budget\.maxTokensPerRun\)$/);
  });

  it('charges an answer cut off mid-stream to the run as its whole reservation, so the limit still holds after a write', async () => {
    const { deps } = setup({ local: [['a', { die: true }], ['b', 'c']] });
    const recorded: unknown[] = [];
    const recordRun = deps.accounting.recordRun.bind(deps.accounting);
    deps.accounting.recordRun = (ns, kind, run, d) => {
      recorded.push({ ns, run, ...d });
      recordRun(ns, kind, run, d);
    };
    await dispatchChat(deps, ctx(lane([local])), req, recordingSink().sink);
    await dispatchChat(deps, ctx(lane([local])), req, recordingSink().sink);
    expect(recorded).toEqual([
      // What is written to the run's usage ConfigMap is what the ledger charged: the reservation (6 + 100).
      { ns: 'ns', run: 'run', costUSD: 0, promptTokens: 0, completionTokens: 106, requests: 1, fallbacks: 0 },
      { ns: 'ns', run: 'run', costUSD: 0, promptTokens: 10, completionTokens: 2, requests: 1, fallbacks: 0, provider: 'local', model: 'local-model' },
    ]);
    expect(deps.accounting.ledger.used(runKey('ns', 'AgentRun', 'run')).tokens).toBe(118);
  });

  it('flushes the sink after each batch a pushed answer hands over, and at the end of the tick for an iterator', async () => {
    const { deps } = setup({});
    const delta = (text: string): StreamEvent => ({ type: 'delta', text });
    const end: StreamEvent = { type: 'done', usage: { inputTokens: 1, outputTokens: 4 }, finishReason: 'stop' };
    // A pushed answer (providers/types.ts PushedEvents): two upstream reads, then the end.
    const pushed: ProviderAdapter = {
      async chat() {
        return {
          consume: async (onBatch: (b: StreamEvent[]) => boolean) => {
            for (const b of [[delta('a'), delta('b')], [delta('c')], [delta('d'), end]]) if (onBatch(b)) return;
          },
          [Symbol.asyncIterator]: () => { throw new Error('the dispatcher must consume a pushed answer'); },
        } as never;
      },
    };
    const p = await runWith(deps, pushed);
    expect(p.out).toMatchObject({ text: 'abcd', done: true, writes: ['ab', 'c'] });
    // An iterator yielding single events: those of one tick leave together.
    const iterated: ProviderAdapter = {
      async chat() {
        return (async function* () {
          yield delta('a');
          yield delta('b');
          await new Promise((r) => setImmediate(r));
          yield delta('c');
          await new Promise((r) => setImmediate(r));
          yield end;
        })();
      },
    };
    const i = await runWith(deps, iterated);
    expect(i.out).toMatchObject({ text: 'abc', done: true, writes: ['ab', 'c'] });
  });
});

async function runWith(deps: DispatchDeps, adapter: ProviderAdapter) {
  const { sink, out } = recordingSink();
  const summary = await dispatchChat({ ...deps, adapters: { ...deps.adapters!, ollama: adapter } }, ctx(lane([local])), req, sink);
  return { summary, out };
}
