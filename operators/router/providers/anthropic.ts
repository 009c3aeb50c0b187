import { parseToolArguments, type ChatMessage, type ChatRequest, type FinishReason, type StreamEvent } from '../canonical.js';
import { DEFAULT_MAX_TOKENS } from '../../model/lanes/spec.js';
import { parseJsonLine, postJson, sseData, UpstreamFailure } from './http.js';
import type { ProviderAdapter } from './types.js';

export const ANTHROPIC_VERSION = '2023-06-01';

type Block = { type: 'text'; text: string } | { type: 'tool_use'; id: string; name: string; input: Record<string, unknown> } | { type: 'tool_result'; tool_use_id: string; content: string };

function blocks(m: ChatMessage): Block[] {
  if (m.role === 'tool') return [{ type: 'tool_result', tool_use_id: m.toolCallId ?? '', content: m.content }];
  const out: Block[] = m.content ? [{ type: 'text', text: m.content }] : [];
  for (const c of m.toolCalls ?? []) out.push({ type: 'tool_use', id: c.id, name: c.name, input: c.arguments });
  return out;
}

/**
 * Messages API: system prompts go in "system"; tool results are user content blocks; turns of
 * the same role are merged, since the API wants user and assistant to alternate.
 */
export function anthropicBody(req: ChatRequest, model: string) {
  const system = req.messages.filter((m) => m.role === 'system').map((m) => m.content).join('\n\n');
  const messages: { role: 'user' | 'assistant'; content: string | Block[] }[] = [];
  for (const m of req.messages) {
    if (m.role === 'system') continue;
    const role = m.role === 'assistant' ? 'assistant' : 'user';
    const simple = m.role !== 'tool' && !m.toolCalls;
    const last = messages[messages.length - 1];
    if (last && last.role === role) {
      const prev: Block[] = typeof last.content === 'string' ? (last.content ? [{ type: 'text', text: last.content }] : []) : last.content;
      last.content = [...prev, ...blocks(m)];
    } else {
      messages.push({ role, content: simple ? m.content : blocks(m) });
    }
  }
  const body: Record<string, unknown> = { model, max_tokens: req.maxTokens ?? DEFAULT_MAX_TOKENS, messages, stream: true };
  if (system) body.system = system;
  if (req.temperature !== undefined) body.temperature = req.temperature;
  if (req.topP !== undefined) body.top_p = req.topP;
  if (req.stop) body.stop_sequences = req.stop;
  if (req.tools) body.tools = req.tools.map((t) => ({ name: t.name, ...(t.description ? { description: t.description } : {}), input_schema: t.parameters }));
  return body;
}

interface AnthropicEvent {
  type: string;
  index?: number;
  content_block?: { type?: string; id?: string; name?: string };
  message?: { usage?: { input_tokens?: number; output_tokens?: number } };
  delta?: { type?: string; text?: string; partial_json?: string; stop_reason?: string | null };
  usage?: { output_tokens?: number; input_tokens?: number };
  error?: { type?: string; message?: string };
}

/** message_start (input tokens), content_block_delta (text), message_delta (stop reason, output tokens), message_stop. */
export async function* anthropicEvents(src: AsyncIterable<string>): AsyncGenerator<StreamEvent> {
  let input = 0;
  let output = 0;
  let finish: FinishReason = 'stop';
  // tool_use blocks stream their input as JSON fragments; the call is complete at content_block_stop.
  const toolBlocks = new Map<number, { id: string; name: string; json: string }>();
  for await (const data of src) {
    const e = parseJsonLine<AnthropicEvent>(data, 'anthropic');
    switch (e.type) {
      case 'content_block_start':
        if (e.content_block?.type === 'tool_use') toolBlocks.set(e.index ?? 0, { id: e.content_block.id ?? '', name: e.content_block.name ?? '', json: '' });
        break;
      case 'content_block_stop': {
        const t = toolBlocks.get(e.index ?? 0);
        if (t) {
          toolBlocks.delete(e.index ?? 0);
          yield { type: 'tool_call', call: { id: t.id, name: t.name, arguments: parseToolArguments(t.json) } };
        }
        break;
      }
      case 'message_start':
        input = e.message?.usage?.input_tokens ?? 0;
        output = e.message?.usage?.output_tokens ?? 0;
        break;
      case 'content_block_delta':
        if (e.delta?.type === 'text_delta' && e.delta.text) yield { type: 'delta', text: e.delta.text };
        else if (e.delta?.type === 'input_json_delta') {
          const t = toolBlocks.get(e.index ?? 0);
          if (t) t.json += e.delta.partial_json ?? '';
        }
        break;
      case 'message_delta':
        if (e.delta?.stop_reason === 'max_tokens') finish = 'length';
        else if (e.delta?.stop_reason === 'tool_use') finish = 'tool_calls';
        if (e.usage?.output_tokens !== undefined) output = e.usage.output_tokens;
        if (e.usage?.input_tokens !== undefined) input = e.usage.input_tokens;
        break;
      case 'message_stop':
        yield { type: 'done', usage: { inputTokens: input, outputTokens: output }, finishReason: finish };
        return;
      case 'error':
        throw new UpstreamFailure(e.error?.type === 'overloaded_error' ? 'ServerError' : 'Interrupted', `anthropic: ${(e.error?.message ?? 'error').slice(0, 200)}`);
      default:
        break; // ping
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
