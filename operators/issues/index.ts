// The issue-tracker layer (docs/issues.md): one interface, GitHub and Forgejo providers, one error taxonomy.
export type * from './types.js';
export { IssueTrackerError, isIssueTrackerError, classifyHttpFailure, rateLimitWaitMs, type IssueTrackerErrorKind } from './errors.js';
export { createIssueTracker } from './factory.js';
export { createGitHubTracker, GITHUB_API } from './github.js';
export { createForgejoTracker } from './forgejo.js';
export { parseRepository } from './repository.js';
