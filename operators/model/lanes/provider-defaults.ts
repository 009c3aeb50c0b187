import type { ProviderType } from './spec.js';

/**
 * Public endpoints of the cloud providers, used unless a lane overrides baseURL: the router sends
 * requests there and the LanePolicy controller opens the lane's egress to them.
 */
export const DEFAULT_BASE_URLS: Partial<Record<ProviderType, string>> = {
  anthropic: 'https://api.anthropic.com',
  openai: 'https://api.openai.com/v1',
  gemini: 'https://generativelanguage.googleapis.com',
};
