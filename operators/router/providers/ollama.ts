import type { ChatRequest, StreamEvent } from '../canonical.js';
import { lineBatches, parseJsonLine, postJson, readJson, UpstreamFailure } from './http.js';
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
 * Ollama's /api/chat: NDJSON, one JSON object per line, the last with "done": true and the counts.
 * Takes the lines in batches (one per upstream read) and yields each event as soon as it is parsed.
 */
export async function* ollamaEvents(src: AsyncIterable<readonly string[]>): AsyncGenerator<StreamEvent> {
  let sawCalls = false;
  for await (const batch of src) {
    for (const line of batch) {
      if (line === '') continue;
      const c = parseJsonLine<OllamaChunk>(line, 'ollama');
      if (c.error) throw new UpstreamFailure('Interrupted', `ollama: ${c.error.slice(0, 200)}`);
      const text = c.message?.content;
      if (text) yield { type: 'delta', text };
      for (const tc of c.message?.tool_calls ?? []) {
        if (!tc.function?.name) continue;
        sawCalls = true;
        yield { type: 'tool_call', call: { id: `call_${(++callSeq).toString(36)}`, name: tc.function.name, arguments: tc.function.arguments ?? {} } };
      }
      if (c.done) {
        const finishReason = c.done_reason === 'length' ? 'length' : sawCalls ? 'tool_calls' : 'stop';
        yield { type: 'done', usage: { inputTokens: c.prompt_eval_count ?? 0, outputTokens: c.eval_count ?? 0 }, finishReason };
        return;
      }
    }
  }
  throw new UpstreamFailure('Interrupted', 'ollama ended the stream without a final chunk');
}

export const ollamaAdapter: ProviderAdapter = {
  async chat(req, t, signal) {
    const res = await postJson(`${t.baseURL}/api/chat`, ollamaChatBody(req, t.model), t.headers ?? {}, signal, t.tls);
    return ollamaEvents(lineBatches(res));
  },
  async embed(req, t, signal) {
    const res = await postJson(`${t.baseURL}/api/embed`, { model: t.model, input: req.input }, t.headers ?? {}, signal, t.tls);
    const j = await readJson<{ embeddings?: number[][]; prompt_eval_count?: number }>(res, 'ollama');
    if (!Array.isArray(j.embeddings)) throw new UpstreamFailure('Protocol', 'ollama: embed response has no embeddings');
    return { embeddings: j.embeddings, usage: { inputTokens: j.prompt_eval_count ?? 0, outputTokens: 0 } };
  },
};
