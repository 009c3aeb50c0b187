import type { ChatRequest, FinishReason, StreamEvent } from '../canonical.js';
import { DEFAULT_MAX_TOKENS } from '../../lanepolicy/spec.js';
import { parseJsonLine, postJson, sseData, UpstreamFailure } from './http.js';
import type { ProviderAdapter } from './types.js';

export const ANTHROPIC_BASE_URL = 'https://api.anthropic.com';
export const ANTHROPIC_VERSION = '2023-06-01';

/** Messages API: system prompts go in "system"; only user and assistant turns are messages. */
export function anthropicBody(req: ChatRequest, model: string) {
  const system = req.messages.filter((m) => m.role === 'system').map((m) => m.content).join('\n\n');
  const messages = req.messages
    .filter((m) => m.role !== 'system')
    .map((m) => ({ role: m.role === 'assistant' ? 'assistant' : 'user', content: m.content }));
  const body: Record<string, unknown> = { model, max_tokens: req.maxTokens ?? DEFAULT_MAX_TOKENS, messages, stream: true };
  if (system) body.system = system;
  if (req.temperature !== undefined) body.temperature = req.temperature;
  if (req.topP !== undefined) body.top_p = req.topP;
  if (req.stop) body.stop_sequences = req.stop;
  return body;
}

interface AnthropicEvent {
  type: string;
  message?: { usage?: { input_tokens?: number; output_tokens?: number } };
  delta?: { type?: string; text?: string; stop_reason?: string | null };
  usage?: { output_tokens?: number; input_tokens?: number };
  error?: { type?: string; message?: string };
}

/** message_start (input tokens), content_block_delta (text), message_delta (stop reason, output tokens), message_stop. */
export async function* anthropicEvents(src: AsyncIterable<string>): AsyncGenerator<StreamEvent> {
  let input = 0;
  let output = 0;
  let finish: FinishReason = 'stop';
  for await (const data of src) {
    const e = parseJsonLine<AnthropicEvent>(data, 'anthropic');
    switch (e.type) {
      case 'message_start':
        input = e.message?.usage?.input_tokens ?? 0;
        output = e.message?.usage?.output_tokens ?? 0;
        break;
      case 'content_block_delta':
        if (e.delta?.type === 'text_delta' && e.delta.text) yield { type: 'delta', text: e.delta.text };
        break;
      case 'message_delta':
        if (e.delta?.stop_reason === 'max_tokens') finish = 'length';
        if (e.usage?.output_tokens !== undefined) output = e.usage.output_tokens;
        if (e.usage?.input_tokens !== undefined) input = e.usage.input_tokens;
        break;
      case 'message_stop':
        yield { type: 'done', usage: { inputTokens: input, outputTokens: output }, finishReason: finish };
        return;
      case 'error':
        throw new UpstreamFailure(e.error?.type === 'overloaded_error' ? 'ServerError' : 'Interrupted', `anthropic: ${(e.error?.message ?? 'error').slice(0, 200)}`);
      default:
        break; // ping, content_block_start/stop
    }
  }
  throw new UpstreamFailure('Interrupted', 'anthropic ended the stream without message_stop');
}

export const anthropicAdapter: ProviderAdapter = {
  async chat(req, t, signal) {
    const headers: Record<string, string> = { 'anthropic-version': ANTHROPIC_VERSION, ...t.headers };
    if (t.apiKey) headers['x-api-key'] = t.apiKey;
    const res = await postJson(`${t.baseURL}/v1/messages`, anthropicBody(req, t.model), headers, signal, t.tls);
    return anthropicEvents(sseData(res));
  },
};
