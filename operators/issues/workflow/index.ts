// The issue workflow (docs/issues.md "The workflow engine"): markers, the status comment, commands,
// who may command, the token, and the IssueWorkflow engine.
export { hasMarker, issueMarker, milestoneMarker, statusMarker } from './markers.js';
export { renderStatusComment, STEP_ICONS, type StatusView, type StepState, type WorkflowSubject } from './status-comment.js';
export { parseCommand, MAX_TEXT, type ParsedCommand } from './commands.js';
export { acceptCommand, isBot, isSelf } from './decide.js';
export { resolveTracker, unauthorizedMessage, ISSUE_TRACKER_UNAVAILABLE, type ResolveTrackerDeps, type ResolvedTracker } from './token.js';
export {
  IssueWorkflow, WorkflowMemory, recordMilestone, searchSince, withIssueRef, MAX_RECORDED_MILESTONES, MAX_KEY, SINCE_AFTER,
  type IssueRecord, type VerifiedCommand,
} from './issue-workflow.js';
export { forgeProblem, issueRecordOf, type ForgeProblemContext, type IssueStatus } from './forge-problem.js';
export { issueTrackerSpec, type IssueTrackerSpec } from '../../model/issue-tracker-spec.js';
