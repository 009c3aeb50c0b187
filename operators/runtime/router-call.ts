// Calls of the lane router's OpenAI-compatible chat API by the operator itself (Flow model and
// verify nodes, HardwareTask analysis steps), with the task's or flow's own router token.

/** The OpenAI-compatible request the operator sends to the lane router (POST /v1/chat/completions). */
export interface ChatRequest {
  model: string;
  messages: { role: 'system' | 'user'; content: string }[];
  stream: false;
  temperature?: number;
  max_tokens?: number;
}

export interface ModelAnswer {
  answer: string;
  promptTokens: number;
  completionTokens: number;
}

/** A failed call: `status` is the router's HTTP status (0 when it was not reached). */
export class ModelCallError extends Error {
  constructor(message: string, readonly status: number) {
    super(message);
    this.name = 'ModelCallError';
  }
}

/** Reads the router's answer or error body (OpenAI shapes) into an answer or a ModelCallError. */
export function parseChatResponse(status: number, body: unknown): ModelAnswer {
  const b = (body ?? {}) as { choices?: { message?: { content?: unknown } }[]; usage?: { prompt_tokens?: number; completion_tokens?: number }; error?: { message?: string } | string };
  if (status < 200 || status >= 300) {
    const msg = typeof b.error === 'string' ? b.error : b.error?.message ?? JSON.stringify(body).slice(0, 300);
    throw new ModelCallError(`the lane router answered ${status}: ${msg}`, status);
  }
  const content = b.choices?.[0]?.message?.content;
  if (typeof content !== 'string') throw new ModelCallError('the lane router answered without choices[0].message.content', status);
  return { answer: content, promptTokens: b.usage?.prompt_tokens ?? 0, completionTokens: b.usage?.completion_tokens ?? 0 };
}

/**
 * The Idempotency-Key of one attempt of an operator's model call: `<uid>/<node or step>/<attempt>`.
 * A repeat of the same attempt (the operator died before it wrote the answer to status) sends the
 * same key, so the lane router replays the first call's answer; a retry is a new attempt and key.
 */
export function modelCallKey(uid: string, step: string, attempt: number): string {
  return `${uid}/${step}/${attempt}`;
}

export interface CallOptions {
  url: string;
  token: string;
  /** Sent as the Idempotency-Key header (see modelCallKey). */
  idempotencyKey?: string;
  fetch?: typeof fetch;
  timeoutMs: number;
  /** Keep retrying a 401 until this time (a token Secret the router has not seen yet). */
  unauthorizedUntil?: number;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

/** How often a call asks again while the caller's namespace is in no lane yet. */
export const NO_LANE_RETRY_MS = 2000;

/** The router's 403 for a namespace no LanePolicy selects (yet): applied together, the lane may land after the flow. */
function inNoLane(status: number, body: unknown): boolean {
  return status === 403 && (body as { error?: { code?: unknown } } | undefined)?.error?.code === 'no_lane';
}

/**
 * One call through the lane router; a 401 right after the token was issued is retried until the
 * router knows it, and a 403 `no_lane` (the namespace is in no lane yet) every NO_LANE_RETRY_MS
 * until the attempt's deadline, as a Pod waits for the ConfigMap it names: a LanePolicy applied
 * with the Flow or HardwareTask may reach the router after the first call. Past the deadline the
 * router's refusal is the error.
 */
export async function callRouter(req: ChatRequest, opts: CallOptions): Promise<ModelAnswer> {
  const doFetch = opts.fetch ?? fetch;
  const sleep = opts.sleep ?? ((ms: number) => new Promise((r) => setTimeout(r, ms)));
  const now = opts.now ?? Date.now;
  const deadline = now() + opts.timeoutMs;
  const signal = AbortSignal.timeout(opts.timeoutMs);
  for (;;) {
    let res: Response;
    try {
      res = await doFetch(`${opts.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${opts.token}`, ...(opts.idempotencyKey ? { 'idempotency-key': `"${opts.idempotencyKey}"` } : {}) },
        body: JSON.stringify(req),
        signal,
      });
    } catch (err) {
      const e = err as Error;
      if (e.name === 'TimeoutError' || signal.aborted) throw new ModelCallError(`no answer within ${opts.timeoutMs >= 1000 ? `${Math.round(opts.timeoutMs / 1000)}s` : `${opts.timeoutMs}ms`} (the attempt's time limit)`, 0);
      throw new ModelCallError(`cannot reach the lane router at ${opts.url}: ${e.message}`, 0);
    }
    const body = await res.json().catch(() => undefined);
    if (res.status === 401 && opts.unauthorizedUntil !== undefined && Date.now() < opts.unauthorizedUntil) {
      await sleep(300);
      continue;
    }
    if (inNoLane(res.status, body) && now() + NO_LANE_RETRY_MS < deadline) {
      await sleep(NO_LANE_RETRY_MS);
      continue;
    }
    return parseChatResponse(res.status, body);
  }
}
