// A document step: its files (references substituted) posted on the task's issue, one milestone
// comment per file, or committed to the repository through the contents API, one commit per file.
// Exactly once across retries and restarts: a milestone is found again by its marker, a commit by
// the file already holding the same content.
import { isIssueTrackerError } from '../issues/index.js';
import type { TaskIssue } from './issue-sync.js';
import type { HardwareStep } from './types.js';

export type DocumentResult =
  | { kind: 'done'; outputs: Record<string, string>; message: string; links: { label: string; url: string }[] }
  /** The issue tracker is not there yet (token, rate limit, forge down): the step waits. */
  | { kind: 'waiting'; message: string }
  /** The spec names no issue tracker: the task is Stalled with what to set. */
  | { kind: 'stalled'; message: string }
  | { kind: 'failed'; message: string };

export interface DocumentFile { path: string; content: string }

/** Forge failures a later attempt may get past; anything else fails the step. */
const TRANSIENT = ['RateLimited', 'Unavailable', 'Unauthorized'];

export async function runDocumentStep(issue: TaskIssue | undefined, step: HardwareStep, base: string, files: DocumentFile[], commitMessage: string, task: { namespace: string; name: string }): Promise<DocumentResult> {
  const doc = step.document!;
  const target = doc.target ?? 'Issue';
  if (!issue) {
    return { kind: 'stalled', message: `${base}.document: target ${target} needs spec.issueTracker (or the deprecated spec.github) naming the repository and the token Secret; docs/hardwaretasks.md "The issue"` };
  }
  if (issue.problem) return { kind: 'waiting', message: `waiting for the issue tracker: ${issue.problem.message}` };
  if (issue.notBefore !== undefined) return { kind: 'waiting', message: `waiting for the issue tracker's rate limit (until ${new Date(issue.notBefore).toISOString()})` };
  if (!issue.workflow || !issue.record) return { kind: 'waiting', message: `waiting for the task's issue on ${issue.tracker.repository}` };
  const wf = issue.workflow;
  const repo = issue.tracker.repository;
  const branch = doc.branch ?? '';
  try {
    if (target === 'Issue') {
      for (const f of files) {
        issue.record = await wf.milestone(issue.record!, `document:${step.name}:${f.path}`, `📄 **\`${f.path}\`** (step \`${step.name}\`)\n\n${f.content}`);
      }
      return { kind: 'done', outputs: { files: files.map((f) => f.path).join(', ') }, message: `posted ${files.length} file${files.length === 1 ? '' : 's'} on issue #${issue.record!.number}: ${files.map((f) => f.path).join(', ')}`, links: [] };
    }
    const urls: string[] = [];
    let unchanged = 0;
    for (const f of files) {
      const r = await wf.commitFile(issue.record, { branch, path: f.path, content: f.content, message: commitMessage });
      if (r.unchanged) unchanged++;
      if (r.commitUrl) urls.push(r.commitUrl);
    }
    const where = `${repo}${branch ? ` (branch ${branch})` : ' (default branch)'}`;
    const made = files.length - unchanged;
    const message = `committed ${files.map((f) => f.path).join(', ')} to ${where}${made < files.length ? `; ${unchanged} already held this content (no new commit)` : ''}${urls.length ? `: ${urls.join(' ')}` : ''}`;
    const outputs: Record<string, string> = { files: files.map((f) => f.path).join(', ') };
    if (urls.length) outputs.commitURL = urls.join(' ');
    return { kind: 'done', outputs, message, links: urls.map((url, i) => ({ label: `documentation commit${urls.length > 1 ? ` ${i + 1}` : ''} (${task.name})`, url })) };
  } catch (err) {
    if (isIssueTrackerError(err) && TRANSIENT.includes(err.kind)) {
      issue.failed(err);
      return { kind: 'waiting', message: `waiting for the issue tracker: ${err.message}` };
    }
    if (isIssueTrackerError(err)) {
      const what = target === 'Issue' ? `posting on issue #${issue.record!.number}` : `committing to ${repo}${branch ? ` branch ${branch}` : ''}`;
      return { kind: 'failed', message: `${base}.document: ${what}: ${err.message}` };
    }
    throw err;
  }
}
