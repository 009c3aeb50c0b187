// What a failed forge call means for the resource that reports to the issue: one answer for
// AgentRun and HardwareTask (docs/issue-workflow.md "When the forge is down"), and how the issue
// recorded in status becomes the engine's IssueRecord again.
import { isIssueTrackerError } from '../errors.js';
import type { IssueTrackerSpec } from '../../model/issue-tracker-spec.js';
import type { IssueRecord } from './issue-workflow.js';
import { ISSUE_TRACKER_UNAVAILABLE, unauthorizedMessage } from './token.js';

/** status.issue as both CRDs define it. */
export interface IssueStatus {
  provider?: string;
  number?: number;
  url?: string;
  statusCommentId?: number;
  milestones?: string[];
}

/** The record status.issue holds for this tracker, or undefined (none yet, or another provider's). */
export function issueRecordOf(s: IssueStatus | undefined, tracker: IssueTrackerSpec): IssueRecord | undefined {
  return s?.number && s.url && s.provider === tracker.provider
    ? { provider: tracker.provider, number: s.number, url: s.url, ...(s.statusCommentId ? { statusCommentId: s.statusCommentId } : {}), ...(s.milestones?.length ? { milestones: [...s.milestones] } : {}) }
    : undefined;
}

export interface ForgeProblemContext {
  /** The poll interval, named in the forge-down message. */
  pollMs: number;
  /** What keeps waiting meanwhile, e.g. "the approval gate keeps waiting". */
  waiting: string;
}

/**
 * The IssueTrackerUnavailable condition's reason and message for a forge failure, naming the spec
 * field, the Secret and key where they are the cause; undefined for failures that are not
 * conditions (rate limits, a deleted issue, anything not the forge's).
 */
export function forgeProblem(namespace: string, tracker: IssueTrackerSpec, err: unknown, ctx: ForgeProblemContext): { reason: string; message: string } | undefined {
  if (!isIssueTrackerError(err)) return undefined;
  const secret = `key "${tracker.secretRef.key}" of Secret ${namespace}/${tracker.secretRef.name}`;
  switch (err.kind) {
    case 'Unauthorized':
      return { reason: ISSUE_TRACKER_UNAVAILABLE, message: unauthorizedMessage(namespace, tracker) };
    case 'Forbidden':
      return { reason: ISSUE_TRACKER_UNAVAILABLE, message: `spec.${tracker.block}.secretRef: the token in ${secret} lacks a permission on ${tracker.repository} (${err.message}); docs/issue-workflow.md lists what it needs` };
    case 'NotFound':
    case 'Invalid':
      return { reason: 'IssueTrackerInvalid', message: `spec.${tracker.block}: ${tracker.provider} ${tracker.repository}: ${err.message}; check repository and baseURL` };
    case 'Unavailable':
      return { reason: 'ForgeUnreachable', message: `spec.${tracker.block}.baseURL: ${tracker.provider} did not answer (${err.message}); retrying every ${Math.round(ctx.pollMs / 1000)} s, and ${ctx.waiting} meanwhile` };
    default:
      return undefined;
  }
}
