import type { ChatRequest, FinishReason, StreamEvent } from '../canonical.js';
import { parseJsonLine, postJson, readJson, sseData, UpstreamFailure } from './http.js';
import type { ProviderAdapter } from './types.js';

export const GEMINI_BASE_URL = 'https://generativelanguage.googleapis.com';

export function geminiBody(req: ChatRequest) {
  const system = req.messages.filter((m) => m.role === 'system').map((m) => m.content).join('\n\n');
  const contents = req.messages
    .filter((m) => m.role !== 'system')
    .map((m) => ({ role: m.role === 'assistant' ? 'model' : 'user', parts: [{ text: m.content }] }));
  const generationConfig: Record<string, unknown> = {};
  if (req.maxTokens !== undefined) generationConfig.maxOutputTokens = req.maxTokens;
  if (req.temperature !== undefined) generationConfig.temperature = req.temperature;
  if (req.topP !== undefined) generationConfig.topP = req.topP;
  if (req.stop) generationConfig.stopSequences = req.stop;
  return { contents, ...(system ? { systemInstruction: { parts: [{ text: system }] } } : {}), generationConfig };
}

interface GeminiChunk {
  candidates?: { content?: { parts?: { text?: string }[] }; finishReason?: string }[];
  usageMetadata?: { promptTokenCount?: number; candidatesTokenCount?: number };
  error?: { message?: string };
}

/** streamGenerateContent?alt=sse: every event is a full GenerateContentResponse; the stream just ends. */
export async function* geminiEvents(src: AsyncIterable<string>): AsyncGenerator<StreamEvent> {
  let finish: FinishReason = 'stop';
  let input = 0;
  let output = 0;
  let finished = false;
  for await (const data of src) {
    const c = parseJsonLine<GeminiChunk>(data, 'gemini');
    if (c.error) throw new UpstreamFailure('Interrupted', `gemini: ${(c.error.message ?? 'error').slice(0, 200)}`);
    const cand = c.candidates?.[0];
    for (const p of cand?.content?.parts ?? []) if (p.text) yield { type: 'delta', text: p.text };
    if (cand?.finishReason) {
      finished = true;
      finish = cand.finishReason === 'MAX_TOKENS' ? 'length' : 'stop';
    }
    if (c.usageMetadata) {
      input = c.usageMetadata.promptTokenCount ?? input;
      output = c.usageMetadata.candidatesTokenCount ?? output;
    }
  }
  if (!finished) throw new UpstreamFailure('Interrupted', 'gemini ended the stream without a finishReason');
  yield { type: 'done', usage: { inputTokens: input, outputTokens: output }, finishReason: finish };
}

export const geminiAdapter: ProviderAdapter = {
  async chat(req, t, signal) {
    const headers: Record<string, string> = { ...t.headers };
    if (t.apiKey) headers['x-goog-api-key'] = t.apiKey;
    const url = `${t.baseURL}/v1beta/models/${encodeURIComponent(t.model)}:streamGenerateContent?alt=sse`;
    const res = await postJson(url, geminiBody(req), headers, signal, t.tls);
    return geminiEvents(sseData(res));
  },
  async embed(req, t, signal) {
    const headers: Record<string, string> = { ...t.headers };
    if (t.apiKey) headers['x-goog-api-key'] = t.apiKey;
    const url = `${t.baseURL}/v1beta/models/${encodeURIComponent(t.model)}:batchEmbedContents`;
    const body = { requests: req.input.map((text) => ({ model: `models/${t.model}`, content: { parts: [{ text }] } })) };
    const res = await postJson(url, body, headers, signal, t.tls);
    const j = await readJson<{ embeddings?: { values: number[] }[] }>(res, 'gemini');
    if (!Array.isArray(j.embeddings)) throw new UpstreamFailure('Protocol', 'gemini: batchEmbedContents response has no embeddings');
    // Gemini does not report embedding token counts; approximate at 4 bytes a token for accounting.
    const inputTokens = req.input.reduce((n, s) => n + Math.ceil(Buffer.byteLength(s) / 4), 0);
    return { embeddings: j.embeddings.map((e) => e.values), usage: { inputTokens, outputTokens: 0 } };
  },
};
