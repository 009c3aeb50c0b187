import { IssueTrackerError } from './errors.js';
import { createForgejoTracker } from './forgejo.js';
import { createGitHubTracker } from './github.js';
import type { IssueTracker, IssueTrackerConfig, IssueTrackerFactory } from './types.js';

/** The default IssueTrackerFactory: the provider named in the config. */
export const createIssueTracker: IssueTrackerFactory = (config: IssueTrackerConfig): IssueTracker => {
  if (!config.token) throw new IssueTrackerError('Unauthorized', 'no token: the token Secret key is empty');
  switch (config.provider) {
    case 'github':
      return createGitHubTracker(config);
    case 'forgejo':
      return createForgejoTracker(config);
    default:
      throw new IssueTrackerError('Invalid', `provider ${JSON.stringify((config as { provider: unknown }).provider)} is not supported; use "github" or "forgejo"`);
  }
};
