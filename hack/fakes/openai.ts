// A local fake of the OpenAI API (chat completions with SSE streaming, embeddings, models).
// vLLM's OpenAI-compatible server has its own fake (vllm.ts): its errors and endpoints differ.
import { contentText, embeddingFor, fakeId, limitChunks, scriptedReply, splitIntoChunks, type ScriptRule } from './script.js';
import { estimateTokens, startFakeHttpServer, type FakeContext, type FakeServer, type Faults } from './server.js';

export interface FakeOpenAIOptions {
  host?: string;
  port?: number;
  /** The accepted bearer key; when unset any non-empty key is accepted. */
  apiKey?: string;
  /** false: no Authorization header needed (a keyless compatible server). Default true. */
  requireKey?: boolean;
  /** Models served (default: a current OpenAI line-up). */
  models?: string[];
  /** `owned_by` in /v1/models. */
  ownedBy?: string;
  rules?: ScriptRule[];
  faults?: Faults;
}

export const DEFAULT_OPENAI_MODELS = ['gpt-4o', 'gpt-4o-mini', 'gpt-4.1', 'text-embedding-3-small', 'text-embedding-3-large'];

const EMBEDDING_DIMENSIONS: Record<string, number> = { 'text-embedding-3-small': 1536, 'text-embedding-3-large': 3072 };

const ERROR_TYPES: Record<number, [string, string | null]> = {
  400: ['invalid_request_error', null],
  401: ['invalid_request_error', 'invalid_api_key'],
  404: ['invalid_request_error', 'model_not_found'],
  429: ['requests', 'rate_limit_exceeded'],
};

export function openaiError(status: number, message: string) {
  const [type, code] = ERROR_TYPES[status] ?? ['server_error', null];
  return { error: { message, type, param: null, code } };
}

export async function startFakeOpenAI(opts: FakeOpenAIOptions = {}): Promise<FakeServer> {
  const models = opts.models ?? DEFAULT_OPENAI_MODELS;
  const created = 1_700_000_000;
  let counter = 0;
  return startFakeHttpServer({
    host: opts.host,
    port: opts.port,
    faults: opts.faults,
    errorBody: openaiError,
    async handle(ctx) {
      const { method, path, headers } = ctx.req;
      if (opts.requireKey !== false) {
        const m = /^Bearer (.+)$/.exec(String(headers.authorization ?? ''));
        if (!m || (opts.apiKey !== undefined && m[1] !== opts.apiKey)) {
          return ctx.error(401, 'Incorrect API key provided. You can find your API key at https://platform.openai.com/account/api-keys.');
        }
      }
      if (method === 'GET' && path === '/v1/models') {
        return ctx.json(200, { object: 'list', data: models.map((id) => ({ id, object: 'model', created, owned_by: opts.ownedBy ?? 'system' })) });
      }
      if (method !== 'POST' || (path !== '/v1/chat/completions' && path !== '/v1/embeddings')) {
        return ctx.error(404, `Invalid URL (${method} ${path})`);
      }
      if (ctx.req.jsonError !== undefined) return ctx.error(400, `We could not parse the JSON body of your request. (${ctx.req.jsonError})`);
      const body = (ctx.req.json ?? {}) as Record<string, unknown>;
      if (typeof body.model !== 'string' || body.model === '') return ctx.error(400, "Missing required parameter: 'model'.");
      if (!models.includes(body.model)) return ctx.error(404, `The model \`${body.model}\` does not exist or you do not have access to it.`);
      counter += 1;
      if (path === '/v1/embeddings') return embeddings(ctx, body, body.model);
      return chat(ctx, body, body.model, counter, opts.rules ?? []);
    },
  });
}

