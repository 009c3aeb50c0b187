// The in-memory forge behind the fake GitHub and fake Forgejo: repositories, users and tokens,
// issues, comments, labels, reactions, branches with files and commits, plus the request pipeline
// both share (token check -> injected rate limit -> route -> ETag/If-None-Match). Each provider
// file only declares its routes and renders its own wire shapes.
import { createHash } from 'node:crypto';
import { sleep, startFakeHttpServer, type FakeContext, type FakeServer, type Faults } from './server.js';

export type ForgePermission = 'admin' | 'write' | 'read' | 'none';

export interface ForgeUserSpec {
  login: string;
  /** The API token this user authenticates with (omit for a user who only exists). */
  token?: string;
  /** Collaborator permission on every repository (default: none, i.e. read on a public repository). */
  permission?: ForgePermission;
  /** A GitHub App / bot account (GitHub reports user.type "Bot"). */
  bot?: boolean;
}

export interface ForgeUser {
  id: number;
  login: string;
  bot: boolean;
}

export interface ForgeLabel {
  id: number;
  name: string;
  color: string;
  description: string;
}

export interface ForgeReaction {
  id: number;
  user: ForgeUser;
  content: string;
  createdAt: Date;
}

export interface ForgeIssue {
  id: number;
  number: number;
  title: string;
  body: string;
  state: 'open' | 'closed';
  user: ForgeUser;
  labels: ForgeLabel[];
  reactions: ForgeReaction[];
  createdAt: Date;
  updatedAt: Date;
  closedAt?: Date;
  deleted: boolean;
}

export interface ForgeComment {
  id: number;
  issueNumber: number;
  body: string;
  user: ForgeUser;
  reactions: ForgeReaction[];
  createdAt: Date;
  updatedAt: Date;
}

export interface ForgeFile {
  /** Raw bytes as a latin1-safe Buffer. */
  content: Buffer;
  sha: string;
  lastCommitSha: string;
}

export interface ForgeCommit {
  sha: string;
  branch: string;
  path: string;
  message: string;
  author: ForgeUser;
  at: Date;
}

export interface ForgeRepo {
  id: number;
  owner: string;
  name: string;
  private: boolean;
  defaultBranch: string;
  labels: ForgeLabel[];
  issues: Map<number, ForgeIssue>;
  comments: Map<number, ForgeComment>;
  branches: Map<string, Map<string, ForgeFile>>;
  commits: ForgeCommit[];
  nextNumber: number;
}

/** A rate-limit answer a test switches on: the next `count` authenticated requests get it. */
export type RateLimitFault =
  /** GitHub's primary limit: 403 with x-ratelimit-remaining 0 and x-ratelimit-reset (epoch s). */
  | { kind: 'primary'; count?: number; resetInSeconds: number }
  /** A secondary limit: 403 (GitHub) or 429 (GitHub, or a proxy in front of Forgejo) with retry-after. */
  | { kind: 'secondary'; count?: number; retryAfterSeconds: number; status?: 403 | 429 };

export interface FakeForgeOptions {
  host?: string;
  port?: number;
  /** Repositories as `owner/name` (default ["agentlab/homelab"]); the owner's login is an admin. */
  repositories?: string[];
  users?: ForgeUserSpec[];
  /** Issues that exist at start (e.g. the ones examples link by number), opened by the repository owner. */
  issues?: { repository: string; number: number; title: string; body?: string }[];
  /** Branches every repository starts with (default ["main"]). */
  branches?: string[];
  faults?: Faults;
  log?: (line: string) => void;
}

export class ForgeHttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export interface RouteContext {
  params: string[];
  query: URLSearchParams;
  body: Record<string, unknown>;
  user: ForgeUser;
  repo?: ForgeRepo;
}

