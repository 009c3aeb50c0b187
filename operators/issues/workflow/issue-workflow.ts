// The issue workflow on top of an IssueTracker, shared by AgentRun, HardwareTask (and Flow): open or
// link the issue, keep one status comment edited in place, post each milestone once, read verified
// /approve, /reject and /done commands, react, close, and make documentation commits exactly once.
// Every step is idempotent across restarts: what was written is found again by its hidden marker
// (markers.ts), and the IssueRecord the controller keeps in status saves the lookups.
import type { IssueTrackerSpec } from '../../model/issue-tracker-spec.js';
import { IssueTrackerError, isIssueTrackerError } from '../errors.js';
import type { IssueComment, IssueProvider, IssueTracker, Reaction, RepoPermission } from '../types.js';
import { parseCommand, type ParsedCommand } from './commands.js';
import { acceptCommand, isBot, isSelf } from './decide.js';
import { hasMarker, issueMarker, milestoneMarker, statusMarker } from './markers.js';
import { clip, renderStatusComment, type StatusView, type WorkflowSubject } from './status-comment.js';

export type { StatusView, WorkflowSubject } from './status-comment.js';

/** What the controller keeps in status.issue. */
export interface IssueRecord {
  provider: IssueProvider;
  number: number;
  url: string;
  statusCommentId?: number;
  milestones?: string[];
}

export interface VerifiedCommand {
  command: ParsedCommand;
  login: string;
  permission: RepoPermission;
  commentId: number;
  commentUrl: string;
  /** When the comment was written. */
  at: string;
}

/** status.issue.milestones holds at most this many keys of at most MAX_KEY characters; older ones are found by marker. */
export const MAX_RECORDED_MILESTONES = 16;
export const MAX_KEY = 256;
/** Past this many comments in one answer, the poll asks only for newer ones (`since`); below it the same request repeats so an unchanged issue answers 304. */
export const SINCE_AFTER = 50;
/** A comment holds at most 65536 characters on GitHub; milestone bodies are cut below that. */
const MAX_COMMENT = 60_000;

interface PollState {
  since?: string;
  etag?: string;
  /** Comments already turned into a command (or refused): never returned twice in this process. */
  seen: Set<number>;
}

/** In-process memory shared by every IssueWorkflow: the poll state per subject and issue, the token's login (per tracker, so a new token is asked again) and the last status body written. Lost on restart, by design. */
export class WorkflowMemory {
  readonly polls = new Map<string, PollState>();
  readonly logins = new WeakMap<IssueTracker, string>();
  readonly statusBodies = new Map<string, string>();
  constructor(readonly maxEntries = 2_000) {}
  remember<V>(map: Map<string, V>, key: string, value: V): void {
    map.delete(key);
    map.set(key, value);
    while (map.size > this.maxEntries) map.delete(map.keys().next().value!);
  }
  /** Drops what is kept for one subject (e.g. when the resource is deleted). */
  forget(prefix: string): void {
    for (const map of [this.polls, this.statusBodies] as Map<string, unknown>[]) for (const k of [...map.keys()]) if (k.startsWith(prefix)) map.delete(k);
  }
}

const defaultMemory = new WorkflowMemory();

/** Clock skew allowed between the cluster and the forge when searching issues by time. */
const SKEW_MS = 3_600_000;

/** An issue we opened for a resource was created (so updated) after the resource: only those need reading. */
export function searchSince(createdAt: string | undefined): { since?: string } {
  const t = createdAt ? Date.parse(createdAt) : NaN;
  return Number.isNaN(t) ? {} : { since: new Date(t - SKEW_MS).toISOString() };
}

/** Appends "(#N)" so the forge links the commit to the issue, unless the message already names it. */
export function withIssueRef(message: string, issue: number | undefined): string {
  if (issue === undefined || new RegExp(`#${issue}\\b`).test(message)) return message;
  const [first, ...rest] = message.split('\n');
  return [`${first} (#${issue})`, ...rest].join('\n');
}

export class IssueWorkflow {
  private readonly memory: WorkflowMemory;

  constructor(
    private readonly tracker: IssueTracker,
    private readonly subject: WorkflowSubject,
    private readonly spec: IssueTrackerSpec,
    opts: { memory?: WorkflowMemory } = {},
  ) {
    this.memory = opts.memory ?? defaultMemory;
  }

  /** The memory key prefix of this subject (provider, forge, repository, uid). */
  get memoryKey(): string {
    const { owner, repo } = this.tracker.repository;
    return `${this.subject.uid}|${this.tracker.provider}|${this.spec.baseURL ?? ''}|${owner}/${repo}`;
  }

