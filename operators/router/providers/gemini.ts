import type { ChatMessage, ChatRequest, FinishReason, StreamEvent } from '../canonical.js';

let callSeq = 0;

type Part = { text: string } | { functionCall: { name: string; args: Record<string, unknown> } } | { functionResponse: { name: string; response: Record<string, unknown> } };

function parts(m: ChatMessage): Part[] {
  if (m.role === 'tool') {
    let response: Record<string, unknown>;
    try {
      const v = JSON.parse(m.content) as unknown;
      response = typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : { content: v };
    } catch {
      response = { content: m.content };
    }
    return [{ functionResponse: { name: m.toolName ?? '', response } }];
  }
  const out: Part[] = m.content ? [{ text: m.content }] : [];
  for (const c of m.toolCalls ?? []) out.push({ functionCall: { name: c.name, args: c.arguments } });
  return out.length > 0 ? out : [{ text: '' }];
}
import { parseJsonLine, postJson, readJson, sseData, UpstreamFailure } from './http.js';
import type { ProviderAdapter } from './types.js';


export function geminiBody(req: ChatRequest) {
  const system = req.messages.filter((m) => m.role === 'system').map((m) => m.content).join('\n\n');
  const contents = req.messages
    .filter((m) => m.role !== 'system')
    .map((m) => ({ role: m.role === 'assistant' ? 'model' : 'user', parts: parts(m) }));
  const generationConfig: Record<string, unknown> = {};
  if (req.maxTokens !== undefined) generationConfig.maxOutputTokens = req.maxTokens;
  if (req.temperature !== undefined) generationConfig.temperature = req.temperature;
  if (req.topP !== undefined) generationConfig.topP = req.topP;
  if (req.stop) generationConfig.stopSequences = req.stop;
  const tools = req.tools ? [{ functionDeclarations: req.tools.map((t) => ({ name: t.name, ...(t.description ? { description: t.description } : {}), parameters: t.parameters })) }] : undefined;
  return { contents, ...(system ? { systemInstruction: { parts: [{ text: system }] } } : {}), ...(tools ? { tools } : {}), generationConfig };
}

interface GeminiChunk {
  candidates?: { content?: { parts?: { text?: string; functionCall?: { name?: string; args?: Record<string, unknown> } }[] }; finishReason?: string }[];
  usageMetadata?: { promptTokenCount?: number; candidatesTokenCount?: number };
  error?: { message?: string };
}

/** streamGenerateContent?alt=sse: every event is a full GenerateContentResponse; the stream just ends. */
export async function* geminiEvents(src: AsyncIterable<string>): AsyncGenerator<StreamEvent> {
  let finish: FinishReason = 'stop';
  let input = 0;
  let output = 0;
  let finished = false;
  let sawCalls = false;
  for await (const data of src) {
    const c = parseJsonLine<GeminiChunk>(data, 'gemini');
    if (c.error) throw new UpstreamFailure('Interrupted', `gemini: ${(c.error.message ?? 'error').slice(0, 200)}`);
    const cand = c.candidates?.[0];
    for (const p of cand?.content?.parts ?? []) {
      if (p.text) yield { type: 'delta', text: p.text };
      if (p.functionCall?.name) {
        sawCalls = true;
        yield { type: 'tool_call', call: { id: `call_${(++callSeq).toString(36)}`, name: p.functionCall.name, arguments: p.functionCall.args ?? {} } };
      }
    }
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
  // Gemini says STOP after function calls; callers of the other APIs expect "tool_calls".
  yield { type: 'done', usage: { inputTokens: input, outputTokens: output }, finishReason: sawCalls && finish === 'stop' ? 'tool_calls' : finish };
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
