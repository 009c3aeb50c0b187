import { APICallError } from 'ai';
import { MockLanguageModelV3 } from 'ai/test';
import { describe, expect, it } from 'vitest';
import { runAgentLoop, type AgentLoopOptions, type LoopTools } from './loop.js';
import type { RunnerEvent } from './output.js';
import { ToolRegistry } from './tools/registry.js';

type DoStream = MockLanguageModelV3['doStream'];
type CallOptions = Parameters<DoStream>[0];
type StreamPart = Awaited<ReturnType<DoStream>>['stream'] extends ReadableStream<infer P> ? P : never;

/** One scripted model answer: text and/or tool calls (raw JSON argument text), with usage. */
interface Turn {
  text?: string;
  calls?: { name: string; input: string }[];
  tokens?: number;
  /** Never answers: waits until the call is aborted. */
  hang?: true;
  /** Fails the call with this API error. */
  error?: APICallError;
}

function scriptedModel(turns: Turn[]) {
  const calls: CallOptions[] = [];
  const model = new MockLanguageModelV3({
    doStream: async (options) => {
      calls.push(options);
      const turn = turns[calls.length - 1] ?? { text: 'out of script' };
      if (turn.error) throw turn.error;
      if (turn.hang) {
        await new Promise<void>((_, reject) => {
          const fail = () => reject(Object.assign(new Error('This operation was aborted'), { name: 'AbortError' }));
          if (options.abortSignal?.aborted) fail();
          options.abortSignal?.addEventListener('abort', fail, { once: true });
        });
      }
      const parts: StreamPart[] = [{ type: 'stream-start', warnings: [] }];
      if (turn.text) parts.push({ type: 'text-start', id: 't' }, { type: 'text-delta', id: 't', delta: turn.text }, { type: 'text-end', id: 't' });
      for (const [i, c] of (turn.calls ?? []).entries()) parts.push({ type: 'tool-call', toolCallId: `call_${calls.length}_${i}`, toolName: c.name, input: c.input });
      const half = Math.floor((turn.tokens ?? 10) / 2);
      parts.push({
        type: 'finish',
        finishReason: { unified: turn.calls?.length ? 'tool-calls' : 'stop', raw: turn.calls?.length ? 'tool_calls' : 'stop' },
        usage: { inputTokens: { total: half, noCache: half, cacheRead: undefined, cacheWrite: undefined }, outputTokens: { total: (turn.tokens ?? 10) - half, text: undefined, reasoning: undefined } },
      });
      return { stream: new ReadableStream<StreamPart>({ start(c) { for (const p of parts) c.enqueue(p); c.close(); } }) };
    },
  });
  return { model, calls };
}

/** A registry with one real-shaped tool: echo {text} (the registry validates arguments). */
function echoTools(): LoopTools & { ran: unknown[] } {
  const ran: unknown[] = [];
  const registry = new ToolRegistry([{
    definition: { name: 'echo', description: 'Echo text', parameters: { type: 'object', properties: { text: { type: 'string', maxLength: 100 } }, required: ['text'] } },
    run: async (a) => {
      ran.push(a);
      return { echoed: a.text };
    },
  }]);
  return { definitions: () => registry.definitions(), call: (n, a) => registry.call(n, a), ran };
}

async function run(turns: Turn[], opts: Partial<AgentLoopOptions> = {}) {
  const { model, calls } = scriptedModel(turns);
  const events: RunnerEvent[] = [];
  const tools = echoTools();
  const result = await runAgentLoop({
    model,
    tools,
    systemPrompt: 'system',
    task: 'do it',
    limits: { maxTurns: 10, maxTokens: 100_000, timeoutMs: 10_000 },
    emit: (e) => events.push(e),
    ...opts,
  });
  return { result, events, calls, tools };
}

/** The tool messages the model received in a call, as text. */
function toolMessages(call: CallOptions): string {
  return JSON.stringify(call.prompt.filter((m) => m.role === 'tool'));
}

