import type { ProviderType } from '../../model/lanes/spec.js';
import { anthropicAdapter } from './anthropic.js';
import { geminiAdapter } from './gemini.js';
import { ollamaAdapter } from './ollama.js';
import { openaiAdapter } from './openai.js';
import type { ProviderAdapter } from './types.js';

export const ADAPTERS: Record<ProviderType, ProviderAdapter> = {
  ollama: ollamaAdapter,
  anthropic: anthropicAdapter,
  openai: openaiAdapter('openai'),
  gemini: geminiAdapter,
  'openai-compatible': openaiAdapter('compatible'),
};
