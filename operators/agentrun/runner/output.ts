// What the runner writes for the AgentRun controller: one JSON line per event on stdout and the
// termination message. Pure functions: truncation, redaction, the exit code.

export type Outcome = 'Succeeded' | 'LimitExceeded' | 'Failed';

/**
 * Why the run ended (the termination message's `reason`): limits (LimitExceeded), or a failure:
 * the model API refused or failed (ModelError, Unauthorized, BudgetExceeded), the run was stopped
 * (Cancelled: SIGTERM), its config could not be used (ConfigError), it lists a tool this runner
 * does not implement (ToolNotImplemented), or the runner itself broke (RunnerError).
 */
export type EndReason =
  | 'Completed'
  | 'MaxTurns'
  | 'MaxTokens'
  | 'Timeout'
  | 'ModelError'
  | 'Unauthorized'
  | 'BudgetExceeded'
  | 'Cancelled'
  | 'ConfigError'
  | 'ToolNotImplemented'
  | 'RunnerError';

export interface RunSummary {
  outcome: Outcome;
  reason: EndReason;
  message: string;
  /** The agent's final answer (or its last words when it did not finish). */
  result: string;
  turns: number;
  toolCalls: number;
  toolErrors: number;
}

export interface ToolErrorInfo {
  code: string;
  message: string;
}

export type RunnerEvent =
  | { type: 'start'; turn: 0; run: { namespace: string; name: string; uid: string }; model: string; tools: string[]; limits: Record<string, number>; task?: string; systemPrompt?: string }
  | { type: 'assistant'; turn: number; text: string; truncated?: true }
  | { type: 'tool_call'; turn: number; id: string; name: string; args: string; truncated?: true }
  | { type: 'tool_result'; turn: number; id: string; name: string; ok: boolean; error?: ToolErrorInfo; output?: string; truncated?: true }
  | { type: 'limit'; turn: number; reason: EndReason; message: string }
  | { type: 'error'; turn: number; reason: EndReason; message: string }
  | { type: 'end'; turn: number; outcome: Outcome; reason: EndReason; turns: number; toolCalls: number; toolErrors: number; durationMs: number };

export const MAX_TEXT_BYTES = 4096;
export const MAX_ARGS_BYTES = 1024;
export const MAX_RESULT_BYTES = 2048;
export const MAX_TERMINATION_BYTES = 4096;
export const REDACTED = '[redacted]';

/** Cuts a string to at most `maxBytes` UTF-8 bytes without splitting a character. */
export function truncateUtf8(s: string, maxBytes: number): { text: string; truncated: boolean } {
  const buf = Buffer.from(s, 'utf8');
  if (buf.length <= maxBytes) return { text: s, truncated: false };
  let end = maxBytes;
  // Back up over continuation bytes (10xxxxxx) so the cut falls on a character boundary.
  while (end > 0 && (buf[end] & 0xc0) === 0x80) end--;
  return { text: buf.subarray(0, end).toString('utf8'), truncated: true };
}

/** Replaces every occurrence of each secret (the router token) with [redacted]. */
export function redact(s: string, secrets: readonly string[]): string {
  let out = s;
  for (const secret of secrets) if (secret.length >= 4) out = out.split(secret).join(REDACTED);
  return out;
}

/** A tool result's output as text for the transcript (JSON unless it is a string). */
export function outputText(v: unknown): string {
  if (typeof v === 'string') return v;
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}

/** Applies the per-field size limits of the contract to an event. */
export function boundEvent(e: RunnerEvent): RunnerEvent {
  switch (e.type) {
    case 'assistant': {
      const t = truncateUtf8(e.text, MAX_TEXT_BYTES);
      return { ...e, text: t.text, ...(t.truncated ? { truncated: true as const } : {}) };
    }
    case 'tool_call': {
      const t = truncateUtf8(e.args, MAX_ARGS_BYTES);
      return { ...e, args: t.text, ...(t.truncated ? { truncated: true as const } : {}) };
    }
    case 'tool_result': {
      if (e.output === undefined) return e;
      const t = truncateUtf8(e.output, MAX_TEXT_BYTES);
      const error = e.error ? { ...e.error, message: truncateUtf8(e.error.message, MAX_ARGS_BYTES).text } : undefined;
      return { ...e, ...(error ? { error } : {}), output: t.text, ...(t.truncated ? { truncated: true as const } : {}) };
    }
    case 'limit':
    case 'error':
      return { ...e, message: truncateUtf8(e.message, MAX_ARGS_BYTES).text };
    default:
      return e;
  }
}

/**
 * One stdout line: the event as JSON with secrets redacted, then bounded (redaction first, so a
 * cut cannot leave part of a token behind).
 */
export function eventLine(e: RunnerEvent, secrets: readonly string[]): string {
  const clean = JSON.parse(redact(JSON.stringify(e), secrets)) as RunnerEvent;
  return `${redact(JSON.stringify(boundEvent(clean)), secrets)}\n`;
}

/**
 * The termination message: JSON of at most 4096 bytes (the kubelet's limit), result at most
 * 2 KiB. If the whole is still too large, the message and then the result are cut further.
 */
export function terminationMessage(s: RunSummary, secrets: readonly string[]): string {
  const clean = (v: string) => redact(v, secrets);
  let result = truncateUtf8(clean(s.result), MAX_RESULT_BYTES).text;
  let message = truncateUtf8(clean(s.message), MAX_ARGS_BYTES).text;
  const render = () => JSON.stringify({ outcome: s.outcome, reason: s.reason, message, result, turns: s.turns, toolCalls: s.toolCalls, toolErrors: s.toolErrors });
  let out = render();
  // JSON escaping can grow text up to six-fold (control characters as \u00XX): shrink until it fits.
  while (Buffer.byteLength(out) > MAX_TERMINATION_BYTES) {
    if (result.length > 0) result = truncateUtf8(result, Math.floor(Buffer.byteLength(result) / 2)).text;
    else message = truncateUtf8(message, Math.floor(Buffer.byteLength(message) / 2)).text;
    out = render();
  }
  return out;
}

/** 0 Succeeded, 2 LimitExceeded, 143 cancelled by SIGTERM (128 + 15), 1 any other failure. */
export function exitCode(s: Pick<RunSummary, 'outcome' | 'reason'>): number {
  if (s.outcome === 'Succeeded') return 0;
  if (s.outcome === 'LimitExceeded') return 2;
  return s.reason === 'Cancelled' ? 143 : 1;
}
