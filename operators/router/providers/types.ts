import type { ChatRequest, EmbedRequest, EmbedResult, StreamEvent } from '../canonical.js';
import type { Target } from './http.js';

/**
 * What an adapter uses of its attempt's abort signal. An AbortSignal has it; the dispatcher passes
 * a lighter object (an AbortController and its EventTarget per request cost measurably).
 */
export interface AttemptSignal {
  readonly aborted: boolean;
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

/**
 * What an answer yields: one event, or the events of one upstream read together (a batch spares
 * the consumer a promise round trip per event; it holds no more than that read brought).
 */
export type StreamItem = StreamEvent | readonly StreamEvent[];

/**
 * An answer that can also hand its batches over synchronously as they arrive (LineEventStream
 * `consume`), sparing the consumer a promise per chunk; the dispatcher uses it where offered.
 */
export interface PushedEvents<E = StreamEvent> {
  consume(onBatch: (batch: E[]) => boolean): Promise<void>;
}

export interface ProviderAdapter {
  /**
   * Sends the request; resolves once the provider accepted it (2xx headers), with its answer as
   * a stream of events that is read chunk by chunk as the bytes arrive.
   */
  chat(req: ChatRequest, t: Target, signal: AttemptSignal): Promise<AsyncIterable<StreamItem>>;
  /** Absent when the provider has no embeddings API (Anthropic). */
  embed?(req: EmbedRequest, t: Target, signal: AttemptSignal): Promise<EmbedResult>;
}
