/**
 * The router's dialect-neutral request and stream model. Caller dialects (Ollama, OpenAI) parse
 * into it and render out of it; provider adapters translate it to each wire format.
 */
export type Role = 'system' | 'user' | 'assistant' | 'tool';
export interface ChatMessage { role: Role; content: string }

export interface ChatRequest {
  kind: 'chat';
  model: string;
  messages: ChatMessage[];
  maxTokens?: number;
  temperature?: number;
  topP?: number;
  stop?: string[];
  stream: boolean;
}

export interface EmbedRequest { kind: 'embed'; model: string; input: string[] }

export interface Usage { inputTokens: number; outputTokens: number }

export type FinishReason = 'stop' | 'length';
export type StreamEvent = { type: 'delta'; text: string } | { type: 'done'; usage: Usage; finishReason: FinishReason };

export interface EmbedResult { embeddings: number[][]; usage: Usage }

/** Upper bound on a request's prompt tokens, for reservations: no tokenizer yields more tokens than UTF-8 bytes. */
export function promptTokenBound(req: ChatRequest | EmbedRequest): number {
  if (req.kind === 'embed') return req.input.reduce((n, s) => n + Buffer.byteLength(s) + 1, 0);
  return req.messages.reduce((n, m) => n + Buffer.byteLength(m.content) + 4, 0);
}
