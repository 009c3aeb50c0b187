// The issue tracker a resource reports to, read from either spec block: `issueTracker` (GitHub or
// Forgejo) or the deprecated `github` alias (GitHub only). Controllers read this one shape.
// Pure: no I/O; the CRDs' schema and CEL rules already refused malformed blocks.

export interface IssueTrackerSpec {
  provider: 'github' | 'forgejo';
  /** GitHub: the API root (unset = api.github.com); Forgejo: the forge's root URL. */
  baseURL?: string;
  /** owner/name */
  repository: string;
  /** An existing issue to link; when unset, createIssue is set. */
  issue?: number;
  /** The issue to open when `issue` is unset: title '' means "the workflow's own title" (HardwareTask, or an AgentRun without createIssue). */
  createIssue?: { title: string; labels: string[] };
  commentProgress: boolean;
  closeOnSuccess: boolean;
  secretRef: { name: string; key: string };
  /** Which spec block it came from, for field paths in messages (`spec.<block>.secretRef`). */
  block: 'issueTracker' | 'github';
}

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string' && x !== '') : []);
const bool = (v: unknown, def: boolean): boolean => (typeof v === 'boolean' ? v : def);

/** Either block -> one shape (defaults applied); undefined when neither is set. issueTracker wins if both are (admission refuses that). */
export function issueTrackerSpec(spec: { issueTracker?: unknown; github?: unknown }): IssueTrackerSpec | undefined {
  const fromTracker = obj(spec.issueTracker);
  const b = fromTracker ?? obj(spec.github);
  if (!b) return undefined;
  const block = fromTracker ? 'issueTracker' : 'github';
  const provider = fromTracker && b.provider === 'forgejo' ? 'forgejo' : 'github';
  const issue = typeof b.issue === 'number' && Number.isInteger(b.issue) && b.issue > 0 ? b.issue : undefined;
  const create = obj(b.createIssue);
  const secret = obj(b.secretRef) ?? {};
  return {
    provider,
    ...(fromTracker && str(b.baseURL) ? { baseURL: str(b.baseURL) } : {}),
    repository: str(b.repository) ?? '',
    ...(issue !== undefined ? { issue } : { createIssue: { title: str(create?.title) ?? '', labels: strings(create ? create.labels : b.labels) } }),
    commentProgress: bool(b.commentProgress, true),
    closeOnSuccess: bool(b.closeOnSuccess, false),
    secretRef: { name: str(secret.name) ?? '', key: str(secret.key) ?? 'token' },
    block,
  };
}
