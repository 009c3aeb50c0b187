// One interface for the issue trackers AgentRun and HardwareTask report to (GitHub, GitHub
// Enterprise, Forgejo/Gitea). The providers map their wire shapes onto these types and their
// failures onto IssueTrackerError (errors.ts); callers never see Octokit or fetch.

export type IssueProvider = 'github' | 'forgejo';

/** Where a tracker lives and how it authenticates (the token comes from a Secret; never logged). */
export interface IssueTrackerConfig {
  provider: IssueProvider;
  /**
   * API root. GitHub: https://api.github.com (default) or https://<host>/api/v3 for GitHub
   * Enterprise Server. Forgejo/Gitea: the forge's root URL (https://git.example.org); the
   * client appends /api/v1.
   */
  baseURL?: string;
  /** `owner/name`. */
  repository: string;
  token: string;
  /** Per-request timeout in ms (default 30 s). */
  timeoutMs?: number;
}

export interface RepoRef {
  owner: string;
  repo: string;
}

export type IssueState = 'open' | 'closed';

export interface Issue {
  number: number;
  /** The issue's web page (html_url), what a person opens on a phone. */
  url: string;
  title: string;
  body: string;
  state: IssueState;
  author: string;
  labels: string[];
  createdAt: string;
  updatedAt: string;
}

export interface IssueComment {
  id: number;
  url: string;
  body: string;
  author: string;
  /** True for GitHub Apps/bots (user.type "Bot"); Forgejo reports no type, so false there. */
  authorIsBot: boolean;
  createdAt: string;
  updatedAt: string;
}

/** The permission a user holds on the repository, normalized ("maintain" -> write, "triage" -> read, owner -> admin). */
export type RepoPermission = 'admin' | 'write' | 'read' | 'none';

/** The reactions both forges accept. */
export type Reaction = '+1' | '-1' | 'laugh' | 'confused' | 'heart' | 'hooray' | 'rocket' | 'eyes';

export type ReactionTarget = { issue: number } | { comment: number };

export interface RepoFile {
  path: string;
  /** Blob sha: pass it to putFile to update the file. */
  sha: string;
  /** Decoded UTF-8 content. */
  content: string;
}

export interface FileCommit {
  path: string;
  /** The new blob sha of the file. */
  sha: string;
  commitSha: string;
  commitUrl: string;
}

export interface PutFileInput {
  path: string;
  branch: string;
  /** UTF-8 text; the client base64-encodes it. */
  content: string;
  message: string;
  /** The current blob sha when updating an existing file; omit to create. */
  sha?: string;
}

/** A conditional GET: the etag to send next time, and the value unless it did not change (304). */
export type Conditional<T> = { notModified: true; etag: string } | { notModified: false; etag?: string; value: T };

export interface ListCommentsOptions {
  /** Only comments updated at or after this time (ISO 8601). */
  since?: string;
  /** The etag of the previous identical request: an unchanged list answers notModified. */
  etag?: string;
}

export interface ListIssuesOptions {
  /** Default open. */
  state?: IssueState | 'all';
  /** Only issues carrying every one of these labels. */
  labels?: string[];
  /** Only issues updated at or after this time (ISO 8601). */
  since?: string;
}

export interface IssueTracker {
  readonly provider: IssueProvider;
  readonly repository: RepoRef;
  /** The login the token acts as (to ignore our own comments). */
  currentUser(): Promise<string>;
  createIssue(input: { title: string; body: string; labels?: string[] }): Promise<Issue>;
  getIssue(number: number): Promise<Issue>;
  editIssue(number: number, patch: { title?: string; body?: string; state?: IssueState }): Promise<Issue>;
  /** The repository's issues (every page; pull requests left out), newest first. */
  listIssues(opts?: ListIssuesOptions): Promise<Issue[]>;
  createComment(issue: number, body: string): Promise<IssueComment>;
  editComment(commentId: number, body: string): Promise<IssueComment>;
  /** All comments of an issue (every page), oldest first. */
  listComments(issue: number, opts?: ListCommentsOptions): Promise<Conditional<IssueComment[]>>;
  /** Adds labels by name (created on the repository when missing); returns the issue's labels. */
  addLabels(issue: number, labels: string[]): Promise<string[]>;
  /** Idempotent: reacting twice with the same content leaves one reaction. */
  addReaction(target: ReactionTarget, content: Reaction): Promise<void>;
  permission(login: string): Promise<RepoPermission>;
  /** The file on the branch ('' = the default branch), or undefined when it does not exist. */
  getFile(path: string, branch: string): Promise<RepoFile | undefined>;
  /** Creates (no sha) or updates (sha of the current blob) a file with one commit on the branch ('' = the default branch). */
  putFile(input: PutFileInput): Promise<FileCommit>;
}

/** What the manager passes to controllers (ControllerDeps.issueTrackers): one tracker per resolved config. */
export type IssueTrackerFactory = (config: IssueTrackerConfig) => IssueTracker;
