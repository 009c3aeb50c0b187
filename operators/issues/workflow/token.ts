// The forge token comes from a Secret in the resource's namespace (spec.<block>.secretRef). A missing
// Secret, key or token is a condition (IssueTrackerUnavailable) that names them and says what to do,
// never a crash. The token itself never appears in a message or a log. A Secret whose
// agentlab.dev/forge-url annotation does not name the tracker's base URL is refused before its
// token is used (forge-token-opt-in.ts, ADR 0018).
import { FORGE_TOKEN_NOT_ALLOWED, forgeTokenDestination, forgeTokenRefusal } from '../forge-token-opt-in.js';
import type { IssueTrackerSpec } from '../../model/issue-tracker-spec.js';
import { isIssueTrackerError } from '../errors.js';
import type { IssueTracker, IssueTrackerFactory } from '../types.js';

export const ISSUE_TRACKER_UNAVAILABLE = 'IssueTrackerUnavailable';

export interface ResolveTrackerDeps {
  /** The Secret's data with values decoded to text (base64 already undone) and its annotations; undefined when it does not exist. */
  readSecret(namespace: string, name: string): Promise<{ data: Record<string, string>; annotations?: Record<string, string> } | undefined>;
  factory: IssueTrackerFactory;
}

export type ResolvedTracker = { ok: true; tracker: IssueTracker } | { ok: false; reason: typeof ISSUE_TRACKER_UNAVAILABLE | typeof FORGE_TOKEN_NOT_ALLOWED; message: string };

const secretField = (spec: IssueTrackerSpec): string => `spec.${spec.block}.secretRef`;
const howTo = (namespace: string, spec: IssueTrackerSpec): string =>
  `create it with: kubectl -n ${namespace} create secret generic ${spec.secretRef.name} --from-literal=${spec.secretRef.key}=<token>, then allow it for the forge: kubectl -n ${namespace} annotate secret ${spec.secretRef.name} agentlab.dev/forge-url=${forgeTokenDestination(spec.provider, spec.baseURL) || '<forge URL>'} (docs/issues.md: tokens with least privilege)`;

/** Reads the token and builds the tracker. Errors reading the Secret from the API server propagate (retry). */
export async function resolveTracker(deps: ResolveTrackerDeps, namespace: string, spec: IssueTrackerSpec): Promise<ResolvedTracker> {
  const { name, key } = spec.secretRef;
  const unavailable = (message: string): ResolvedTracker => ({ ok: false, reason: ISSUE_TRACKER_UNAVAILABLE, message });
  const secret = await deps.readSecret(namespace, name);
  if (!secret) return unavailable(`${secretField(spec)}: Secret ${namespace}/${name} not found; ${howTo(namespace, spec)}`);
  const refusal = forgeTokenRefusal({ namespace, name, annotations: secret.annotations }, spec.provider, spec.baseURL);
  if (refusal) return { ok: false, reason: FORGE_TOKEN_NOT_ALLOWED, message: `${secretField(spec)}: ${refusal}` };
  const { data } = secret;
  if (!(key in data)) return unavailable(`${secretField(spec)}: Secret ${namespace}/${name} has no key "${key}"; add the ${spec.provider} token under that key or set ${secretField(spec)}.key`);
  // A trailing newline (a token saved with --from-file) is not part of the token.
  const token = data[key]!.trim();
  if (!token) return unavailable(`${secretField(spec)}: key "${key}" of Secret ${namespace}/${name} is empty; put the ${spec.provider} token there`);
  try {
    return { ok: true, tracker: deps.factory({ provider: spec.provider, baseURL: spec.baseURL, repository: spec.repository, token }) };
  } catch (err) {
    if (isIssueTrackerError(err)) return unavailable(`spec.${spec.block}: ${err.message}`);
    throw err;
  }
}

/** The condition message for a token the forge refused (an Unauthorized IssueTrackerError from any call). */
export function unauthorizedMessage(namespace: string, spec: IssueTrackerSpec): string {
  return `${spec.provider} refused the token in key "${spec.secretRef.key}" of Secret ${namespace}/${spec.secretRef.name} (${secretField(spec)}): it is wrong, expired or revoked; put a valid token there`;
}
