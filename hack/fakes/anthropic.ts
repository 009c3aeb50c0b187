// A local fake of the Anthropic Messages API (POST /v1/messages, JSON and SSE streaming).
// It records every request, so a test can prove that nothing from a private lane reached it.
import { contentText, fakeId, limitChunks, scriptedReply, splitIntoChunks, type ScriptRule } from './script.js';
import { estimateTokens, startFakeHttpServer, type FakeContext, type FakeServer, type Faults } from './server.js';

export interface FakeAnthropicOptions {
  host?: string;
  port?: number;
  /** The accepted x-api-key; when unset any non-empty key is accepted. */
  apiKey?: string;
  /** Models that exist (default: a current Claude line-up). */
  models?: string[];
  rules?: ScriptRule[];
  faults?: Faults;
}

export const DEFAULT_ANTHROPIC_MODELS = ['claude-opus-4-1', 'claude-sonnet-4-5', 'claude-haiku-4-5', 'claude-3-5-haiku-latest'];

const ERROR_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  529: 'overloaded_error',
};

export function anthropicError(status: number, message: string) {
  return { type: 'error', error: { type: ERROR_TYPES[status] ?? 'api_error', message } };
}

interface AnthropicBlock {
  type?: string;
  text?: string;
  name?: string;
  content?: unknown;
}

export async function startFakeAnthropic(opts: FakeAnthropicOptions = {}): Promise<FakeServer> {
  const models = new Set(opts.models ?? DEFAULT_ANTHROPIC_MODELS);
  let counter = 0;
  return startFakeHttpServer({
    host: opts.host,
    port: opts.port,
    faults: opts.faults,
    errorBody: anthropicError,
    async handle(ctx) {
      const { method, path, headers } = ctx.req;
      if (method !== 'POST' || path !== '/v1/messages') return ctx.error(404, `Not found: ${method} ${path}`);
      const key = headers['x-api-key'];
      if (typeof key !== 'string' || key === '' || (opts.apiKey !== undefined && key !== opts.apiKey)) {
        return ctx.error(401, 'invalid x-api-key');
      }
      if (!headers['anthropic-version']) return ctx.error(400, 'anthropic-version: header is required');
      if (ctx.req.jsonError !== undefined) return ctx.error(400, `Invalid JSON in request body: ${ctx.req.jsonError}`);
      const body = (ctx.req.json ?? {}) as Record<string, unknown>;
      const problem = validate(body);
      if (problem) return ctx.error(400, problem);
      const model = String(body.model);
      if (!models.has(model)) return ctx.error(404, `model: ${model}`);
      counter += 1;
      await respond(ctx, body, model, counter, opts.rules ?? []);
    },
  });
}

function validate(body: Record<string, unknown>): string | undefined {
  if (typeof body.model !== 'string' || body.model === '') return 'model: Field required';
  if (typeof body.max_tokens !== 'number' || body.max_tokens < 1) return 'max_tokens: Field required';
  if (!Array.isArray(body.messages) || body.messages.length === 0) return 'messages: at least one message is required';
  for (const [i, m] of (body.messages as { role?: unknown }[]).entries()) {
    if (m?.role !== 'user' && m?.role !== 'assistant') return `messages.${i}.role: Input should be 'user' or 'assistant'`;
  }
  return undefined;
}

async function respond(ctx: FakeContext, body: Record<string, unknown>, model: string, n: number, rules: ScriptRule[]): Promise<void> {
  const messages: { role: string; content: string }[] = [];
  const system = contentText(body.system);
  if (system) messages.push({ role: 'system', content: system });
  for (const m of body.messages as { role: string; content: unknown }[]) {
    const blocks = Array.isArray(m.content) ? (m.content as AnthropicBlock[]) : [];
    const toolResults = blocks.filter((b) => b.type === 'tool_result');
    if (toolResults.length > 0) for (const r of toolResults) messages.push({ role: 'tool', content: contentText(r.content) });
    else messages.push({ role: m.role, content: contentText(m.content) });
  }
  const tools = Array.isArray(body.tools) ? (body.tools as { name?: unknown }[]).map((t) => String(t.name ?? '')) : [];
  const reply = scriptedReply(rules, { model, messages, tools });
  const { chunks, truncated } = limitChunks(splitIntoChunks(reply.content), body.max_tokens as number);
  const toolUses = reply.toolCalls.map((c, i) => ({ type: 'tool_use', id: fakeId('toolu_', `${n}/${i}`), name: c.name, input: c.arguments }));
  const inputTokens = estimateTokens(messages.map((m) => m.content).join('\n') + tools.join(','));
  const outputTokens = Math.max(1, chunks.length + toolUses.length * 12);
  const stopReason = truncated ? 'max_tokens' : toolUses.length > 0 ? 'tool_use' : 'end_turn';
  const id = fakeId('msg_', `${n}/${model}`);
  const text = chunks.join('');
  const content = [...(text ? [{ type: 'text', text }] : []), ...(truncated ? [] : toolUses)];

  if (body.stream !== true) {
    return ctx.json(200, {
      id, type: 'message', role: 'assistant', model, content,
      stop_reason: stopReason, stop_sequence: null,
      usage: { input_tokens: inputTokens, output_tokens: outputTokens, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
    });
  }
  const w = ctx.stream('text/event-stream; charset=utf-8');
  const send = (event: string, data: unknown) => w.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  const events: [string, unknown][] = [
    ['message_start', { type: 'message_start', message: { id, type: 'message', role: 'assistant', model, content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: inputTokens, output_tokens: 1 } } }],
    ['ping', { type: 'ping' }],
  ];
  let index = 0;
  if (text) {
    events.push(['content_block_start', { type: 'content_block_start', index, content_block: { type: 'text', text: '' } }]);
    for (const c of chunks) events.push(['content_block_delta', { type: 'content_block_delta', index, delta: { type: 'text_delta', text: c } }]);
    events.push(['content_block_stop', { type: 'content_block_stop', index }]);
    index += 1;
  }
  if (!truncated) {
    for (const t of toolUses) {
      events.push(['content_block_start', { type: 'content_block_start', index, content_block: { type: 'tool_use', id: t.id, name: t.name, input: {} } }]);
      events.push(['content_block_delta', { type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: JSON.stringify(t.input) } }]);
      events.push(['content_block_stop', { type: 'content_block_stop', index }]);
      index += 1;
    }
  }
  events.push(['message_delta', { type: 'message_delta', delta: { stop_reason: stopReason, stop_sequence: null }, usage: { output_tokens: outputTokens } }]);
  events.push(['message_stop', { type: 'message_stop' }]);
  for (const [event, data] of events) if (!(await send(event, data))) return;
  w.end();
}
