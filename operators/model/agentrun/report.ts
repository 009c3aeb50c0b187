import { RUN_KEY, RUN_KIND_LABEL, RUN_NAMESPACE_KEY } from './usage.js';
import { isRunsData, recordedRunOwner, runConfigMapName, runKindOf, runOwnerData, type RunOwner, type RunOwnerKind } from './run-owner.js';

/**
 * A runner's own report when no kubelet carries its termination message: an agent in a KubeVirt
 * VirtualMachineInstance (docs/agents.md, "KubeVirt") posts it to the lane router with its run
 * token (POST /agentlab/v1/report), and the router writes it into one ConfigMap per run in the
 * ROUTER's namespace, where the AgentRun controller reads it. The router knows the run from the
 * token, so a run can only ever report for itself; the first report wins. The data records the
 * run's UID (run-owner.ts): a report left by a deleted run of the same name is not the new run's.
 */
export const RUN_REPORT_LABEL = 'agentlab.dev/report-run';
/** The termination message, exactly as the runner renders it for a pod (at most 4096 bytes). */
export const REPORT_TERMINATION_KEY = 'termination.json';
/** The runner's JSON event lines (what the pod log holds for a pod run), bounded like the transcript. */
export const REPORT_TRANSCRIPT_KEY = 'transcript.jsonl';
export const MAX_REPORT_TERMINATION_BYTES = 4096;
/** A ConfigMap holds at most 1 MiB: the transcript is kept below with room for the rest. */
export const MAX_REPORT_TRANSCRIPT_BYTES = 900 * 1024;

/** `<kind>-report-<first 20 hex digits of sha256("<namespace>/<run>")>` (agentrun-report-…): fixed length, one per kind. */
export function runReportConfigMapName(namespace: string, kind: RunOwnerKind, run: string): string {
  return runConfigMapName('report', namespace, kind, run);
}

export interface RunReport { termination: string; transcript: string }

export type ReportCheck = { ok: true; report: RunReport } | { ok: false; message: string };

/** The request body `{"termination": "<json>", "transcript": "<json lines>"}`, checked and bounded. */
export function checkReportBody(body: unknown): ReportCheck {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return { ok: false, message: 'the report must be a JSON object with termination and transcript' };
  const o = body as Record<string, unknown>;
  if (typeof o.termination !== 'string' || o.termination === '') return { ok: false, message: 'termination: must be the runner\'s termination message (a JSON string)' };
  if (Buffer.byteLength(o.termination) > MAX_REPORT_TERMINATION_BYTES) return { ok: false, message: `termination: over ${MAX_REPORT_TERMINATION_BYTES} bytes` };
  try {
    const t: unknown = JSON.parse(o.termination);
    if (typeof t !== 'object' || t === null || Array.isArray(t)) throw new Error('not an object');
  } catch {
    return { ok: false, message: 'termination: not a JSON object' };
  }
  const transcript = o.transcript ?? '';
  if (typeof transcript !== 'string') return { ok: false, message: 'transcript: must be a string of JSON lines' };
  if (Buffer.byteLength(transcript) > MAX_REPORT_TRANSCRIPT_BYTES) return { ok: false, message: `transcript: over ${MAX_REPORT_TRANSCRIPT_BYTES} bytes; the runner cuts it before sending` };
  return { ok: true, report: { termination: o.termination, transcript } };
}

/** The report ConfigMap the router creates in its namespace (`owner`: the run its token belongs to, when known). */
export function runReportConfigMap(routerNamespace: string, namespace: string, run: string, report: RunReport, owner?: RunOwner): { apiVersion: 'v1'; kind: 'ConfigMap'; metadata: { name: string; namespace: string; labels: Record<string, string>; annotations: Record<string, string> }; data: Record<string, string> } {
  const kind = runKindOf(owner);
  return {
    apiVersion: 'v1', kind: 'ConfigMap',
    metadata: {
      name: runReportConfigMapName(namespace, kind, run), namespace: routerNamespace,
      labels: { [RUN_REPORT_LABEL]: 'true', [RUN_NAMESPACE_KEY]: namespace, [RUN_KIND_LABEL]: kind, ...(run.length <= 63 ? { [RUN_KEY]: run } : {}) },
      annotations: { [RUN_NAMESPACE_KEY]: namespace, [RUN_KIND_LABEL]: kind, [RUN_KEY]: run },
    },
    data: { [REPORT_TERMINATION_KEY]: report.termination, [REPORT_TRANSCRIPT_KEY]: report.transcript, ...runOwnerData(owner) },
  };
}

type ReportConfigMapLike = { metadata?: { annotations?: Record<string, string>; creationTimestamp?: string }; data?: Record<string, string> };

/**
 * Whether a report ConfigMap is the run's and not an earlier run's of the same name: its recorded
 * UID is the run's, or, written before UIDs were recorded, it is not older than the run.
 */
export function isRunsReport(cm: ReportConfigMapLike | undefined, run: { uid?: string; creationTimestamp?: string }): boolean {
  if (recordedRunOwner(cm?.data)) return isRunsData(cm?.data, run.uid);
  const made = Date.parse(cm?.metadata?.creationTimestamp ?? '');
  const born = Date.parse(run.creationTimestamp ?? '');
  return !(made < born);
}

/** The report in a ConfigMap, when it is the named run's (the annotations say whose it is; given the run's metadata, not an earlier run's: isRunsReport). */
export function runReportFromConfigMap(cm: ReportConfigMapLike | undefined, namespace: string, run: string, meta?: { uid?: string; creationTimestamp?: string }): RunReport | undefined {
  const a = cm?.metadata?.annotations;
  if (a?.[RUN_NAMESPACE_KEY] !== namespace || a?.[RUN_KEY] !== run || (meta && !isRunsReport(cm, meta))) return undefined;
  const termination = cm?.data?.[REPORT_TERMINATION_KEY];
  if (!termination) return undefined;
  return { termination, transcript: cm?.data?.[REPORT_TRANSCRIPT_KEY] ?? '' };
}
