import type { ChatRequest, FinishReason, StreamEvent, Usage } from '../canonical.js';
import { parseJsonLine, postJson, readJson, sseData, UpstreamFailure } from './http.js';
import type { ProviderAdapter } from './types.js';

export const OPENAI_BASE_URL = 'https://api.openai.com/v1';

interface OpenAIChunk {
  choices?: { delta?: { content?: string | null }; finish_reason?: string | null }[];
  usage?: { prompt_tokens?: number; completion_tokens?: number } | null;
  error?: { message?: string };
}

/** OpenAI proper wants max_completion_tokens; compatible servers (vLLM, LM Studio) know max_tokens. */
export function openaiChatBody(req: ChatRequest, model: string, flavour: 'openai' | 'compatible') {
  const body: Record<string, unknown> = { model, messages: req.messages, stream: true, stream_options: { include_usage: true } };
  if (req.maxTokens !== undefined) body[flavour === 'openai' ? 'max_completion_tokens' : 'max_tokens'] = req.maxTokens;
  if (req.temperature !== undefined) body.temperature = req.temperature;
  if (req.topP !== undefined) body.top_p = req.topP;
  if (req.stop) body.stop = req.stop;
  return body;
}

/** Chat Completions SSE: content deltas, a chunk with finish_reason, a usage chunk, then [DONE]. */
export async function* openaiEvents(src: AsyncIterable<string>): AsyncGenerator<StreamEvent> {
  let finish: FinishReason = 'stop';
  let usage: Usage = { inputTokens: 0, outputTokens: 0 };
  for await (const data of src) {
    if (data === '[DONE]') {
      yield { type: 'done', usage, finishReason: finish };
      return;
    }
    const c = parseJsonLine<OpenAIChunk>(data, 'openai');
    if (c.error) throw new UpstreamFailure('Interrupted', `openai: ${(c.error.message ?? 'error').slice(0, 200)}`);
    const choice = c.choices?.[0];
    const text = choice?.delta?.content;
    if (text) yield { type: 'delta', text };
    if (choice?.finish_reason) finish = choice.finish_reason === 'length' ? 'length' : 'stop';
    if (c.usage) usage = { inputTokens: c.usage.prompt_tokens ?? 0, outputTokens: c.usage.completion_tokens ?? 0 };
  }
  throw new UpstreamFailure('Interrupted', 'openai ended the stream without [DONE]');
}

export function openaiAdapter(flavour: 'openai' | 'compatible'): ProviderAdapter {
  const auth = (key?: string): Record<string, string> => (key ? { authorization: `Bearer ${key}` } : {});
  return {
    async chat(req, t, signal) {
      const res = await postJson(`${t.baseURL}/chat/completions`, openaiChatBody(req, t.model, flavour), { ...auth(t.apiKey), ...t.headers }, signal, t.tls);
      return openaiEvents(sseData(res));
    },
    async embed(req, t, signal) {
      const res = await postJson(`${t.baseURL}/embeddings`, { model: t.model, input: req.input }, { ...auth(t.apiKey), ...t.headers }, signal, t.tls);
      const j = await readJson<{ data?: { index: number; embedding: number[] }[]; usage?: { prompt_tokens?: number } }>(res, 'openai');
      if (!Array.isArray(j.data)) throw new UpstreamFailure('Protocol', 'openai: embeddings response has no data');
      const embeddings = [...j.data].sort((a, b) => a.index - b.index).map((d) => d.embedding);
      return { embeddings, usage: { inputTokens: j.usage?.prompt_tokens ?? 0, outputTokens: 0 } };
    },
  };
}
