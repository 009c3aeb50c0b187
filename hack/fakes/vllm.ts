// A local fake of vLLM's OpenAI-compatible server (`vllm serve`, image vllm/vllm-openai:v0.11.0):
// GET /health, GET /v1/models, POST /v1/chat/completions (SSE streaming, usage with
// stream_options.include_usage), POST /v1/completions, and POST /v1/embeddings refused as for a
// generative model. No API key (vLLM without --api-key).
// Errors have vLLM's shapes: since v0.10.1 `{"error":{"message","type","param","code"}}` with the
// HTTP status as `code`; FastAPI's `{"detail":"Not Found"}` for a path it does not route.
import { STATUS_CODES } from 'node:http';
import { contentText, fakeId, limitChunks, scriptedReply, splitIntoChunks, type ScriptRule } from './script.js';
import { estimateTokens, startFakeHttpServer, type FakeContext, type FakeServer, type Faults } from './server.js';

export interface FakeVllmOptions {
  host?: string;
  port?: number;
  /** `--model`: the weights, reported as `root` in /v1/models. */
  model: string;
  /** `--served-model-name`: the names requests must use (default: the model). */
  servedModelNames?: string[];
  /** `--max-model-len` (default 32768, Qwen2.5's context length). */
  maxModelLen?: number;
  /** `--enable-auto-tool-choice` with a `--tool-call-parser`: without it a request offering tools is refused. */
  autoToolChoice?: boolean;
  rules?: ScriptRule[];
  faults?: Faults;
  /** Receives one access-log line per request, as uvicorn writes them. */
  log?: (line: string) => void;
}

const ERROR_TYPES: Record<number, string> = { 400: 'BadRequestError', 404: 'NotFoundError', 413: 'BadRequestError', 500: 'InternalServerError', 503: 'ServiceUnavailableError' };

/** vLLM's ErrorResponse (v0.10.1 and later): the HTTP status is repeated as a numeric `code`. */
export function vllmError(status: number, message: string) {
  return { error: { message, type: ERROR_TYPES[status] ?? (status >= 500 ? 'InternalServerError' : 'BadRequestError'), param: null, code: status } };
}

const ROUTES: Record<string, string> = {
  '/health': 'GET',
  '/v1/models': 'GET',
  '/v1/chat/completions': 'POST',
  '/v1/completions': 'POST',
  '/v1/embeddings': 'POST',
};

/** The options vLLM would run with for these command-line arguments (what the node simulator passes). */
export function vllmOptionsFromArgs(args: string[]): Pick<FakeVllmOptions, 'model' | 'servedModelNames' | 'maxModelLen' | 'autoToolChoice'> {
  let model = 'facebook/opt-125m'; // vLLM's own default model
  let served: string[] | undefined;
  let maxModelLen: number | undefined;
  let autoToolChoice = false;
  for (let i = 0; i < args.length; i++) {
    const [flag, inline] = args[i].startsWith('--') && args[i].includes('=') ? [args[i].slice(0, args[i].indexOf('=')), args[i].slice(args[i].indexOf('=') + 1)] : [args[i], undefined];
    const value = () => inline ?? args[++i];
    if (flag === '--model') model = value() ?? model;
    else if (flag === 'serve' && args[i + 1] && !args[i + 1].startsWith('-')) model = args[++i];
    else if (flag === '--max-model-len') maxModelLen = Number(value()) || undefined;
    else if (flag === '--enable-auto-tool-choice') autoToolChoice = true;
    else if (flag === '--served-model-name') {
      // nargs="+": one or more names up to the next flag.
      if (inline !== undefined) served = [inline];
      else {
        const names: string[] = [];
        while (i + 1 < args.length && !args[i + 1].startsWith('-')) names.push(args[++i]);
        if (names.length > 0) served = names;
      }
    }
  }
  return { model, ...(served ? { servedModelNames: served } : {}), ...(maxModelLen ? { maxModelLen } : {}), autoToolChoice };
}