async function embeddings(ctx: FakeContext, body: Record<string, unknown>, model: string): Promise<void> {
  const inputs = typeof body.input === 'string' ? [body.input] : Array.isArray(body.input) ? body.input.map(String) : null;
  if (!inputs || inputs.length === 0) return ctx.error(400, "'input' is a required property");
  const dims = typeof body.dimensions === 'number' && body.dimensions > 0 ? body.dimensions : (EMBEDDING_DIMENSIONS[model] ?? 1024);
  const tokens = inputs.reduce((s, t) => s + estimateTokens(t), 0);
  return ctx.json(200, {
    object: 'list',
    data: inputs.map((t, index) => ({ object: 'embedding', index, embedding: embeddingFor(t, dims) })),
    model,
    usage: { prompt_tokens: tokens, total_tokens: tokens },
  });
}

async function chat(ctx: FakeContext, body: Record<string, unknown>, model: string, n: number, rules: ScriptRule[]): Promise<void> {
  if (!Array.isArray(body.messages) || body.messages.length === 0) return ctx.error(400, "Invalid 'messages': empty array. Expected an array with minimum length 1.");
  const messages = (body.messages as { role?: unknown; content?: unknown }[]).map((m) => ({ role: String(m.role ?? ''), content: contentText(m.content) }));
  const tools = Array.isArray(body.tools) ? (body.tools as { function?: { name?: unknown } }[]).map((t) => String(t.function?.name ?? '')) : [];
  const reply = scriptedReply(rules, { model, messages, tools });
  const max = typeof body.max_completion_tokens === 'number' ? body.max_completion_tokens : typeof body.max_tokens === 'number' ? body.max_tokens : undefined;
  const { chunks, truncated } = limitChunks(splitIntoChunks(reply.content), max);
  const toolCalls = truncated ? [] : reply.toolCalls.map((c, i) => ({ id: fakeId('call_', `${n}/${i}`), type: 'function', function: { name: c.name, arguments: JSON.stringify(c.arguments) } }));
  const promptTokens = estimateTokens(messages.map((m) => m.content).join('\n')) + 4 * messages.length;
  const completionTokens = Math.max(1, chunks.length + toolCalls.length * 12);
  const usage = { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens };
  const finish = truncated ? 'length' : toolCalls.length > 0 ? 'tool_calls' : 'stop';
  const id = fakeId('chatcmpl-', `${n}/${model}`);
  const created = Math.floor(Date.now() / 1000);
  const text = chunks.join('');

  if (body.stream !== true) {
    return ctx.json(200, {
      id, object: 'chat.completion', created, model, system_fingerprint: 'fp_fake',
      choices: [{ index: 0, message: { role: 'assistant', content: toolCalls.length && !text ? null : text, refusal: null, ...(toolCalls.length ? { tool_calls: toolCalls } : {}) }, logprobs: null, finish_reason: finish }],
      usage,
    });
  }
  const includeUsage = (body.stream_options as { include_usage?: unknown } | undefined)?.include_usage === true;
  const w = ctx.stream('text/event-stream; charset=utf-8');
  const chunk = (choices: unknown[], extra: Record<string, unknown> = {}) =>
    w.write(`data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, system_fingerprint: 'fp_fake', choices, ...extra })}\n\n`);
  const delta = (d: Record<string, unknown>, finishReason: string | null = null) => [{ index: 0, delta: d, logprobs: null, finish_reason: finishReason }];
  if (!(await chunk(delta({ role: 'assistant', content: '', refusal: null }), includeUsage ? { usage: null } : {}))) return;
  for (const c of chunks) if (!(await chunk(delta({ content: c }), includeUsage ? { usage: null } : {}))) return;
  for (const [index, t] of toolCalls.entries()) {
    if (!(await chunk(delta({ tool_calls: [{ index, id: t.id, type: 'function', function: { name: t.function.name, arguments: '' } }] })))) return;
    if (!(await chunk(delta({ tool_calls: [{ index, function: { arguments: t.function.arguments } }] })))) return;
  }
  if (!(await chunk(delta({}, finish), includeUsage ? { usage: null } : {}))) return;
  if (includeUsage && !(await chunk([], { usage }))) return;
  if (!(await w.write('data: [DONE]\n\n'))) return;
  w.end();
}