  /** Forget this subject's in-process state (call when the resource is deleted). */
  forget(): void {
    this.memory.forget(this.memoryKey);
  }

  /**
   * Links spec.issue, or finds an issue we created before (listIssues + issue marker in its body, so a
   * crash between create and the status write never opens a second), or creates it with the labels.
   */
  async ensureIssue(view: StatusView, record?: IssueRecord): Promise<IssueRecord> {
    if (record) return record;
    const provider = this.tracker.provider;
    if (this.spec.issue !== undefined) {
      const linked = await this.tracker.getIssue(this.spec.issue);
      return { provider, number: linked.number, url: linked.url };
    }
    const marker = issueMarker(this.subject.uid);
    const self = await this.self();
    const found = (await this.tracker.listIssues({ state: 'all', ...searchSince(this.subject.createdAt) })).find((i) => isSelf(i.author, self) && hasMarker(i.body, marker));
    if (found) return { provider, number: found.number, url: found.url };
    const title = clip((this.spec.createIssue?.title || view.title).trim(), 256) || `${this.subject.kind} ${this.subject.namespace}/${this.subject.name}`;
    const labels = this.spec.createIssue?.labels ?? [];
    const created = await this.tracker.createIssue({ title, body: this.issueBody(), ...(labels.length ? { labels } : {}) });
    return { provider, number: created.number, url: created.url };
  }

  /**
   * One status comment, edited in place: found by id, else by marker (listComments), else created.
   * Edits only when the rendered body differs from what this process last wrote (after a restart it
   * edits once, with the same text).
   */
  async syncStatus(record: IssueRecord, view: StatusView): Promise<IssueRecord> {
    const body = renderStatusComment(this.subject, view);
    const bodyKey = `${this.memoryKey}|${record.number}|status`;
    if (record.statusCommentId !== undefined) {
      if (this.memory.statusBodies.get(`${bodyKey}|${record.statusCommentId}`) === body) return record;
      try {
        await this.tracker.editComment(record.statusCommentId, body);
        this.memory.remember(this.memory.statusBodies, `${bodyKey}|${record.statusCommentId}`, body);
        return record;
      } catch (err) {
        // Gone: the comment (or the issue) was deleted; look for it by marker, else post a new one (createComment says Gone if the issue is gone).
        if (!isIssueTrackerError(err, 'Gone')) throw err;
      }
    }
    const self = await this.self();
    const marker = statusMarker(this.subject.uid);
    const existing = (await this.allComments(record.number)).find((c) => isSelf(c.author, self) && hasMarker(c.body, marker));
    let id: number;
    if (existing) {
      if (existing.body !== body) await this.tracker.editComment(existing.id, body);
      id = existing.id;
    } else {
      id = (await this.tracker.createComment(record.number, body)).id;
    }
    this.memory.remember(this.memory.statusBodies, `${bodyKey}|${id}`, body);
    return { ...record, statusCommentId: id };
  }

  /**
   * Posts a milestone comment once per key ('approval-asked', 'succeeded', 'failed', 'step:<name>' ...):
   * skipped when record.milestones has the key or a comment of ours with its marker exists.
   */
  async milestone(record: IssueRecord, key: string, body: string): Promise<IssueRecord> {
    if (record.milestones?.includes(key)) return record;
    const self = await this.self();
    const marker = milestoneMarker(this.subject.uid, key);
    const posted = (await this.allComments(record.number)).some((c) => isSelf(c.author, self) && hasMarker(c.body, marker));
    if (!posted) await this.tracker.createComment(record.number, `${marker}\n${clip(body, MAX_COMMENT)}`);
    return { ...record, milestones: recordMilestone(record.milestones, key) };
  }

