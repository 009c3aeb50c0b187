import type { ServerResponse } from 'node:http';
import { parseToolArguments, type ChatMessage, type ChatRequest, type EmbedRequest, type FinishReason, type ToolCall, type Usage } from '../canonical.js';
import { jsonDepth, MAX_JSON_DEPTH } from '../body.js';
import { renderOpenAIError, validationError, type RouterError } from '../errors.js';
import { type ChatSink, isObj, type Obj, optBool, optNumber, optStop, parseTools, requireModel, ROLES, sendError, sendJson, StreamWriter } from './common.js';

/** content is a string or a list of parts; only text parts can be routed. */
function textContent(c: unknown, path: string): string {
  if (c === null || c === undefined) return '';
  if (typeof c === 'string') return c;
  if (Array.isArray(c)) {
    return c.map((part, j) => {
      if (isObj(part) && part.type === 'text' && typeof part.text === 'string') return part.text;
      throw validationError(`${path}[${j}]: only text content parts are supported`);
    }).join('');
  }
  throw validationError(`${path}: must be a string or a list of content parts`);
}

export function parseOpenAIChat(body: Obj): ChatRequest {
  const model = requireModel(body);
  if (!Array.isArray(body.messages) || body.messages.length === 0) throw validationError('messages: required non-empty list');
  const messages: ChatMessage[] = body.messages.map((m, i) => {
    // "developer" is the newer name for the system role.
    const role = isObj(m) && m.role === 'developer' ? 'system' : isObj(m) ? m.role : undefined;
    if (!isObj(m) || !ROLES.includes(role as never)) throw validationError(`messages[${i}].role: must be one of system, developer, user, assistant, tool`);
    const msg: ChatMessage = { role: role as ChatMessage['role'], content: textContent(m.content, `messages[${i}].content`) };
    if (Array.isArray(m.tool_calls) && m.tool_calls.length > 0) {
      msg.toolCalls = m.tool_calls.map((c, j): ToolCall => {
        const f = isObj(c) && isObj(c.function) ? c.function : undefined;
        if (!isObj(c) || typeof c.id !== 'string' || !f || typeof f.name !== 'string') throw validationError(`messages[${i}].tool_calls[${j}]: needs id and function.name`);
        const args = typeof f.arguments === 'string' ? f.arguments : '';
        // The arguments are JSON inside a string, so the body's depth limit did not see them.
        if (jsonDepth(args) > MAX_JSON_DEPTH) throw validationError(`messages[${i}].tool_calls[${j}].function.arguments: nests deeper than ${MAX_JSON_DEPTH} levels`, 'too_deep');
        return { id: c.id, name: f.name, arguments: parseToolArguments(args) };
      });
    }
    if (msg.role === 'tool') {
      if (typeof m.tool_call_id !== 'string') throw validationError(`messages[${i}].tool_call_id: required for role tool`);
      msg.toolCallId = m.tool_call_id;
    }
    return msg;
  });
  // Results carry the call id; the function name (Gemini needs it) comes from the call.
  const names = new Map(messages.flatMap((m) => (m.toolCalls ?? []).map((c) => [c.id, c.name] as const)));
  for (const m of messages) if (m.role === 'tool' && m.toolCallId && names.has(m.toolCallId)) m.toolName = names.get(m.toolCallId);
  const req: ChatRequest = { kind: 'chat', model, messages, stream: optBool(body.stream, 'stream', false) };
  const tools = parseTools(body.tools);
  if (tools) req.tools = tools;
  const maxTokens = optNumber(body.max_completion_tokens ?? body.max_tokens, 'max_tokens', 1);
  if (maxTokens !== undefined) req.maxTokens = Math.floor(maxTokens);
  const temperature = optNumber(body.temperature, 'temperature', 0);
  if (temperature !== undefined) req.temperature = temperature;
  const topP = optNumber(body.top_p, 'top_p', 0);
  if (topP !== undefined) req.topP = topP;
  const stop = optStop(body.stop, 'stop');
  if (stop) req.stop = stop;
  return req;
}

