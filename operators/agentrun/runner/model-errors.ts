// How a failed model call ends the run. The lane router answers in OpenAI's error envelope with
// its own `category` and `code` (operators/router/errors.ts).
import type { EndReason, Outcome } from './output.js';

export interface ModelFailure {
  outcome: Outcome;
  reason: EndReason;
  message: string;
}

interface RouterErrorBody {
  message?: string;
  code?: string;
  category?: string;
}

function routerError(responseBody: unknown): RouterErrorBody | undefined {
  if (typeof responseBody !== 'string') return undefined;
  try {
    const parsed = JSON.parse(responseBody) as { error?: unknown };
    return typeof parsed?.error === 'object' && parsed.error !== null ? (parsed.error as RouterErrorBody) : undefined;
  } catch {
    return undefined;
  }
}

/** The API call error inside the SDK's wrappers (a RetryError keeps the last attempt's). */
function apiError(err: unknown): { statusCode?: number; responseBody?: unknown; message: string } {
  let e = err as { lastError?: unknown; statusCode?: number; responseBody?: unknown; message?: string; cause?: unknown };
  for (let i = 0; i < 3 && e && typeof e === 'object' && e.statusCode === undefined && (e.lastError ?? e.cause); i++) {
    e = (e.lastError ?? e.cause) as typeof e;
  }
  return { statusCode: e?.statusCode, responseBody: e?.responseBody, message: typeof e?.message === 'string' && e.message ? e.message : String(err) };
}

/**
 * The router's 429 `run_token_limit` (the run's own token limit: the token Secret's
 * agentlab.dev/max-tokens, or the lane's maxTokensPerRun) ends the run as
 * LimitExceeded/MaxTokens; its 429 `budget_exceeded` (the lane's period budget) is a failure
 * (BudgetExceeded), as is an upstream rate limit (ModelError); 401 means the token was refused
 * (unknown, revoked, expired).
 */
export function classifyModelError(err: unknown): ModelFailure {
  const { statusCode, responseBody, message } = apiError(err);
  const body = routerError(responseBody);
  const text = body?.message ?? message;
  if (statusCode === 429 && body?.code === 'run_token_limit') return { outcome: 'LimitExceeded', reason: 'MaxTokens', message: `the router refused the next model call: ${text}` };
  if (statusCode === 429 && body?.code === 'budget_exceeded') return { outcome: 'Failed', reason: 'BudgetExceeded', message: `the router refused the next model call: ${text}` };
  if (statusCode === 401) return { outcome: 'Failed', reason: 'Unauthorized', message: `the router refused the run's token: ${text}` };
  const status = statusCode !== undefined ? ` (HTTP ${statusCode})` : '';
  return { outcome: 'Failed', reason: 'ModelError', message: `model call failed${status}: ${text}` };
}
