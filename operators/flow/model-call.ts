import type { FlowNode } from '../api/generated/flow.js';
import type { ChatRequest } from '../runtime/router-call.js';
import { declaredOutputs } from './outputs.js';

/**
 * The request of a model node, from its substituted prompt and system prompt. Format json adds
 * an instruction naming the keys and types of the declared outputs (the router has no
 * response_format; the answer is checked against the declared outputs when it arrives).
 */
export function modelRequest(node: FlowNode, prompt: string, system: string | undefined): ChatRequest {
  const m = node.model!;
  let sys = system;
  if ((m.format ?? 'text') === 'json') {
    const keys = declaredOutputs(node).map((o) => `"${o.name}" (${o.type})`).join(', ');
    const rule = `Answer with one JSON object and nothing else. Its keys: ${keys || 'none'}.`;
    sys = sys ? `${sys}\n\n${rule}` : rule;
  }
  const messages: ChatRequest['messages'] = [];
  if (sys) messages.push({ role: 'system', content: sys });
  messages.push({ role: 'user', content: prompt });
  const req: ChatRequest = { model: m.model ?? 'default', messages, stream: false };
  if (m.temperature !== undefined) req.temperature = Number(m.temperature);
  if (m.maxTokens !== undefined) req.max_tokens = m.maxTokens;
  return req;
}
