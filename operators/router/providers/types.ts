import type { ChatRequest, EmbedRequest, EmbedResult, StreamEvent } from '../canonical.js';
import type { Target } from './http.js';

export interface ProviderAdapter {
  /**
   * Sends the request; resolves once the provider accepted it (2xx headers), with its answer as
   * a stream of events that is read chunk by chunk as the bytes arrive.
   */
  chat(req: ChatRequest, t: Target, signal: AbortSignal): Promise<AsyncIterable<StreamEvent>>;
  /** Absent when the provider has no embeddings API (Anthropic). */
  embed?(req: EmbedRequest, t: Target, signal: AbortSignal): Promise<EmbedResult>;
}
