import type { ChatRequest, StreamEvent } from '../canonical.js';
import { lines, parseJsonLine, postJson, readJson, UpstreamFailure } from './http.js';
import type { ProviderAdapter } from './types.js';

interface OllamaChunk {
  message?: { content?: string };
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
  return { model, messages: req.messages, stream: true, options };
}

/** Ollama's /api/chat: NDJSON, one JSON object per line, the last with "done": true and the counts. */
export async function* ollamaEvents(src: AsyncIterable<string>): AsyncGenerator<StreamEvent> {
  for await (const line of src) {
    if (line === '') continue;
    const c = parseJsonLine<OllamaChunk>(line, 'ollama');
    if (c.error) throw new UpstreamFailure('Interrupted', `ollama: ${c.error.slice(0, 200)}`);
    const text = c.message?.content;
    if (text) yield { type: 'delta', text };
    if (c.done) {
      yield { type: 'done', usage: { inputTokens: c.prompt_eval_count ?? 0, outputTokens: c.eval_count ?? 0 }, finishReason: c.done_reason === 'length' ? 'length' : 'stop' };
      return;
    }
  }
  throw new UpstreamFailure('Interrupted', 'ollama ended the stream without a final chunk');
}

export const ollamaAdapter: ProviderAdapter = {
  async chat(req, t, signal) {
    const res = await postJson(`${t.baseURL}/api/chat`, ollamaChatBody(req, t.model), t.headers ?? {}, signal, t.tls);
    return ollamaEvents(lines(res));
  },
  async embed(req, t, signal) {
    const res = await postJson(`${t.baseURL}/api/embed`, { model: t.model, input: req.input }, t.headers ?? {}, signal, t.tls);
    const j = await readJson<{ embeddings?: number[][]; prompt_eval_count?: number }>(res, 'ollama');
    if (!Array.isArray(j.embeddings)) throw new UpstreamFailure('Protocol', 'ollama: embed response has no embeddings');
    return { embeddings: j.embeddings, usage: { inputTokens: j.prompt_eval_count ?? 0, outputTokens: 0 } };
  },
};
