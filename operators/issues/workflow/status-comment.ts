// The one status comment per resource, rendered from a view of its status. Deterministic (no clock,
// no random): an unchanged view renders byte-identical, so the workflow edits only on a change.
import { statusMarker } from './markers.js';

export interface WorkflowSubject {
  kind: 'AgentRun' | 'HardwareTask' | 'Flow';
  namespace: string;
  name: string;
  uid: string;
  /** metadata.creationTimestamp (optional): the issue search in ensureIssue then skips issues not updated since (less an hour for clock skew). */
  createdAt?: string;
}

export type StepState = 'pending' | 'running' | 'waiting' | 'done' | 'failed';

export interface StatusView {
  /** The issue title to create with (when the spec gives none). */
  title: string;
  phase: string;
  /** The plan or analysis. */
  summary?: string;
  steps?: { name: string; state: StepState; note?: string }[];
  usage?: { totalTokens: number; costUSD?: string };
  approval?: { asked: boolean; decision?: 'Approved' | 'Rejected'; decidedBy?: string; via?: string; url?: string; reason?: string };
  result?: string;
  links?: { label: string; url: string }[];
}

export const STEP_ICONS: Record<StepState, string> = { done: '✅', running: '⏳', waiting: '⏸', failed: '❌', pending: '▫' };

/** Forges cap a comment at 65536 characters; long free text is cut well below that. */
const MAX_SUMMARY = 20_000;
const MAX_RESULT = 20_000;
const MAX_NOTE = 500;
const MAX_STEPS = 100;

export const clip = (s: string, max: number): string => (s.length <= max ? s : `${s.slice(0, max)}\n\n… (cut at ${max} characters)`);
/** One line of inline text: no newlines, no backticks breaking out of code spans. */
const inline = (s: string, max = MAX_NOTE): string => clip(s.replace(/\s*\r?\n\s*/g, ' ').trim(), max);
const code = (s: string): string => `\`${s.replace(/`/g, "'")}\``;
const link = (label: string, url: string): string => (/^https?:\/\//.test(url) ? `[${inline(label, 200).replace(/[[\]]/g, '')}](${url.replace(/[()\s]/g, encodeURIComponent)})` : inline(label, 200));

function approvalLine(a: NonNullable<StatusView['approval']>): string | undefined {
  if (a.decision) {
    const who = a.decidedBy ? ` by **${inline(a.decidedBy, 253)}**` : '';
    const via = a.via ? ` via ${inline(a.via, 64)}` : '';
    const where = a.url ? ` (${link('comment', a.url)})` : '';
    const why = a.reason ? `: ${inline(a.reason, 1024)}` : '';
    return `**Approval:** ${a.decision === 'Approved' ? '✅ approved' : '❌ rejected'}${who}${via}${where}${why}`;
  }
  if (a.asked) return '**Approval:** ⏸ waiting. A person with write access comments `/approve` or `/reject <reason>`.';
  return undefined;
}

export function renderStatusComment(subject: WorkflowSubject, view: StatusView): string {
  const out: string[] = [statusMarker(subject.uid), `### ${subject.kind} ${code(`${subject.namespace}/${subject.name}`)}: **${inline(view.phase, 64)}**`];
  if (view.summary?.trim()) out.push('', clip(view.summary.trim(), MAX_SUMMARY));
  if (view.steps?.length) {
    out.push('', '**Steps**', '');
    for (const s of view.steps.slice(0, MAX_STEPS)) out.push(`- ${STEP_ICONS[s.state]} ${code(s.name)}${s.note ? ` — ${inline(s.note)}` : ''}`);
    if (view.steps.length > MAX_STEPS) out.push(`- … ${view.steps.length - MAX_STEPS} more`);
  }
  const approval = view.approval && approvalLine(view.approval);
  if (approval) out.push('', approval);
  if (view.usage) out.push('', `**Usage:** ${view.usage.totalTokens.toLocaleString('en-US')} tokens${view.usage.costUSD ? `, $${inline(view.usage.costUSD, 32)}` : ''}`);
  if (view.result?.trim()) out.push('', '**Result**', '', clip(view.result.trim(), MAX_RESULT));
  if (view.links?.length) out.push('', `**Links:** ${view.links.map((l) => link(l.label, l.url)).join(' · ')}`);
  out.push('', '<sub>AgentLab keeps this comment up to date.</sub>');
  return out.join('\n');
}
