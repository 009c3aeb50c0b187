/**
 * A run's issue tracker travels on its router token Secret (ADR 0013) as the annotation
 * `agentlab.dev/issue-tracker`, JSON {"provider", "baseURL"?, "repository", "issue"?, "secretRef":
 * {"name", "key"}, "runUid"?}: where the agent's github tool may read and comment. The AgentRun
 * controller writes it for a run that lists the github tool (issueTrackerAnnotationValue) and adds
 * the issue number once it is known; the lane router, which acts for the pod, reads it
 * (issueTrackerFromAnnotation) and reads the forge token from the named Secret in the run's own
 * namespace. The token itself is never in the annotation, the pod or the router's answers.
 * No annotation means no github tool.
 */
export const ISSUE_TRACKER_ANNOTATION = 'agentlab.dev/issue-tracker';

export interface RunIssueTracker {
  provider: 'github' | 'forgejo';
  /** API root (GitHub Enterprise) or forge root (Forgejo); absent: the provider's default. */
  baseURL?: string;
  /** `owner/name`: the only repository the tool reaches. */
  repository: string;
  /** The run's issue: the only one the tool reads comments of and comments on. Absent until known. */
  issue?: number;
  /** The forge token's Secret, in the run's namespace. */
  secretRef: { name: string; key: string };
  /** The AgentRun's uid: marks the comments the agent posts. */
  runUid?: string;
}

export type RunIssueTrackerParse = { ok: true; tracker: RunIssueTracker } | { ok: false; error: string };

const REPOSITORY = /^[A-Za-z0-9_.-]{1,100}\/[A-Za-z0-9_.-]{1,100}$/;
/** A Secret's name (DNS subdomain) and a data key, as the API server validates them. */
const SECRET_NAME = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;
const SECRET_KEY = /^[-._a-zA-Z0-9]{1,253}$/;
const UID = /^[-a-zA-Z0-9]{1,64}$/;

/** The annotation value (keys in a fixed order, so an unchanged tracker gives the same string). */
export function issueTrackerAnnotationValue(t: RunIssueTracker): string {
  return JSON.stringify({
    provider: t.provider,
    ...(t.baseURL ? { baseURL: t.baseURL } : {}),
    repository: t.repository,
    ...(t.issue !== undefined ? { issue: t.issue } : {}),
    secretRef: { name: t.secretRef.name, key: t.secretRef.key },
    ...(t.runUid ? { runUid: t.runUid } : {}),
  });
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Parses the annotation; undefined when it is absent (no github tool). A malformed value is an
 * error (the router refuses every github call of that run and says why), never a guess.
 */
export function issueTrackerFromAnnotation(value: string | undefined): RunIssueTrackerParse | undefined {
  if (value === undefined) return undefined;
  const bad = (why: string): RunIssueTrackerParse => ({ ok: false, error: `annotation ${ISSUE_TRACKER_ANNOTATION} is invalid: ${why}` });
  let v: unknown;
  try {
    v = JSON.parse(value);
  } catch {
    return bad('not JSON');
  }
  if (!isObj(v)) return bad('not a JSON object');
  const { provider, baseURL, repository, issue, secretRef, runUid } = v;
  if (provider !== 'github' && provider !== 'forgejo') return bad('provider must be "github" or "forgejo"');
  if (typeof repository !== 'string' || !REPOSITORY.test(repository)) return bad('repository must be "owner/name"');
  if (baseURL !== undefined) {
    if (typeof baseURL !== 'string') return bad('baseURL must be a string');
    let url: URL;
    try {
      url = new URL(baseURL);
    } catch {
      return bad('baseURL is not a URL');
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return bad('baseURL must be http:// or https://');
  }
  if (issue !== undefined && (typeof issue !== 'number' || !Number.isSafeInteger(issue) || issue < 1)) return bad('issue must be a positive integer');
  if (!isObj(secretRef) || typeof secretRef.name !== 'string' || !SECRET_NAME.test(secretRef.name)) return bad('secretRef.name must be a Secret name');
  if (typeof secretRef.key !== 'string' || !SECRET_KEY.test(secretRef.key)) return bad('secretRef.key must be a Secret data key');
  if (runUid !== undefined && (typeof runUid !== 'string' || !UID.test(runUid))) return bad('runUid must be a uid');
  return {
    ok: true,
    tracker: {
      provider,
      ...(baseURL !== undefined ? { baseURL: baseURL as string } : {}),
      repository,
      ...(issue !== undefined ? { issue: issue as number } : {}),
      secretRef: { name: secretRef.name, key: secretRef.key },
      ...(runUid !== undefined ? { runUid: runUid as string } : {}),
    },
  };
}
