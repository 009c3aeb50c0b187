import type { ServerResponse } from 'node:http';
import { linkToolResults, type ChatMessage, type ChatRequest, type EmbedRequest, type FinishReason, type ToolCall, type Usage } from '../canonical.js';
import { renderOllamaError, validationError, type RouterError } from '../errors.js';
import { type ChatSink, isObj, type Obj, optBool, optNumber, optStop, parseTools, requireModel, ROLES, sendError, sendJson, StreamWriter } from './common.js';

/** Options shared by /api/chat and /api/generate (Ollama's "options" block). */
function options(body: Obj): Pick<ChatRequest, 'maxTokens' | 'temperature' | 'topP' | 'stop'> {
  if (body.options !== undefined && !isObj(body.options)) throw validationError('options: must be an object');
  const o = (body.options ?? {}) as Obj;
  const out: Pick<ChatRequest, 'maxTokens' | 'temperature' | 'topP' | 'stop'> = {};
  const maxTokens = optNumber(o.num_predict, 'options.num_predict');
  // Ollama uses -1 / -2 for "unbounded"; the lane's default applies then.
  if (maxTokens !== undefined && maxTokens > 0) out.maxTokens = Math.floor(maxTokens);
  const temperature = optNumber(o.temperature, 'options.temperature', 0);
  if (temperature !== undefined) out.temperature = temperature;
  const topP = optNumber(o.top_p, 'options.top_p', 0);
  if (topP !== undefined) out.topP = topP;
  const stop = optStop(o.stop, 'options.stop');
  if (stop) out.stop = stop;
  return out;
}

/** Ollama streams unless told otherwise. */
const streamFlag = (body: Obj) => optBool(body.stream, 'stream', true);

export function parseOllamaChat(body: Obj): ChatRequest {
  const model = requireModel(body);
  if (!Array.isArray(body.messages)) throw validationError('messages: required list');
  let callSeq = 0;
  const messages: ChatMessage[] = body.messages.map((m, i) => {
    if (!isObj(m) || !ROLES.includes(m.role as never)) throw validationError(`messages[${i}].role: must be one of ${ROLES.join(', ')}`);
    if (m.content !== undefined && typeof m.content !== 'string') throw validationError(`messages[${i}].content: must be a string`);
    if (Array.isArray(m.images) && m.images.length > 0) throw validationError(`messages[${i}].images: images are not routed yet; send text`);
    const msg: ChatMessage = { role: m.role as ChatMessage['role'], content: (m.content as string | undefined) ?? '' };
    if (Array.isArray(m.tool_calls) && m.tool_calls.length > 0) {
      // Ollama's calls carry no ids; the other APIs need them to pair results with calls.
      msg.toolCalls = m.tool_calls.map((c, j): ToolCall => {
        const f = isObj(c) && isObj(c.function) ? c.function : undefined;
        if (!f || typeof f.name !== 'string') throw validationError(`messages[${i}].tool_calls[${j}].function.name: required`);
        const args = isObj(f.arguments) ? f.arguments : {};
        return { id: `call_${++callSeq}`, name: f.name, arguments: args };
      });
    }
    if (msg.role === 'tool') {
      const name = typeof m.tool_name === 'string' ? m.tool_name : typeof m.name === 'string' ? m.name : undefined;
      if (name) msg.toolName = name;
    }
    return msg;
  });
  const req: ChatRequest = { kind: 'chat', model, messages: linkToolResults(messages), stream: streamFlag(body), ...options(body) };
  const tools = parseTools(body.tools);
  if (tools) req.tools = tools;
  return req;
}

export function parseOllamaGenerate(body: Obj): ChatRequest {
  const model = requireModel(body);
  if (typeof body.prompt !== 'string') throw validationError('prompt: required string');
  if (body.system !== undefined && typeof body.system !== 'string') throw validationError('system: must be a string');
  const messages: ChatMessage[] = [];
  if (typeof body.system === 'string' && body.system !== '') messages.push({ role: 'system', content: body.system });
  messages.push({ role: 'user', content: body.prompt });
  return { kind: 'chat', model, messages, stream: streamFlag(body), ...options(body) };
}

export function parseOllamaEmbed(body: Obj): EmbedRequest {
  const model = requireModel(body);
  const input = typeof body.input === 'string' ? [body.input] : body.input;
  if (!Array.isArray(input) || input.length === 0 || !input.every((s) => typeof s === 'string')) throw validationError('input: required string or non-empty list of strings');
  return { kind: 'embed', model, input: input as string[] };
}

// One timestamp string per millisecond: a stream's chunks mostly share one, and formatting a Date
// per chunk is a measurable share of the router's per-chunk cost.
let stampMs = -1;
let stamp = '';
function now(): string {
  const ms = Date.now();
  if (ms !== stampMs) {
    stampMs = ms;
    stamp = new Date(ms).toISOString();
  }
  return stamp;
}