describe('runAgentLoop', () => {
  it('ends Succeeded when the model answers without tools', async () => {
    const { result, events, calls } = await run([{ text: 'All good.' }]);
    expect(result).toEqual({ outcome: 'Succeeded', reason: 'Completed', message: expect.any(String), result: 'All good.', turns: 1, toolCalls: 0, toolErrors: 0 });
    expect(events).toEqual([{ type: 'assistant', turn: 1, text: 'All good.' }]);
    expect(calls[0].prompt[0]).toEqual({ role: 'system', content: 'system' });
    expect(calls[0].tools?.map((t) => t.name)).toEqual(['echo']);
  });

  it('runs a tool call through the registry and sends the result back', async () => {
    const { result, events, calls, tools } = await run([{ text: 'Let me check.', calls: [{ name: 'echo', input: '{"text":"hi"}' }] }, { text: 'It said hi.' }]);
    expect(tools.ran).toEqual([{ text: 'hi' }]);
    expect(result).toMatchObject({ outcome: 'Succeeded', result: 'It said hi.', turns: 2, toolCalls: 1, toolErrors: 0 });
    expect(events.map((e) => e.type)).toEqual(['assistant', 'tool_call', 'tool_result', 'assistant']);
    expect(events[1]).toEqual({ type: 'tool_call', turn: 1, id: 'call_1_0', name: 'echo', args: '{"text":"hi"}' });
    expect(events[2]).toEqual({ type: 'tool_result', turn: 1, id: 'call_1_0', name: 'echo', ok: true, output: '{"echoed":"hi"}' });
    expect(toolMessages(calls[1])).toContain('echoed');
  });

  it.each([
    ['arguments failing the schema', '{"text":42}', 'InvalidArguments', 'text'],
    ['unknown arguments', '{"text":"a","extra":1}', 'InvalidArguments', 'extra: unknown argument'],
    ['arguments that are not JSON', '{"text": nope', 'InvalidArguments', ''],
  ])('answers %s to the model as an error, then recovers', async (_label, input, code, inMessage) => {
    const { result, events, calls, tools } = await run([{ calls: [{ name: 'echo', input }] }, { calls: [{ name: 'echo', input: '{"text":"ok"}' }] }, { text: 'Recovered.' }]);
    expect(tools.ran).toEqual([{ text: 'ok' }]);
    const failed = events.find((e) => e.type === 'tool_result' && !e.ok) as Extract<RunnerEvent, { type: 'tool_result' }>;
    expect(failed.error?.code).toBe(code);
    expect(failed.error?.message).toContain(inMessage);
    expect(toolMessages(calls[1])).toContain(code === 'InvalidArguments' && inMessage ? inMessage : 'echo');
    expect(result).toMatchObject({ outcome: 'Succeeded', result: 'Recovered.', turns: 3, toolCalls: 2, toolErrors: 1 });
  });

  it('answers a call of a tool the run does not have as UnknownTool', async () => {
    const { result, events, calls } = await run([{ calls: [{ name: 'rm_rf', input: '{}' }] }, { text: 'Fine.' }]);
    expect(events[1]).toMatchObject({ type: 'tool_result', name: 'rm_rf', ok: false, error: { code: 'UnknownTool' } });
    expect(toolMessages(calls[1])).toContain('rm_rf');
    expect(result).toMatchObject({ outcome: 'Succeeded', toolCalls: 1, toolErrors: 1 });
  });

  it('stops at maxTurns when the model keeps calling tools', async () => {
    const loop = Array.from({ length: 5 }, () => ({ text: 'again', calls: [{ name: 'echo', input: '{"text":"x"}' }] }));
    const { result, calls } = await run(loop, { limits: { maxTurns: 3, maxTokens: 100_000, timeoutMs: 10_000 } });
    expect(calls).toHaveLength(3);
    expect(result).toMatchObject({ outcome: 'LimitExceeded', reason: 'MaxTurns', turns: 3, toolCalls: 3, result: 'again' });
  });

  it('stops when the usage reported reaches maxTokens', async () => {
    const loop = Array.from({ length: 5 }, () => ({ calls: [{ name: 'echo', input: '{"text":"x"}' }], tokens: 40 }));
    const { result, calls } = await run(loop, { limits: { maxTurns: 10, maxTokens: 100, timeoutMs: 10_000 } });
    expect(calls).toHaveLength(3); // 40, 80, 120 >= 100
    expect(result).toMatchObject({ outcome: 'LimitExceeded', reason: 'MaxTokens', message: 'the run used 120 tokens, its limit is 100', turns: 3 });
  });

  it('maps the router refusing the run token limit (429) to MaxTokens', async () => {
    const body = { error: { message: 'run ns/r1 token budget exhausted: 900 of 1000 used or reserved, this request needs up to 1200 [request abc]', type: 'insufficient_quota', code: 'run_token_limit', category: 'budget' } };
    const error = new APICallError({ message: body.error.message, url: 'http://router/v1/chat/completions', requestBodyValues: {}, statusCode: 429, responseBody: JSON.stringify(body), isRetryable: true });
    const { result, calls } = await run([{ calls: [{ name: 'echo', input: '{"text":"x"}' }] }, { error }]);
    expect(calls).toHaveLength(2); // not retried
    expect(result).toMatchObject({ outcome: 'LimitExceeded', reason: 'MaxTokens', turns: 2, toolCalls: 1 });
    expect(result.message).toContain('token budget exhausted');
  });

  it("maps the router's 429 for the lane's budget to Failed BudgetExceeded", async () => {
    const body = { error: { message: 'lane personal cost budget exhausted', type: 'insufficient_quota', code: 'budget_exceeded', category: 'budget' } };
    const error = new APICallError({ message: body.error.message, url: 'http://router/v1/chat/completions', requestBodyValues: {}, statusCode: 429, responseBody: JSON.stringify(body) });
    const { result } = await run([{ error }]);
    expect(result).toMatchObject({ outcome: 'Failed', reason: 'BudgetExceeded', turns: 1 });
  });

  it('maps other API errors to Failed ModelError', async () => {
    const error = new APICallError({ message: 'no provider could answer', url: 'http://router/v1/chat/completions', requestBodyValues: {}, statusCode: 503, responseBody: '{"error":{"message":"no provider could answer","code":"upstream_error","category":"upstream"}}' });
    const { result } = await run([{ error }]);
    expect(result).toMatchObject({ outcome: 'Failed', reason: 'ModelError', message: 'model call failed (HTTP 503): no provider could answer' });
  });

  it('ends with Timeout when the run outlives its limit', async () => {
    const { result } = await run([{ calls: [{ name: 'echo', input: '{"text":"x"}' }] }, { hang: true }], { limits: { maxTurns: 10, maxTokens: 1000, timeoutMs: 150 } });
    expect(result).toMatchObject({ outcome: 'LimitExceeded', reason: 'Timeout', turns: 2, toolCalls: 1 });
  });

  it('on cancel mid-call waits for the grace period, then aborts the call: Failed Cancelled', async () => {
    const cancel = new AbortController();
    setTimeout(() => cancel.abort(), 50);
    const started = Date.now();
    const { result, calls } = await run([{ hang: true }], { cancel: cancel.signal, cancelGraceMs: 100 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    expect(calls[0].abortSignal?.aborted).toBe(true);
    expect(result).toMatchObject({ outcome: 'Failed', reason: 'Cancelled', turns: 1 });
  });

  it('on cancel while a tool runs past the grace period, ends Cancelled without waiting for the tool', async () => {
    const cancel = new AbortController();
    const { model } = scriptedModel([{ calls: [{ name: 'stuck', input: '{}' }] }, { text: 'never' }]);
    const stuck: LoopTools = {
      definitions: () => [{ name: 'stuck', description: 'never returns', parameters: { type: 'object', properties: {} } }],
      call: () => {
        cancel.abort(); // SIGTERM arrives while the tool runs
        return new Promise(() => {});
      },
    };
    // The tool never returns, so any result means the loop did not wait for it; Cancelled (not
    // Timeout) that the grace period ended it, not the run's time limit (an order, not a time).
    const result = await runAgentLoop({ model, tools: stuck, systemPrompt: 's', task: 't', limits: { maxTurns: 10, maxTokens: 1000, timeoutMs: 10_000 }, cancel: cancel.signal, cancelGraceMs: 100, emit: () => {} });
    expect(result).toMatchObject({ outcome: 'Failed', reason: 'Cancelled', turns: 1, toolCalls: 1 });
  });

  it('on timeout while a tool runs, ends with Timeout without waiting for the tool', async () => {
    const { model } = scriptedModel([{ calls: [{ name: 'stuck', input: '{}' }] }]);
    const stuck: LoopTools = {
      definitions: () => [{ name: 'stuck', description: 'never returns', parameters: { type: 'object', properties: {} } }],
      call: () => new Promise(() => {}),
    };
    const result = await runAgentLoop({ model, tools: stuck, systemPrompt: 's', task: 't', limits: { maxTurns: 10, maxTokens: 1000, timeoutMs: 150 }, emit: () => {} });
    expect(result).toMatchObject({ outcome: 'LimitExceeded', reason: 'Timeout', turns: 1, toolCalls: 1 });
  });

  it('on cancel lets the current call finish, runs no tool it asked for and makes no further call', async () => {
    const cancel = new AbortController();
    const { model, calls } = scriptedModel([{ calls: [{ name: 'echo', input: '{"text":"x"}' }] }, { text: 'never' }]);
    const slow = new MockLanguageModelV3({
      doStream: async (options) => {
        cancel.abort(); // SIGTERM arrives while the model is answering
        return model.doStream(options);
      },
    });
    const tools = echoTools();
    const events: RunnerEvent[] = [];
    const result = await runAgentLoop({ model: slow, tools, systemPrompt: 's', task: 't', limits: { maxTurns: 10, maxTokens: 1000, timeoutMs: 10_000 }, cancel: cancel.signal, emit: (e) => events.push(e) });
    expect(calls).toHaveLength(1);
    expect(tools.ran).toEqual([]);
    expect(result).toMatchObject({ outcome: 'Failed', reason: 'Cancelled', turns: 1, toolCalls: 1, toolErrors: 1 });
  });
});
