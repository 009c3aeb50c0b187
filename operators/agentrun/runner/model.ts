// The run's model: its lane's logical model name behind the lane router's OpenAI-compatible API.
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import type { LanguageModel } from 'ai';

/**
 * `routerUrl` is the router's base URL (the API is under /v1); the token goes in the
 * Authorization header only. Usage is requested on streams (stream_options.include_usage) so
 * that the loop can count tokens against limits.maxTokens.
 */
export function routerModel(routerUrl: string, token: string, model: string): LanguageModel {
  const provider = createOpenAICompatible({ name: 'agentlab-router', baseURL: `${routerUrl.replace(/\/+$/, '')}/v1`, apiKey: token, includeUsage: true });
  return provider.chatModel(model);
}