/**
 * Renders an answer as Ollama does: NDJSON chunks with "done": false, then a final chunk with
 * the counts (/api/chat carries "message", /api/generate "response").
 */
export function ollamaChatSink(res: ServerResponse, o: { model: string; stream: boolean; mode: 'chat' | 'generate'; requestId: string }): ChatSink {
  let started = false;
  // Streamed chunks of one tick leave in one write (common.ts).
  const writer = new StreamWriter(res);
  let text = '';
  const calls: ToolCall[] = [];
  const t0 = process.hrtime.bigint();
  const ollamaCalls = (cs: ToolCall[]) => cs.map((c) => ({ function: { name: c.name, arguments: c.arguments } }));
  const piece = (content: string, withCalls: ToolCall[] = []) => (o.mode === 'chat'
    ? { message: { role: 'assistant', content, ...(withCalls.length ? { tool_calls: ollamaCalls(withCalls) } : {}) } }
    : { response: content });
  // A text chunk is the same object every time but for its timestamp and text: assemble its JSON
  // from fixed parts (what JSON.stringify of {model, created_at, message|response, done} gives).
  const head = `{"model":${JSON.stringify(o.model)},"created_at":"`;
  const textOpen = o.mode === 'chat' ? '","message":{"role":"assistant","content":' : '","response":';
  const textClose = o.mode === 'chat' ? '},"done":false}\n' : ',"done":false}\n';
  const finalOpen = o.mode === 'chat' ? '","message":{"role":"assistant","content":""},"done":true,"done_reason":' : '","response":"","done":true,"done_reason":';
  return {
    start() {
      if (started) return;
      started = true;
      if (o.stream) {
        writer.start({ 'content-type': 'application/x-ndjson', 'x-request-id': o.requestId });
      }
    },
    delta(t, json) {
      if (!o.stream) {
        text += t;
        return;
      }
      writer.write(head + now() + textOpen + (json ?? JSON.stringify(t)) + textClose);
    },
    toolCall(call) {
      if (!o.stream) {
        calls.push(call);
        return;
      }
      writer.write(JSON.stringify({ model: o.model, created_at: now(), ...piece('', [call]), done: false }) + '\n');
    },
    flush() {
      writer.flush();
    },
    done(usage: Usage, finishReason: FinishReason) {
      const total = Number(process.hrtime.bigint() - t0);
      // Ollama reports "stop" when the model answered with tool calls.
      const reason = finishReason === 'tool_calls' ? 'stop' : finishReason;
      if (o.stream && Number.isFinite(usage.inputTokens) && Number.isFinite(usage.outputTokens)) {
        // The streamed final chunk assembled as JSON.stringify would write it (finite numbers print alike).
        writer.end(`${head}${now()}${finalOpen}${JSON.stringify(reason)},"total_duration":${total},"load_duration":0,"prompt_eval_count":${usage.inputTokens},"prompt_eval_duration":0,"eval_count":${usage.outputTokens},"eval_duration":${total}}\n`);
        return;
      }
      const final = {
        model: o.model,
        created_at: now(),
        ...piece(o.stream ? '' : text, o.stream ? [] : calls),
        done: true,
        done_reason: reason,
        total_duration: total,
        load_duration: 0,
        prompt_eval_count: usage.inputTokens,
        prompt_eval_duration: 0,
        eval_count: usage.outputTokens,
        eval_duration: total,
      };
      if (o.stream) writer.end(JSON.stringify(final) + '\n');
      else sendJson(res, 200, final, o.requestId);
    },
    fail(e: RouterError) {
      const r = renderOllamaError(e, o.requestId);
      if (started && o.stream) writer.end(JSON.stringify(r.body) + '\n');
      else sendError(res, r, o.requestId);
    },
  };
}

export function renderOllamaEmbed(model: string, embeddings: number[][], usage: Usage) {
  return { model, embeddings, total_duration: 0, load_duration: 0, prompt_eval_count: usage.inputTokens };
}

export function renderOllamaTags(models: string[]) {
  return {
    models: models.map((name) => ({
      name,
      model: name,
      modified_at: '1970-01-01T00:00:00Z',
      size: 0,
      digest: '',
      details: { parent_model: '', format: '', family: '', families: null, parameter_size: '', quantization_level: '' },
    })),
  };
}

/** /api/show for a lane model: the router knows names, not weights, so details stay empty. */
export function renderOllamaShow() {
  return {
    modelfile: '',
    parameters: '',
    template: '',
    details: { parent_model: '', format: '', family: '', families: null, parameter_size: '', quantization_level: '' },
    model_info: {},
    capabilities: ['completion', 'tools'],
  };
}
