// The agent github tool's side in the controller: the router acts for the pod only where the
// run's token Secret says (annotation agentlab.dev/issue-tracker). The Secret is created once, before
// the issue workflow may have created the run's issue, so the annotation is brought up to date here
// as status learns the issue number.
import { ISSUE_TRACKER_ANNOTATION } from '../model/agentrun/issue-tracker-annotation.js';
import type { ReconcileContext } from '../runtime/controller.js';
import { githubToolAnnotation } from './desired.js';
import { tokenSecretName } from './names.js';
import { SECRETS } from './resources.js';
import type { AgentRun } from './types.js';

/** Its own field manager: it owns only this annotation, never the token the creator wrote. */
export const GITHUB_TOOL_MANAGER = 'agentlab-agentrun-github-tool';

/** Writes the annotation when it differs from the run's tracker and issue; a revoked token is left alone. */
export async function syncGitHubToolAnnotation(ctx: ReconcileContext<AgentRun>): Promise<void> {
  const want = githubToolAnnotation(ctx.object);
  if (!want) return;
  const { namespace, name } = ctx.object.metadata;
  const secret = ctx.cache.get(SECRETS, namespace, tokenSecretName(name!));
  const annotations = secret?.metadata?.annotations ?? {};
  if (!secret || annotations['agentlab.dev/revoked'] === 'true' || annotations[ISSUE_TRACKER_ANNOTATION] === want) return;
  await ctx.client.apply(SECRETS, { apiVersion: 'v1', kind: 'Secret', metadata: { name: tokenSecretName(name!), namespace, annotations: { [ISSUE_TRACKER_ANNOTATION]: want } } }, GITHUB_TOOL_MANAGER);
}
