/**
 * The router's dialect-neutral request and stream model. Caller dialects (Ollama, OpenAI) parse
 * into it and render out of it; provider adapters translate it to each wire format.
 */
export type Role = 'system' | 'user' | 'assistant' | 'tool';

/** A function the model may call (JSON Schema parameters, as every provider takes them). */
export interface ToolDef { name: string; description?: string; parameters: Record<string, unknown> }
export interface ToolCall { id: string; name: string; arguments: Record<string, unknown> }

export interface ChatMessage {
  role: Role;
  content: string;
  /** assistant: the calls it made. */
  toolCalls?: ToolCall[];
  /** tool: which call this is the result of, and that call's function name. */
  toolCallId?: string;
  toolName?: string;
}

export interface ChatRequest {
  kind: 'chat';
  model: string;
  messages: ChatMessage[];
  maxTokens?: number;
  temperature?: number;
  topP?: number;
  stop?: string[];
  tools?: ToolDef[];
  stream: boolean;
}

export interface EmbedRequest { kind: 'embed'; model: string; input: string[] }

export interface Usage { inputTokens: number; outputTokens: number }

export type FinishReason = 'stop' | 'length' | 'tool_calls';
export type StreamEvent =
  /** `json`: the text as the JSON string literal the provider sent, when it has one (spares the sink re-encoding it). */
  | { type: 'delta'; text: string; json?: string }
  | { type: 'tool_call'; call: ToolCall }
  | { type: 'done'; usage: Usage; finishReason: FinishReason };

/**
 * Gives tool results the id and function name of the call they answer when the caller's dialect
 * does not carry them (Ollama): the n-th tool message after an assistant turn answers its n-th call.
 */
export function linkToolResults(messages: ChatMessage[]): ChatMessage[] {
  let calls: ToolCall[] = [];
  let next = 0;
  return messages.map((m) => {
    if (m.role === 'assistant') {
      calls = m.toolCalls ?? [];
      next = 0;
      return m;
    }
    if (m.role !== 'tool') return m;
    const byId = m.toolCallId ? calls.find((c) => c.id === m.toolCallId) : undefined;
    const call = byId ?? (m.toolCallId ? undefined : calls[next]);
    next++;
    return { ...m, toolCallId: m.toolCallId ?? call?.id, toolName: m.toolName ?? call?.name };
  });
}

/** Parses JSON-encoded tool arguments; a model that emitted invalid JSON gets its text kept under "_raw". */
export function parseToolArguments(text: string): Record<string, unknown> {
  if (text.trim() === '') return {};
  try {
    const v = JSON.parse(text) as unknown;
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : { _value: v };
  } catch {
    return { _raw: text };
  }
}

export interface EmbedResult { embeddings: number[][]; usage: Usage }

/** Upper bound on a request's prompt tokens, for reservations: no tokenizer yields more tokens than UTF-8 bytes. */
export function promptTokenBound(req: ChatRequest | EmbedRequest): number {
  if (req.kind === 'embed') return req.input.reduce((n, s) => n + Buffer.byteLength(s) + 1, 0);
  const tools = req.tools ? Buffer.byteLength(JSON.stringify(req.tools)) : 0;
  return req.messages.reduce((n, m) => n + Buffer.byteLength(m.content) + (m.toolCalls ? Buffer.byteLength(JSON.stringify(m.toolCalls)) : 0) + 4, tools);
}
