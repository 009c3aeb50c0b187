/**
 * What the controller reads from the runner (docs/agents.md, "Runner"): the JSON-lines log on
 * stdout and the JSON termination message. The runner is the untrusted side: both are parsed
 * defensively, and nothing here decides usage (that comes from the router).
 */

export type RunnerOutcome = 'Succeeded' | 'LimitExceeded' | 'Failed';

export interface TerminationReport {
  outcome: RunnerOutcome;
  reason: string;
  message: string;
  result: string;
  turns?: number;
  toolCalls?: number;
  toolErrors?: number;
}

/** Status fields are bounded: status.result is at most 4096 characters in the CRD. */
export const MAX_RESULT = 2048;
const MAX_MESSAGE = 1024;
const REASON = /^[A-Za-z][A-Za-z0-9]*$/;

const count = (v: unknown): number | undefined => (typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : undefined);
const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

/** The termination message as the runner wrote it, or undefined when it is missing or not the runner's JSON. */
export function parseTermination(text: string | undefined): TerminationReport | undefined {
  if (!text) return undefined;
  let v: unknown;
  try { v = JSON.parse(text); } catch { return undefined; }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined;
  const o = v as Record<string, unknown>;
  if (o.outcome !== 'Succeeded' && o.outcome !== 'LimitExceeded' && o.outcome !== 'Failed') return undefined;
  return {
    outcome: o.outcome,
    reason: typeof o.reason === 'string' && REASON.test(o.reason) ? o.reason : o.outcome === 'Succeeded' ? 'Completed' : 'RunnerError',
    message: typeof o.message === 'string' ? clip(o.message, MAX_MESSAGE) : '',
    result: typeof o.result === 'string' ? clip(o.result, MAX_RESULT) : '',
    turns: count(o.turns), toolCalls: count(o.toolCalls), toolErrors: count(o.toolErrors),
  };
}

export interface LogSummary {
  /** The runner's event lines, verbatim (anything that is not a JSON object with a string type is dropped). */
  lines: string[];
  turns: number;
  toolCalls: number;
  toolErrors: number;
}

/** Reads the runner's stdout: JSON lines `{"type": ..., "turn": n, ...}`; other output is ignored. */
export function parseRunnerLog(text: string): LogSummary {
  const lines: string[] = [];
  let turns = 0;
  let toolCalls = 0;
  let toolErrors = 0;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line.startsWith('{')) continue;
    let e: Record<string, unknown>;
    try {
      const v: unknown = JSON.parse(line);
      if (typeof v !== 'object' || v === null || Array.isArray(v)) continue;
      e = v as Record<string, unknown>;
    } catch { continue; }
    if (typeof e.type !== 'string') continue;
    lines.push(line);
    const turn = count(e.turn);
    if (turn !== undefined && turn > turns) turns = turn;
    if (e.type === 'tool_call') toolCalls++;
    if (e.type === 'tool_result' && e.ok === false) toolErrors++;
  }
  return { lines, turns, toolCalls, toolErrors };
}

/** A ConfigMap's total size is capped at 1 MiB; the transcript stays well below with its metadata. */
export const MAX_TRANSCRIPT_BYTES = 900 * 1024;

/**
 * The transcript as stored: the event lines in order, cut to `maxBytes` (UTF-8) with a final
 * `{"type":"truncated","droppedLines":N}` line when anything was dropped. `logLimitReached`
 * says the pod log itself was cut by the read's limitBytes (more lines may have existed).
 */
export function boundedTranscript(lines: string[], opts: { maxBytes?: number; logLimitReached?: boolean } = {}): { text: string; droppedLines: number } {
  const max = opts.maxBytes ?? MAX_TRANSCRIPT_BYTES;
  const marker = (n: number) => JSON.stringify({ type: 'truncated', droppedLines: n, ...(opts.logLimitReached ? { logLimitReached: true } : {}) });
  const total = lines.reduce((n, l) => n + Buffer.byteLength(l) + 1, 0);
  if (total <= max && !opts.logLimitReached) return { text: lines.map((l) => `${l}\n`).join(''), droppedLines: 0 };
  const budget = max - Buffer.byteLength(marker(lines.length)) - 1;
  const kept: string[] = [];
  let used = 0;
  for (const l of lines) {
    const size = Buffer.byteLength(l) + 1;
    if (used + size > budget) break;
    kept.push(l);
    used += size;
  }
  const dropped = lines.length - kept.length;
  return { text: [...kept, marker(dropped)].map((l) => `${l}\n`).join(''), droppedLines: dropped };
}