export function startFakeVllm(opts: FakeVllmOptions): Promise<FakeServer> {
  const served = opts.servedModelNames?.length ? opts.servedModelNames : [opts.model];
  const maxModelLen = opts.maxModelLen ?? 32768;
  const created = Math.floor(Date.now() / 1000);
  let counter = 0;
  return startFakeHttpServer({
    host: opts.host,
    port: opts.port,
    faults: opts.faults,
    errorBody: vllmError,
    onRequest: opts.log ? (e) => opts.log!(`INFO:     ${e.remote ?? '-'} - "${e.method} ${e.path} HTTP/1.1" ${e.status} ${STATUS_CODES[e.status] ?? ''}`) : undefined,
    async handle(ctx) {
      const { method, path } = ctx.req;
      const route = ROUTES[path];
      if (!route) return ctx.json(404, { detail: 'Not Found' });
      if (route !== method) return ctx.json(405, { detail: 'Method Not Allowed' });
      if (path === '/health') {
        ctx.res.writeHead(200, { 'content-length': 0 });
        ctx.res.end();
        return;
      }
      if (path === '/v1/models') {
        return ctx.json(200, {
          object: 'list',
          data: served.map((id) => ({
            id, object: 'model', created, owned_by: 'vllm', root: opts.model, parent: null, max_model_len: maxModelLen,
            permission: [{ id: fakeId('modelperm-', id), object: 'model_permission', created, allow_create_engine: false, allow_sampling: true, allow_logprobs: true, allow_search_indices: false, allow_view: true, allow_fine_tuning: false, organization: '*', group: null, is_blocking: false }],
          })),
        });
      }
      // A generative model (what a ModelServer runs) has no embeddings handler in vLLM.
      if (path === '/v1/embeddings') return ctx.error(400, 'The model does not support Embeddings API');
      if (ctx.req.jsonError !== undefined) return ctx.error(400, `JSON decode error: ${ctx.req.jsonError}`);
      const body = (ctx.req.json ?? {}) as Record<string, unknown>;
      // An absent model means the first served one; an unknown one is a 404.
      const model = typeof body.model === 'string' && body.model !== '' ? body.model : served[0];
      if (!served.includes(model)) return ctx.error(404, `The model \`${model}\` does not exist.`);
      if (body.stream_options !== undefined && body.stream_options !== null && body.stream !== true) return ctx.error(400, 'Stream options can only be defined when `stream=True`.');
      counter += 1;
      if (path === '/v1/completions') return completion(ctx, body, model, counter);
      return chat(ctx, body, model, counter, opts.rules ?? [], opts.autoToolChoice === true);
    },
  });
}

const usageOf = (prompt: number, completion: number) => ({ prompt_tokens: prompt, total_tokens: prompt + completion, completion_tokens: completion, prompt_tokens_details: null });
const maxTokensOf = (body: Record<string, unknown>) =>
  typeof body.max_completion_tokens === 'number' ? body.max_completion_tokens : typeof body.max_tokens === 'number' ? body.max_tokens : undefined;