  /**
   * Polls comments with a conditional request (ETag; `since` once the issue is long), parses commands,
   * checks each author with tracker.permission (asked once per author per poll) and returns the
   * accepted ones, oldest first. Our own comments, bots and non-writers are ignored. Nothing is marked
   * seen unless the whole poll succeeded, so a rate limit in the middle loses nothing. After a restart
   * every comment is read again: the caller's status decides what was already acted on.
   */
  async readCommands(record: IssueRecord): Promise<VerifiedCommand[]> {
    const key = `${this.memoryKey}|${record.number}`;
    const state = this.memory.polls.get(key) ?? { seen: new Set<number>() };
    const page = await this.tracker.listComments(record.number, { since: state.since, etag: state.etag });
    if (page.notModified) return [];
    const self = await this.self();
    const permissions = new Map<string, RepoPermission>();
    const seen: number[] = [];
    const accepted: VerifiedCommand[] = [];
    for (const c of page.value) {
      if (state.seen.has(c.id)) continue;
      const command = parseCommand(c.body);
      if (!command) continue;
      seen.push(c.id);
      if (!c.author || isSelf(c.author, self) || isBot(c)) continue;
      const login = c.author.toLowerCase();
      let permission = permissions.get(login);
      if (permission === undefined) {
        permission = await this.permission(c.author);
        permissions.set(login, permission);
      }
      if (!acceptCommand(c, { self, permission })) continue;
      accepted.push({ command, login: c.author, permission, commentId: c.id, commentUrl: c.url, at: c.createdAt });
    }
    const next: PollState = { since: state.since, etag: page.etag, seen: new Set([...state.seen, ...seen]) };
    if (page.value.length >= SINCE_AFTER) {
      // Ask only for comments updated since the newest one (the forge compares whole seconds, so that one comes again; `seen` skips it).
      const newest = page.value.reduce((m, c) => (c.updatedAt > m ? c.updatedAt : m), '');
      if (newest && newest !== state.since) next.since = newest;
      if (next.since !== state.since) next.etag = undefined;
    }
    this.memory.remember(this.memory.polls, key, next);
    return accepted;
  }

  /** Reacts to a comment (e.g. '+1' accepted, 'confused' when the other path already decided). Idempotent. */
  async acknowledge(commentId: number, content: Reaction): Promise<void> {
    await this.tracker.addReaction({ comment: commentId }, content);
  }

  /** Closes the issue (a no-op on the forge when it is closed already). Call it once, e.g. when the 'succeeded' milestone is first posted, so a person may reopen it. */
  async close(record: IssueRecord): Promise<void> {
    await this.tracker.editIssue(record.number, { state: 'closed' });
  }

  /**
   * A documentation commit on a branch through the contents API: the same content already there ->
   * no commit (unchanged: true, e.g. a retry after a lost answer); otherwise one commit with the
   * current sha. A Conflict (someone committed in between) reads the file once more and decides
   * again. Never forces. The message gets "(#N)" so the forge links the commit to the issue.
   * `branch` '' means the repository's default branch.
   */
  async commitFile(record: IssueRecord | undefined, f: { branch: string; path: string; content: string; message: string }): Promise<{ commitSha?: string; commitUrl?: string; unchanged: boolean }> {
    const message = withIssueRef(f.message, record?.number);
    for (let attempt = 0; ; attempt++) {
      const current = await this.tracker.getFile(f.path, f.branch);
      if (current && current.content === f.content) return { unchanged: true };
      try {
        const c = await this.tracker.putFile({ path: f.path, branch: f.branch, content: f.content, message, ...(current ? { sha: current.sha } : {}) });
        return { commitSha: c.commitSha, commitUrl: c.commitUrl, unchanged: false };
      } catch (err) {
        if (attempt === 0 && isIssueTrackerError(err, 'Conflict')) continue;
        throw err;
      }
    }
  }

  private issueBody(): string {
    const { kind, namespace, name } = this.subject;
    return [
      issueMarker(this.subject.uid),
      `Tracked by AgentLab: ${kind} \`${namespace}/${name}\`. The status comment below is kept up to date.`,
      '',
      'A person with write access to this repository can comment `/approve` or `/reject <reason>` when an approval is asked for.',
    ].join('\n');
  }

  /** The login the token acts as, asked once per tracker (our own comments are never commands). */
  private async self(): Promise<string> {
    const known = this.memory.logins.get(this.tracker);
    if (known) return known;
    const login = await this.tracker.currentUser();
    this.memory.logins.set(this.tracker, login);
    return login;
  }

  private async allComments(issue: number): Promise<IssueComment[]> {
    const page = await this.tracker.listComments(issue);
    return page.notModified ? [] : page.value;
  }

  private async permission(login: string): Promise<RepoPermission> {
    try {
      return await this.tracker.permission(login);
    } catch (err) {
      if (isIssueTrackerError(err, 'Forbidden')) {
        const { owner, repo } = this.tracker.repository;
        throw new IssueTrackerError('Forbidden', `checking ${login}'s permission on ${owner}/${repo}: ${err.message}; the token's user must be allowed to read collaborator permissions (on Forgejo: an admin of the repository)`, err.status);
      }
      throw err;
    }
  }
}

/** Adds a key to the recorded milestones: a set, newest last, at most MAX_RECORDED_MILESTONES keys of at most MAX_KEY characters. */
export function recordMilestone(milestones: string[] | undefined, key: string): string[] {
  const list = (milestones ?? []).filter((k) => k !== key);
  if (key.length <= MAX_KEY) list.push(key);
  return list.slice(-MAX_RECORDED_MILESTONES);
}
