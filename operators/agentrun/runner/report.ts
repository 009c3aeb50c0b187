// A runner with no kubelet to carry its termination message (an agent in a KubeVirt VM) reports
// to the lane router instead: the same termination message and its event lines, once, with the
// run token (operators/router/report.ts). Pure payload; the sending is injected for tests.
import { readFile } from 'node:fs/promises';
import { boundedTranscript } from '../runner-output.js';
import { MAX_REPORT_TRANSCRIPT_BYTES } from '../../model/agentrun/report.js';
import { terminationMessage, type RunSummary } from './output.js';

export const REPORT_ENV = {
  /** The router's report URL (<router>/agentlab/v1/report); set by the AgentRun controller's cloud-init for engine kubevirt. */
  url: 'AGENTLAB_REPORT_URL',
  /** A file holding the router token (the Secret disk mounted in the guest), used when AGENTLAB_ROUTER_TOKEN is unset. */
  tokenFile: 'AGENTLAB_ROUTER_TOKEN_FILE',
} as const;

export interface ReportPayload { termination: string; transcript: string }

/** What is posted: the termination message as for a pod, and the stdout lines cut to what a ConfigMap holds. */
export function reportPayload(summary: RunSummary, lines: readonly string[], secrets: readonly string[]): ReportPayload {
  const events = lines.map((l) => l.replace(/\n$/, '')).filter((l) => l !== '');
  return { termination: terminationMessage(summary, secrets), transcript: boundedTranscript(events, { maxBytes: MAX_REPORT_TRANSCRIPT_BYTES }).text };
}

export type Poster = (url: string, init: { method: 'POST'; headers: Record<string, string>; body: string; signal: AbortSignal }) => Promise<{ status: number; text(): Promise<string> }>;

/**
 * Posts the report: 201 stored, 409 already stored (a retry whose first answer was lost) are
 * done; 401/400 will not change; anything else is retried with back-off, up to `attempts`.
 */
export async function sendReport(url: string, token: string, payload: ReportPayload, opts: { post?: Poster; attempts?: number; delayMs?: number; sleep?: (ms: number) => Promise<void> } = {}): Promise<{ ok: boolean; detail: string }> {
  const post = opts.post ?? ((u, init) => fetch(u, init));
  const sleep = opts.sleep ?? ((ms) => new Promise<void>((r) => setTimeout(r, ms)));
  const attempts = opts.attempts ?? 6;
  let detail = '';
  for (let i = 0; i < attempts; i++) {
    if (i > 0) await sleep((opts.delayMs ?? 1000) * 2 ** (i - 1));
    try {
      const res = await post(url, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(payload), signal: AbortSignal.timeout(15_000) });
      if (res.status === 201 || res.status === 409) return { ok: true, detail: `HTTP ${res.status}` };
      detail = `HTTP ${res.status}: ${(await res.text()).slice(0, 300)}`;
      if (res.status === 400 || res.status === 401 || res.status === 404) return { ok: false, detail };
    } catch (e) {
      detail = (e as Error).message;
    }
  }
  return { ok: false, detail };
}

/** AGENTLAB_ROUTER_TOKEN, else the content of AGENTLAB_ROUTER_TOKEN_FILE (trimmed); undefined when neither is there. */
export async function tokenFromEnv(env: Record<string, string | undefined>): Promise<string | undefined> {
  if (env.AGENTLAB_ROUTER_TOKEN?.trim()) return env.AGENTLAB_ROUTER_TOKEN;
  const file = env[REPORT_ENV.tokenFile]?.trim();
  if (!file) return undefined;
  return (await readFile(file, 'utf8').catch(() => '')).trim() || undefined;
}