async function chat(ctx: FakeContext, body: Record<string, unknown>, model: string, n: number, rules: ScriptRule[], autoToolChoice: boolean): Promise<void> {
  if (!Array.isArray(body.messages) || body.messages.length === 0) return ctx.error(400, "[{'type': 'missing', 'loc': ('body', 'messages'), 'msg': 'Field required'}]");
  const tools = Array.isArray(body.tools) ? (body.tools as { function?: { name?: unknown } }[]).map((t) => String(t.function?.name ?? '')) : [];
  const toolChoice = body.tool_choice ?? (tools.length > 0 ? 'auto' : 'none');
  if (tools.length > 0 && toolChoice === 'auto' && !autoToolChoice) return ctx.error(400, '"auto" tool choice requires --enable-auto-tool-choice and --tool-call-parser to be set');
  const messages = (body.messages as { role?: unknown; content?: unknown }[]).map((m) => ({ role: String(m.role ?? ''), content: contentText(m.content) }));
  const reply = scriptedReply(rules, { model, messages, tools: toolChoice === 'none' ? [] : tools });
  const { chunks, truncated } = limitChunks(splitIntoChunks(reply.content), maxTokensOf(body));
  const toolCalls = truncated ? [] : reply.toolCalls.map((c, i) => ({ id: fakeId('chatcmpl-tool-', `${n}/${i}`), type: 'function', function: { name: c.name, arguments: JSON.stringify(c.arguments) } }));
  const promptTokens = estimateTokens(messages.map((m) => m.content).join('\n')) + 4 * messages.length;
  const completionTokens = Math.max(1, chunks.length + toolCalls.length * 12);
  const finish = truncated ? 'length' : toolCalls.length > 0 ? 'tool_calls' : 'stop';
  const id = fakeId('chatcmpl-', `${n}/${model}`);
  const created = Math.floor(Date.now() / 1000);

  if (body.stream !== true) {
    return ctx.json(200, {
      id, object: 'chat.completion', created, model,
      choices: [{ index: 0, message: { role: 'assistant', content: chunks.join('') || null, refusal: null, annotations: null, audio: null, function_call: null, tool_calls: toolCalls, reasoning_content: null }, logprobs: null, finish_reason: finish, stop_reason: null }],
      service_tier: null, system_fingerprint: null,
      usage: usageOf(promptTokens, completionTokens),
      prompt_logprobs: null, kv_transfer_params: null,
    });
  }
  const includeUsage = (body.stream_options as { include_usage?: unknown } | undefined)?.include_usage === true;
  const w = ctx.stream('text/event-stream; charset=utf-8');
  const send = (choices: unknown[], extra: Record<string, unknown> = {}) => w.write(`data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, choices, ...extra })}\n\n`);
  const choice = (delta: Record<string, unknown>, last: boolean) => [{ index: 0, delta, logprobs: null, finish_reason: last ? finish : null, ...(last ? { stop_reason: null } : {}) }];
  if (!(await send(choice({ role: 'assistant', content: '' }, false)))) return;
  // Like vLLM, the finish reason rides on the chunk with the last token.
  for (const [i, c] of chunks.entries()) {
    if (!(await send(choice({ content: c }, i === chunks.length - 1 && toolCalls.length === 0)))) return;
  }
  for (const [index, t] of toolCalls.entries()) {
    if (!(await send(choice({ tool_calls: [{ index, id: t.id, type: 'function', function: { name: t.function.name, arguments: t.function.arguments } }] }, index === toolCalls.length - 1)))) return;
  }
  if (chunks.length === 0 && toolCalls.length === 0 && !(await send(choice({ content: '' }, true)))) return;
  if (includeUsage && !(await send([], { usage: { prompt_tokens: promptTokens, total_tokens: promptTokens + completionTokens, completion_tokens: completionTokens } }))) return;
  if (!(await w.write('data: [DONE]\n\n'))) return;
  w.end();
}

/** The legacy completions API (the operator's warm-up prompt uses it). */
async function completion(ctx: FakeContext, body: Record<string, unknown>, model: string, n: number): Promise<void> {
  const prompt = typeof body.prompt === 'string' ? body.prompt : Array.isArray(body.prompt) ? body.prompt.map(String).join('') : undefined;
  if (prompt === undefined) return ctx.error(400, "[{'type': 'missing', 'loc': ('body', 'prompt'), 'msg': 'Field required'}]");
  const { chunks, truncated } = limitChunks(splitIntoChunks(scriptedReply([], { model, messages: [{ role: 'user', content: prompt }], tools: [] }).content), maxTokensOf(body) ?? 16);
  const promptTokens = estimateTokens(prompt);
  const id = fakeId('cmpl-', `${n}/${model}`);
  const created = Math.floor(Date.now() / 1000);
  const finish = truncated ? 'length' : 'stop';
  if (body.stream !== true) {
    return ctx.json(200, {
      id, object: 'text_completion', created, model,
      choices: [{ index: 0, text: chunks.join(''), logprobs: null, finish_reason: finish, stop_reason: null, prompt_logprobs: null }],
      service_tier: null, system_fingerprint: null, usage: usageOf(promptTokens, chunks.length), kv_transfer_params: null,
    });
  }
  const w = ctx.stream('text/event-stream; charset=utf-8');
  for (const [i, c] of chunks.entries()) {
    const last = i === chunks.length - 1;
    if (!(await w.write(`data: ${JSON.stringify({ id, object: 'text_completion', created, model, choices: [{ index: 0, text: c, logprobs: null, finish_reason: last ? finish : null, stop_reason: null }] })}\n\n`))) return;
  }
  if (!(await w.write('data: [DONE]\n\n'))) return;
  w.end();
}
