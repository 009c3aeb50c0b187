import type { ChatRequest, StreamEvent } from '../canonical.js';
import type { IncomingMessage } from 'node:http';
import { parseJsonLine, postJson, readJson, UpstreamFailure } from './http.js';
import { lineEvents, type LineEventStream } from './line-events.js';
import type { ProviderAdapter } from './types.js';

let callSeq = 0;

interface OllamaChunk {
  message?: { content?: string; tool_calls?: { function?: { name?: string; arguments?: Record<string, unknown> } }[] };
  done?: boolean;
  done_reason?: string;
  prompt_eval_count?: number;
  eval_count?: number;
  error?: string;
}

export function ollamaChatBody(req: ChatRequest, model: string) {
  const options: Record<string, unknown> = {};
  if (req.maxTokens !== undefined) options.num_predict = req.maxTokens;
  if (req.temperature !== undefined) options.temperature = req.temperature;
  if (req.topP !== undefined) options.top_p = req.topP;
  if (req.stop) options.stop = req.stop;
  const messages = req.messages.map((m) => ({
    role: m.role,
    content: m.content,
    ...(m.toolCalls ? { tool_calls: m.toolCalls.map((c) => ({ function: { name: c.name, arguments: c.arguments } })) } : {}),
    ...(m.role === 'tool' && m.toolName ? { tool_name: m.toolName } : {}),
  }));
  const tools = req.tools?.map((t) => ({ type: 'function', function: { name: t.name, description: t.description ?? '', parameters: t.parameters } }));
  return { model, messages, stream: true, options, ...(tools ? { tools } : {}) };
}

/**
 * The end of the JSON string that starts at `at` (the index after its closing quote), or -1 when
 * there is none or it holds a raw control character (which JSON forbids). Sets `escaped.seen`
 * when the string has escapes. Pure.
 */
function skipString(line: string, at: number, escaped: { seen: boolean }): number {
  if (line.charCodeAt(at) !== 34) return -1;
  for (let i = at + 1; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (c === 34) return i + 1;
    if (c === 92) {
      escaped.seen = true;
      i++;
    } else if (c < 32) return -1;
  }
  return -1;
}

const TEXT_HEAD = '{"model":';
const TEXT_MIDDLE = ',"created_at":';
const TEXT_CONTENT = ',"message":{"role":"assistant","content":';
const TEXT_TAIL = '},"done":false}';

/**
 * An ordinary text chunk, exactly as Ollama writes it:
 *   {"model":"…","created_at":"…","message":{"role":"assistant","content":"…"},"done":false}
 * recognised without parsing the whole line: its text and the text's JSON string literal, or
 * undefined for any other line (those are parsed in full). Pure.
 */
export function ollamaTextLine(line: string): { text: string; json: string } | undefined {
  if (!line.startsWith(TEXT_HEAD) || !line.endsWith(TEXT_TAIL)) return undefined;
  const escaped = { seen: false };
  let at = skipString(line, TEXT_HEAD.length, escaped);
  if (at === -1 || !line.startsWith(TEXT_MIDDLE, at)) return undefined;
  at = skipString(line, at + TEXT_MIDDLE.length, escaped);
  // Escapes in the model name or timestamp (never seen in practice) are left to the full parse, which checks them.
  if (at === -1 || escaped.seen || !line.startsWith(TEXT_CONTENT, at)) return undefined;
  const from = at + TEXT_CONTENT.length;
  at = skipString(line, from, escaped);
  if (at !== line.length - TEXT_TAIL.length) return undefined;
  const json = line.slice(from, at);
  if (!escaped.seen) return { text: json.slice(1, -1), json };
  try {
    return { text: JSON.parse(json) as string, json };
  } catch {
    return undefined;
  }
}

/**
 * Ollama's /api/chat: NDJSON, one JSON object per line, the last with "done": true and the counts.
 * Returns the line handler for lineEvents: it pushes each line's events as soon as the line is in
 * and says when the final line has come. Ordinary text lines skip the full JSON parse.
 */
export function ollamaLineHandler(): (line: string, out: StreamEvent[]) => boolean {
  let sawCalls = false;
  return (line, out) => {
    if (line === '') return false;
    const t = ollamaTextLine(line);
    if (t) {
      if (t.text) out.push({ type: 'delta', text: t.text, json: t.json });
      return false;
    }
    const c = parseJsonLine<OllamaChunk>(line, 'ollama');
    if (c.error) throw new UpstreamFailure('Interrupted', `ollama: ${c.error.slice(0, 200)}`);
    const text = c.message?.content;
    if (text) out.push({ type: 'delta', text });
    for (const tc of c.message?.tool_calls ?? []) {
      if (!tc.function?.name) continue;
      sawCalls = true;
      out.push({ type: 'tool_call', call: { id: `call_${(++callSeq).toString(36)}`, name: tc.function.name, arguments: tc.function.arguments ?? {} } });
    }
    if (c.done) {
      const finishReason = c.done_reason === 'length' ? 'length' : sawCalls ? 'tool_calls' : 'stop';
      out.push({ type: 'done', usage: { inputTokens: c.prompt_eval_count ?? 0, outputTokens: c.eval_count ?? 0 }, finishReason });
      return true;
    }
    return false;
  };
}

/** The events of an Ollama chat answer, a batch per read; fails when the stream ends before the final line. */
export function ollamaEvents(res: IncomingMessage): LineEventStream<StreamEvent> {
  return lineEvents(res, ollamaLineHandler(), () => new UpstreamFailure('Interrupted', 'ollama ended the stream without a final chunk'));
}

export const ollamaAdapter: ProviderAdapter = {
  async chat(req, t, signal) {
    const res = await postJson(`${t.baseURL}/api/chat`, ollamaChatBody(req, t.model), t.headers ?? {}, signal, t.tls);
    return ollamaEvents(res);
  },
  async embed(req, t, signal) {
    const res = await postJson(`${t.baseURL}/api/embed`, { model: t.model, input: req.input }, t.headers ?? {}, signal, t.tls);
    const j = await readJson<{ embeddings?: number[][]; prompt_eval_count?: number }>(res, 'ollama');
    if (!Array.isArray(j.embeddings)) throw new UpstreamFailure('Protocol', 'ollama: embed response has no embeddings');
    return { embeddings: j.embeddings, usage: { inputTokens: j.prompt_eval_count ?? 0, outputTokens: 0 } };
  },
};
