import type { ProviderType } from '../../lanepolicy/spec.js';
import { anthropicAdapter, ANTHROPIC_BASE_URL } from './anthropic.js';
import { geminiAdapter, GEMINI_BASE_URL } from './gemini.js';
import { ollamaAdapter } from './ollama.js';
import { openaiAdapter, OPENAI_BASE_URL } from './openai.js';
import type { ProviderAdapter } from './types.js';

export const ADAPTERS: Record<ProviderType, ProviderAdapter> = {
  ollama: ollamaAdapter,
  anthropic: anthropicAdapter,
  openai: openaiAdapter('openai'),
  gemini: geminiAdapter,
  'openai-compatible': openaiAdapter('compatible'),
};

/** Public endpoints of the cloud providers, used unless a lane overrides baseURL. */
export const DEFAULT_BASE_URLS: Partial<Record<ProviderType, string>> = {
  anthropic: ANTHROPIC_BASE_URL,
  openai: OPENAI_BASE_URL,
  gemini: GEMINI_BASE_URL,
};
