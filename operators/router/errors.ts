/**
 * One error taxonomy for everything the router refuses or fails, rendered in both dialects.
 * Messages never contain request bodies, prompts or keys.
 */
export type ErrorCategory = 'validation' | 'auth' | 'policy' | 'budget' | 'upstream';

export class RouterError extends Error {
  constructor(
    readonly category: ErrorCategory,
    readonly status: number,
    readonly code: string,
    message: string,
    readonly provider?: string,
  ) {
    super(message);
  }
}

export const validationError = (message: string, code = 'invalid_request') => new RouterError('validation', 400, code, message);
export const authError = (message: string) => new RouterError('auth', 401, 'invalid_token', message);
export const policyError = (message: string, status = 403, code = 'lane_policy') => new RouterError('policy', status, code, message);
export const budgetError = (message: string) => new RouterError('budget', 429, 'budget_exceeded', message);
export const upstreamError = (provider: string, message: string, status = 502, code = 'upstream_error') => new RouterError('upstream', status, code, message, provider);

const OPENAI_TYPES: Record<ErrorCategory, string> = {
  validation: 'invalid_request_error',
  auth: 'authentication_error',
  policy: 'permission_error',
  budget: 'insufficient_quota',
  upstream: 'api_error',
};

export interface RenderedError { status: number; body: Record<string, unknown> }

function fullMessage(e: RouterError, requestId: string): string {
  return `${e.message}${e.provider ? ` (provider ${e.provider})` : ''} [request ${requestId}]`;
}

/** OpenAI's error envelope: {"error": {"message", "type", "param", "code"}}, plus our category fields. */
export function renderOpenAIError(e: RouterError, requestId: string): RenderedError {
  return {
    status: e.status,
    body: {
      error: {
        message: fullMessage(e, requestId),
        type: OPENAI_TYPES[e.category],
        param: null,
        code: e.code,
        category: e.category,
        request_id: requestId,
        ...(e.provider ? { provider: e.provider } : {}),
      },
    },
  };
}

/** Ollama's error envelope is {"error": "<message>"}; extra fields are ignored by its clients. */
export function renderOllamaError(e: RouterError, requestId: string): RenderedError {
  return {
    status: e.status,
    body: { error: fullMessage(e, requestId), category: e.category, code: e.code, request_id: requestId, ...(e.provider ? { provider: e.provider } : {}) },
  };
}

/** Anything that is not a RouterError is our bug: report it without leaking its details. */
export function asRouterError(err: unknown): RouterError {
  if (err instanceof RouterError) return err;
  return new RouterError('upstream', 500, 'internal_error', 'internal router error');
}
