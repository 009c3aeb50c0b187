import { parseToolArguments, type ChatRequest, type FinishReason, type StreamEvent, type Usage } from '../canonical.js';
import { parseJsonLine, postJson, readJson, sseData, UpstreamFailure } from './http.js';
import type { ProviderAdapter } from './types.js';

interface OpenAIChunk {
  choices?: {
    delta?: { content?: string | null; tool_calls?: { index?: number; id?: string; function?: { name?: string; arguments?: string } }[] };
    finish_reason?: string | null;
  }[];
  usage?: { prompt_tokens?: number; completion_tokens?: number } | null;
  error?: { message?: string };
}

/** OpenAI proper wants max_completion_tokens; compatible servers (vLLM, LM Studio) know max_tokens. */
export function openaiChatBody(req: ChatRequest, model: string, flavour: 'openai' | 'compatible') {
  const messages = req.messages.map((m) => {
    if (m.role === 'tool') return { role: 'tool', tool_call_id: m.toolCallId ?? '', content: m.content };
    if (m.toolCalls) {
      return {
        role: m.role,
        content: m.content === '' ? null : m.content,
        tool_calls: m.toolCalls.map((c) => ({ id: c.id, type: 'function', function: { name: c.name, arguments: JSON.stringify(c.arguments) } })),
      };
    }
    return { role: m.role, content: m.content };
  });
  const body: Record<string, unknown> = { model, messages, stream: true, stream_options: { include_usage: true } };
  if (req.tools) body.tools = req.tools.map((t) => ({ type: 'function', function: { name: t.name, ...(t.description ? { description: t.description } : {}), parameters: t.parameters } }));
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
  // Tool calls arrive as fragments keyed by index; a call is complete when the choice finishes.
  const calls = new Map<number, { id: string; name: string; args: string }>();
  const flushCalls = function* (): Generator<StreamEvent> {
    for (const c of [...calls.entries()].sort((a, b) => a[0] - b[0]).map(([, v]) => v)) {
      yield { type: 'tool_call', call: { id: c.id, name: c.name, arguments: parseToolArguments(c.args) } };
    }
    calls.clear();
  };
  for await (const data of src) {
    if (data === '[DONE]') {
      yield* flushCalls();
      yield { type: 'done', usage, finishReason: finish };
      return;
    }
    const c = parseJsonLine<OpenAIChunk>(data, 'openai');
    if (c.error) throw new UpstreamFailure('Interrupted', `openai: ${(c.error.message ?? 'error').slice(0, 200)}`);
    const choice = c.choices?.[0];
    const text = choice?.delta?.content;
    if (text) yield { type: 'delta', text };
    for (const tc of choice?.delta?.tool_calls ?? []) {
      const i = tc.index ?? 0;
      const cur = calls.get(i) ?? { id: '', name: '', args: '' };
      if (tc.id) cur.id = tc.id;
      if (tc.function?.name) cur.name = tc.function.name;
      if (tc.function?.arguments) cur.args += tc.function.arguments;
      calls.set(i, cur);
    }
    if (choice?.finish_reason) {
      finish = choice.finish_reason === 'length' ? 'length' : choice.finish_reason === 'tool_calls' ? 'tool_calls' : 'stop';
      yield* flushCalls();
    }
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