export interface RouteAnswer {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface Route {
  method: string;
  /** Matched against the path below the API prefix; captures become params. */
  pattern: RegExp;
  /** The first capture pair is owner/repo: the repository is resolved (404 when unknown). */
  repo?: boolean;
  handle(ctx: RouteContext): RouteAnswer;
}

export interface ProviderWire {
  /** Path prefix of the API (GitHub: "" or "/api/v3"; Forgejo: "/api/v1"). */
  prefix: string;
  routes: Route[];
  errorBody(status: number, message: string): unknown;
  /** Headers every authenticated answer carries (GitHub's x-ratelimit-*). */
  commonHeaders?(): Record<string, string>;
  /** The answer for an injected rate limit. */
  rateLimited(fault: RateLimitFault, now: number): { status: number; message: string; headers: Record<string, string> };
  unauthorizedMessage: string;
}

export interface FakeForge extends FakeServer {
  /** The forge's web root: issue html_url values start with it. */
  webUrl: string;
  addUser(spec: ForgeUserSpec): ForgeUser;
  /** The token stops working (401), as after a revocation. */
  revokeToken(token: string): void;
  setPermission(login: string, permission: ForgePermission): void;
  /** Answer the next requests with a rate limit (pass undefined to stop). */
  setRateLimit(fault: RateLimitFault | undefined): void;
  /** Deletes an issue as an admin would: GitHub answers 410 for it afterwards, Forgejo 404. */
  deleteIssue(repository: string, number: number): void;
  createBranch(repository: string, name: string, from?: string): void;
  repo(repository: string): ForgeRepo;
  /** The comments of an issue, oldest first. */
  comments(repository: string, number: number): ForgeComment[];
  /** A file's UTF-8 content on a branch, or undefined. */
  file(repository: string, branch: string, path: string): string | undefined;
}

/** Git's blob id: sha1("blob <size>\0<content>"), so shas look and behave like a real forge's. */
export function gitBlobSha(content: Buffer): string {
  return createHash('sha1').update(`blob ${content.length}\0`).update(content).digest('hex');
}

export function weakEtag(text: string): string {
  return `W/"${createHash('sha256').update(text).digest('hex').slice(0, 32)}"`;
}

/** A timestamp as both forges print it: RFC 3339, whole seconds, UTC. */
export const wireTime = (d: Date): string => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

export interface ForgeState {
  users: Map<string, ForgeUser>;
  tokens: Map<string, ForgeUser>;
  permissions: Map<string, ForgePermission>;
  repos: Map<string, ForgeRepo>;
  nextId(): number;
  permissionOf(repo: ForgeRepo, login: string): ForgePermission;
}

const rank: Record<ForgePermission, number> = { none: 0, read: 1, write: 2, admin: 3 };
export const atLeast = (have: ForgePermission, need: ForgePermission): boolean => rank[have] >= rank[need];

export function newForgeState(opts: FakeForgeOptions): ForgeState {
  let id = 1000;
  const nextId = (): number => ++id;
  const users = new Map<string, ForgeUser>();
  const tokens = new Map<string, ForgeUser>();
  const permissions = new Map<string, ForgePermission>();
  const repos = new Map<string, ForgeRepo>();
  for (const full of opts.repositories ?? ['agentlab/homelab']) {
    const [owner, name] = full.split('/');
    if (!owner || !name) throw new Error(`fake forge: repository ${JSON.stringify(full)} is not owner/name`);
    if (!users.has(owner)) users.set(owner, { id: nextId(), login: owner, bot: false });
    const branches = new Map<string, Map<string, ForgeFile>>();
    for (const b of opts.branches ?? ['main']) branches.set(b, new Map());
    repos.set(full.toLowerCase(), {
      id: nextId(), owner, name, private: false, defaultBranch: (opts.branches ?? ['main'])[0]!,
      labels: [], issues: new Map(), comments: new Map(), branches, commits: [], nextNumber: 1,
    });
  }
  return {
    users, tokens, permissions, repos, nextId,
    permissionOf(repo, login) {
      if (login.toLowerCase() === repo.owner.toLowerCase()) return 'admin';
      const p = permissions.get(login.toLowerCase());
      if (p && p !== 'none') return p;
      return repo.private ? 'none' : 'read';
    },
  };
}

export function addForgeUser(state: ForgeState, spec: ForgeUserSpec): ForgeUser {
  const key = spec.login.toLowerCase();
  const user = state.users.get(key) ?? { id: state.nextId(), login: spec.login, bot: spec.bot ?? false };
  state.users.set(key, user);
  if (spec.token) state.tokens.set(spec.token, user);
  if (spec.permission) state.permissions.set(key, spec.permission);
  return user;
}

/** The token from `Authorization: token X` / `Bearer X` (both forges accept both). */
export function bearerToken(header: string | undefined): string | undefined {
  const m = /^(?:token|bearer)\s+(\S+)\s*$/i.exec(header ?? '');
  return m?.[1];
}

export function lookupRepo(state: ForgeState, owner: string, name: string): ForgeRepo {
  const repo = state.repos.get(`${owner}/${name}`.toLowerCase());
  if (!repo) throw new ForgeHttpError(404, 'Not Found');
  return repo;
}

export async function startFakeForge(opts: FakeForgeOptions, state: ForgeState, wire: ProviderWire, webUrlOf: (url: string) => string): Promise<FakeForge> {
  let rateLimit: RateLimitFault | undefined;
  const server = await startFakeHttpServer({
    host: opts.host,
    port: opts.port,
    faults: opts.faults,
    errorBody: (status, message) => wire.errorBody(status, message),
    onRequest: opts.log ? (e) => opts.log!(`${e.method} ${e.path} ${e.status} ${e.ms}ms`) : undefined,
    async handle(ctx) {
      const a = route(ctx);
      // The delay fault holds every answer back (a slow forge), e.g. to test client timeouts.
      const delay = ctx.faults.firstTokenDelayMs;
      if (delay && delay > 0) await sleep(delay);
      if (!ctx.res.destroyed) answer(ctx, a);
    },
  });

  const route = (ctx: FakeContext): RouteAnswer & { etag?: boolean } => {
    try {
      const { req } = ctx;
      if (!req.path.startsWith(`${wire.prefix}/`)) throw new ForgeHttpError(404, 'Not Found');
      const path = req.path.slice(wire.prefix.length);
      const token = bearerToken(req.headers.authorization);
      const user = token ? state.tokens.get(token) : undefined;
      if (!user) throw new ForgeHttpError(401, wire.unauthorizedMessage);
      if (rateLimit) {
        const fault = rateLimit;
        if (fault.count !== undefined) {
          fault.count -= 1;
          if (fault.count <= 0) rateLimit = undefined;
        }
        const limited = wire.rateLimited(fault, Date.now());
        throw new ForgeHttpError(limited.status, limited.message, limited.headers);
      }
      if (req.jsonError) throw new ForgeHttpError(400, `Problems parsing JSON: ${req.jsonError}`);
      for (const r of wire.routes) {
        if (r.method !== req.method) continue;
        const m = r.pattern.exec(path);
        if (!m) continue;
        const params = m.slice(1).map((p) => decodeURIComponent(p ?? ''));
        const repo = r.repo ? lookupRepo(state, params[0]!, params[1]!) : undefined;
        const body = req.json && typeof req.json === 'object' && !Array.isArray(req.json) ? (req.json as Record<string, unknown>) : {};
        return { ...r.handle({ params, query: req.query, body, user, repo }), etag: req.method === 'GET' };
      }
      throw new ForgeHttpError(404, 'Not Found');
    } catch (e) {
      if (e instanceof ForgeHttpError) {
        const common = e.status === 401 ? {} : (wire.commonHeaders?.() ?? {});
        return { status: e.status, body: wire.errorBody(e.status, e.message), headers: { ...common, ...e.headers } };
      }
      throw e;
    }
  };

  const answer = (ctx: FakeContext, a: RouteAnswer & { etag?: boolean }): void => {
    const headers: Record<string, string> = { ...(a.status < 400 ? (wire.commonHeaders?.() ?? {}) : {}), ...(a.headers ?? {}) };
    if (a.body === undefined) {
      ctx.res.writeHead(a.status, headers);
      ctx.res.end();
      return;
    }
    const text = JSON.stringify(a.body);
    if (a.etag && a.status === 200) {
      const etag = weakEtag(text);
      headers.etag = etag;
      const inm = ctx.req.headers['if-none-match'];
      if (inm && inm.split(',').map((s) => s.trim()).includes(etag)) {
        ctx.res.writeHead(304, headers);
        ctx.res.end();
        return;
      }
    }
    ctx.res.writeHead(a.status, { ...headers, 'content-type': 'application/json; charset=utf-8', 'content-length': String(Buffer.byteLength(text)) });
    ctx.res.end(text);
  };

  const repoOf = (full: string): ForgeRepo => {
    const r = state.repos.get(full.toLowerCase());
    if (!r) throw new Error(`fake forge: no repository ${full}`);
    return r;
  };
  for (const u of opts.users ?? []) addForgeUser(state, u);
  for (const seed of opts.issues ?? []) {
    const r = repoOf(seed.repository);
    if (!Number.isInteger(seed.number) || seed.number < 1 || r.issues.has(seed.number)) throw new Error(`fake forge: cannot seed ${seed.repository}#${seed.number}`);
    const owner = state.users.get(r.owner.toLowerCase())!;
    r.nextNumber = seed.number;
    createIssue(state, r, owner, seed.title, seed.body ?? '');
    r.nextNumber = Math.max(...r.issues.keys()) + 1;
  }
  return {
    ...server,
    webUrl: webUrlOf(server.url),
    addUser: (spec) => addForgeUser(state, spec),
    revokeToken: (token) => void state.tokens.delete(token),
    setPermission: (login, p) => void state.permissions.set(login.toLowerCase(), p),
    setRateLimit: (fault) => {
      rateLimit = fault ? { ...fault } : undefined;
    },
    deleteIssue(full, number) {
      const issue = repoOf(full).issues.get(number);
      if (!issue) throw new Error(`fake forge: ${full} has no issue #${number}`);
      issue.deleted = true;
    },
    createBranch(full, name, from) {
      const r = repoOf(full);
      const base = r.branches.get(from ?? r.defaultBranch) ?? new Map();
      r.branches.set(name, new Map(base));
    },
    repo: repoOf,
    comments: (full, number) => [...repoOf(full).comments.values()].filter((c) => c.issueNumber === number).sort((a, b) => a.id - b.id),
    file: (full, branch, path) => repoOf(full).branches.get(branch)?.get(path)?.content.toString('utf8'),
  };
}

// ---- operations both forges share (decisions only; the routes render the answers) ----

export function requireString(body: Record<string, unknown>, field: string, status = 422): string {
  const v = body[field];
  if (typeof v !== 'string' || v === '') throw new ForgeHttpError(status, `Invalid request: "${field}" is required and must be a string`);
  return v;
}

export function liveIssue(repo: ForgeRepo, number: number, deletedStatus: 404 | 410): ForgeIssue {
  const issue = repo.issues.get(number);
  if (!issue) throw new ForgeHttpError(404, 'Not Found');
  if (issue.deleted) throw new ForgeHttpError(deletedStatus, deletedStatus === 410 ? 'This issue was deleted' : `issue does not exist [index: ${number}]`);
  return issue;
}

export function liveComment(repo: ForgeRepo, id: number): ForgeComment {
  const c = repo.comments.get(id);
  if (!c || repo.issues.get(c.issueNumber)?.deleted) throw new ForgeHttpError(404, 'Not Found');
  return c;
}

export function createIssue(state: ForgeState, repo: ForgeRepo, user: ForgeUser, title: string, body: string): ForgeIssue {
  const now = new Date();
  const issue: ForgeIssue = {
    id: state.nextId(), number: repo.nextNumber++, title, body, state: 'open', user, labels: [], reactions: [],
    createdAt: now, updatedAt: now, deleted: false,
  };
  repo.issues.set(issue.number, issue);
  return issue;
}

export function mayEdit(state: ForgeState, repo: ForgeRepo, user: ForgeUser, author: ForgeUser): boolean {
  return user.id === author.id || atLeast(state.permissionOf(repo, user.login), 'write');
}

export function editIssue(issue: ForgeIssue, patch: Record<string, unknown>): void {
  if (typeof patch.title === 'string') issue.title = patch.title;
  if (typeof patch.body === 'string') issue.body = patch.body;
  if (patch.state !== undefined) {
    if (patch.state !== 'open' && patch.state !== 'closed') throw new ForgeHttpError(422, `Invalid request: state must be "open" or "closed"`);
    if (patch.state !== issue.state) issue.closedAt = patch.state === 'closed' ? new Date() : undefined;
    issue.state = patch.state;
  }
  issue.updatedAt = new Date();
}

export function addComment(state: ForgeState, repo: ForgeRepo, issue: ForgeIssue, user: ForgeUser, body: string): ForgeComment {
  const now = new Date();
  const c: ForgeComment = { id: state.nextId(), issueNumber: issue.number, body, user, reactions: [], createdAt: now, updatedAt: now };
  repo.comments.set(c.id, c);
  issue.updatedAt = now;
  return c;
}

/** Comments of an issue updated at or after `since` (both forges filter on updated_at). */
export function commentsSince(repo: ForgeRepo, number: number, since: string | null): ForgeComment[] {
  let from = -Infinity;
  if (since) {
    from = Date.parse(since);
    if (Number.isNaN(from)) throw new ForgeHttpError(422, `Invalid request: since ${JSON.stringify(since)} is not an ISO 8601 timestamp`);
  }
  // Timestamps on the wire have whole seconds: compare at that resolution, as the forges do.
  return [...repo.comments.values()]
    .filter((c) => c.issueNumber === number && Math.floor(c.updatedAt.getTime() / 1000) * 1000 >= from)
    .sort((a, b) => a.id - b.id);
}

/**
 * The issues a repository list answers (both forges): not deleted, in `state` (default open; "all"),
 * carrying every label in `labels` (comma-separated names), updated at or after `since`; newest first.
 */
export function issuesMatching(repo: ForgeRepo, query: URLSearchParams): ForgeIssue[] {
  const state = query.get('state') ?? 'open';
  if (state !== 'open' && state !== 'closed' && state !== 'all') throw new ForgeHttpError(422, `Invalid request: state ${JSON.stringify(state)} is not open, closed or all`);
  const labels = (query.get('labels') ?? '').split(',').map((l) => l.trim().toLowerCase()).filter(Boolean);
  let from = -Infinity;
  const since = query.get('since');
  if (since) {
    from = Date.parse(since);
    if (Number.isNaN(from)) throw new ForgeHttpError(422, `Invalid request: since ${JSON.stringify(since)} is not an ISO 8601 timestamp`);
  }
  return [...repo.issues.values()]
    .filter((i) => !i.deleted && (state === 'all' || i.state === state))
    .filter((i) => labels.every((l) => i.labels.some((x) => x.name.toLowerCase() === l)))
    .filter((i) => Math.floor(i.updatedAt.getTime() / 1000) * 1000 >= from)
    .sort((a, b) => b.number - a.number);
}

export const REACTIONS = new Set(['+1', '-1', 'laugh', 'confused', 'heart', 'hooray', 'rocket', 'eyes']);

/** Adds a reaction; `created` false when the user had already reacted so (both forges answer 200 then). */
export function react(state: ForgeState, list: ForgeReaction[], user: ForgeUser, content: unknown): { reaction: ForgeReaction; created: boolean } {
  if (typeof content !== 'string' || !REACTIONS.has(content)) throw new ForgeHttpError(422, `Invalid request: content ${JSON.stringify(content)} is not a reaction`);
  const existing = list.find((r) => r.user.id === user.id && r.content === content);
  if (existing) return { reaction: existing, created: false };
  const reaction = { id: state.nextId(), user, content, createdAt: new Date() };
  list.push(reaction);
  return { reaction, created: true };
}

export function ensureLabel(state: ForgeState, repo: ForgeRepo, name: string, color = 'ededed', description = ''): ForgeLabel {
  const found = repo.labels.find((l) => l.name.toLowerCase() === name.toLowerCase());
  if (found) return found;
  const label = { id: state.nextId(), name, color: color.replace(/^#/, ''), description };
  repo.labels.push(label);
  return label;
}

export function attachLabels(issue: ForgeIssue, labels: ForgeLabel[]): void {
  for (const l of labels) if (!issue.labels.some((x) => x.id === l.id)) issue.labels.push(l);
  issue.updatedAt = new Date();
}

export function branchFiles(repo: ForgeRepo, branch: string | null): Map<string, ForgeFile> {
  const files = repo.branches.get(branch ?? repo.defaultBranch);
  if (!files) throw new ForgeHttpError(404, `Branch ${branch} not found`);
  return files;
}

export function decodeContent(body: Record<string, unknown>): Buffer {
  const b64 = requireString(body, 'content');
  if (!/^[A-Za-z0-9+/=\s]*$/.test(b64)) throw new ForgeHttpError(422, 'Invalid request: content is not valid Base64');
  return Buffer.from(b64, 'base64');
}

export function commitFile(state: ForgeState, repo: ForgeRepo, branch: string, path: string, content: Buffer, message: string, author: ForgeUser): { file: ForgeFile; commit: ForgeCommit } {
  const files = branchFiles(repo, branch);
  const at = new Date();
  const commitSha = createHash('sha1').update(`${repo.commits.length}\0${branch}\0${path}\0${message}\0${at.toISOString()}\0${state.nextId()}`).digest('hex');
  const file = { content, sha: gitBlobSha(content), lastCommitSha: commitSha };
  files.set(path, file);
  const commit = { sha: commitSha, branch, path, message, author, at };
  repo.commits.push(commit);
  return { file, commit };
}

export function requireWrite(state: ForgeState, repo: ForgeRepo, user: ForgeUser, message: string): void {
  if (!atLeast(state.permissionOf(repo, user.login), 'write')) throw new ForgeHttpError(403, message);
}

/** Splits `page`/`per_page`-style pagination; returns the slice and whether more pages follow. */
export function paginate<T>(items: T[], page: number, perPage: number): { slice: T[]; hasNext: boolean } {
  const start = (page - 1) * perPage;
  return { slice: items.slice(start, start + perPage), hasNext: start + perPage < items.length };
}

export function intParam(q: URLSearchParams, name: string, def: number, max: number): number {
  const raw = q.get(name);
  if (raw === null) return def;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new ForgeHttpError(422, `Invalid request: ${name} must be a positive integer`);
  return Math.min(n, max);
}