export function parseOpenAIEmbeddings(body: Obj): EmbedRequest {
  const model = requireModel(body);
  const input = typeof body.input === 'string' ? [body.input] : body.input;
  if (!Array.isArray(input) || input.length === 0 || !input.every((s) => typeof s === 'string')) {
    throw validationError('input: required string or non-empty list of strings (token arrays are not supported)');
  }
  return { kind: 'embed', model, input: input as string[] };
}

/** Renders an answer as OpenAI Chat Completions does: SSE chunks and "data: [DONE]", or one JSON object. */
export function openaiChatSink(res: ServerResponse, o: { model: string; stream: boolean; includeUsage: boolean; requestId: string }): ChatSink {
  let started = false;
  // Streamed chunks of one tick leave in one write (common.ts).
  const writer = new StreamWriter(res);
  let text = '';
  let first = true;
  const calls: ToolCall[] = [];
  const openaiCall = (c: ToolCall) => ({ id: c.id, type: 'function', function: { name: c.name, arguments: JSON.stringify(c.arguments) } });
  const id = `chatcmpl-${o.requestId}`;
  const created = Math.floor(Date.now() / 1000);
  const chunk = (delta: Obj, finish: FinishReason | null, usage?: Obj | null) =>
    `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model: o.model, choices: usage && !finish && Object.keys(delta).length === 0 ? [] : [{ index: 0, delta, finish_reason: finish }], ...(usage !== undefined ? { usage } : {}) })}\n\n`;
  const usageObj = (u: Usage) => ({ prompt_tokens: u.inputTokens, completion_tokens: u.outputTokens, total_tokens: u.inputTokens + u.outputTokens });
  return {
    start() {
      if (started) return;
      started = true;
      if (o.stream) {
        writer.start({ 'content-type': 'text/event-stream', 'cache-control': 'no-cache', 'x-request-id': o.requestId });
      }
    },
    delta(t) {
      if (!o.stream) {
        text += t;
        return;
      }
      writer.write(chunk(first ? { role: 'assistant', content: t } : { content: t }, null, o.includeUsage ? null : undefined));
      first = false;
    },
    toolCall(c) {
      const index = calls.length;
      calls.push(c);
      if (!o.stream) return;
      // The whole call in one delta: clients concatenate argument fragments, one fragment is valid.
      writer.write(chunk({ ...(first ? { role: 'assistant' } : {}), tool_calls: [{ index, ...openaiCall(c) }] }, null, o.includeUsage ? null : undefined));
      first = false;
    },
    flush() {
      writer.flush();
    },
    done(usage, finishReason) {
      if (!o.stream) {
        sendJson(res, 200, {
          id,
          object: 'chat.completion',
          created,
          model: o.model,
          choices: [{
            index: 0,
            message: { role: 'assistant', content: calls.length && !text ? null : text, ...(calls.length ? { tool_calls: calls.map(openaiCall) } : {}) },
            finish_reason: finishReason,
            logprobs: null,
          }],
          usage: usageObj(usage),
        }, o.requestId);
        return;
      }
      let out = chunk({}, finishReason, o.includeUsage ? null : undefined);
      // With stream_options.include_usage the last chunk before [DONE] has empty choices and the usage.
      if (o.includeUsage) out += chunk({}, null, usageObj(usage));
      writer.end(out + 'data: [DONE]\n\n');
    },
    fail(e: RouterError) {
      const r = renderOpenAIError(e, o.requestId);
      if (started && o.stream) writer.end(`data: ${JSON.stringify(r.body)}\n\ndata: [DONE]\n\n`);
      else sendError(res, r, o.requestId);
    },
  };
}

export function renderOpenAIEmbeddings(model: string, embeddings: number[][], usage: Usage) {
  return {
    object: 'list',
    data: embeddings.map((embedding, index) => ({ object: 'embedding', index, embedding })),
    model,
    usage: { prompt_tokens: usage.inputTokens, total_tokens: usage.inputTokens },
  };
}

export function renderOpenAIModels(models: string[], ownedBy: string) {
  return { object: 'list', data: models.map((id) => ({ id, object: 'model', created: 0, owned_by: ownedBy })) };
}
