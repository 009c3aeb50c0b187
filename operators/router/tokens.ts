import { hash } from 'node:crypto';
import { EGRESS_ANNOTATION, egressFromAnnotation, type EgressPolicy } from '../model/agentrun/egress.js';
import { ISSUE_TRACKER_ANNOTATION, issueTrackerFromAnnotation, type RunIssueTrackerParse } from '../model/agentrun/issue-tracker-annotation.js';
import { runKindOf, runOwnerOfSecret, type RunOwner, type RunOwnerKind } from '../model/agentrun/run-owner.js';
import { tokenSecretRunName } from '../model/agentrun/usage.js';

/**
 * Per-run router tokens. The operator writes one Secret per workload:
 *   type: agentlab.dev/router-token
 *   metadata.labels: agentlab.dev/router-token: "true", agentlab.dev/run: <run name> (when it fits a label value: 63 characters)
 *   metadata.annotations: agentlab.dev/run: <run name> (any length; read before the label, then the Secret's name)
 *   metadata.annotations (optional): agentlab.dev/expires-at (RFC 3339), agentlab.dev/revoked ("true"),
 *     agentlab.dev/max-tokens (the run's token limit), agentlab.dev/lane (the lane the run expects),
 *     agentlab.dev/sensitive ("true": the run's requests stay local when the lane says sensitiveData LocalOnly),
 *     agentlab.dev/egress (the run's http egress policy, JSON: operators/model/agentrun/egress.ts),
 *     agentlab.dev/issue-tracker (where the github tool reaches, JSON: operators/model/agentrun/issue-tracker-annotation.ts)
 *   metadata.ownerReferences: the run (AgentRun, Flow, HardwareTask) as controller; its kind and UID
 *     go into the run's usage and report ConfigMaps (operators/model/agentrun/run-owner.ts)
 *   data.token: the bearer token (base64, as Secret data is)
 * The router keeps only SHA-256 digests of tokens, keyed back to the Secret's identity.
 */
export const TOKEN_SECRET_TYPE = 'agentlab.dev/router-token';
export const TOKEN_LABEL = 'agentlab.dev/router-token';
export const RUN_LABEL = 'agentlab.dev/run';
export const EXPIRES_ANNOTATION = 'agentlab.dev/expires-at';
export const REVOKED_ANNOTATION = 'agentlab.dev/revoked';
export const MAX_TOKENS_ANNOTATION = 'agentlab.dev/max-tokens';
export const LANE_ANNOTATION = 'agentlab.dev/lane';
export const SENSITIVE_ANNOTATION = 'agentlab.dev/sensitive';

export interface Identity {
  namespace: string;
  /** The run's kind (the token Secret's owner; AgentRun for a hand-made token): an AgentRun and a Flow of one name are two runs. */
  kind: RunOwnerKind;
  run: string;
  secret: string;
  expiresAt?: number;
  revoked: boolean;
  maxTokens?: number;
  lane?: string;
  /** Every request of this run is sensitive (AgentRun spec.sensitive). */
  sensitive: boolean;
  /** The run's http egress policy (agentlab.dev/egress); absent: no http egress. */
  egress?: EgressPolicy;
  /** The run's issue tracker for the github tool (agentlab.dev/issue-tracker); absent: no github tool. */
  tracker?: RunIssueTrackerParse;
  /** The run object the token belongs to (the Secret's controller owner); absent for a hand-made token. */
  owner?: RunOwner;
}

export interface TokenSecretLike {
  type?: string;
  metadata?: { name?: string; namespace?: string; uid?: string; labels?: Record<string, string>; annotations?: Record<string, string>; ownerReferences?: { apiVersion?: string; kind?: string; uid?: string; controller?: boolean }[] };
  data?: Record<string, string>;
  /** Set by redactTokenSecret: the digest that replaces data.token in the router's cache. */
  tokenDigest?: string;
}

// crypto.hash: the one-shot form, without a Hash object per request.
export const digest = (token: string) => hash('sha256', token, 'hex');

/** Reads a token Secret; undefined when it is not one (wrong type, no token). Pure. */
export function identityFromSecret(s: TokenSecretLike): { hash: string; identity: Identity } | undefined {
  if (s.type !== TOKEN_SECRET_TYPE) return undefined;
  const ns = s.metadata?.namespace;
  const name = s.metadata?.name;
  const hash = s.tokenDigest ?? digestOfData(s.data);
  if (!hash || !ns || !name) return undefined;
  const ann = s.metadata?.annotations ?? {};
  const owner = runOwnerOfSecret(s.metadata);
  const identity: Identity = { namespace: ns, kind: runKindOf(owner), run: tokenRunName(s) ?? name, secret: name, revoked: ann[REVOKED_ANNOTATION] === 'true', sensitive: ann[SENSITIVE_ANNOTATION] === 'true' };
  const exp = ann[EXPIRES_ANNOTATION] ? Date.parse(ann[EXPIRES_ANNOTATION]) : NaN;
  // An unparseable expiry fails closed: the token is treated as already expired.
  if (ann[EXPIRES_ANNOTATION] !== undefined) identity.expiresAt = Number.isNaN(exp) ? 0 : exp;
  const max = Number(ann[MAX_TOKENS_ANNOTATION]);
  if (ann[MAX_TOKENS_ANNOTATION] !== undefined && Number.isFinite(max) && max >= 0) identity.maxTokens = max;
  if (ann[LANE_ANNOTATION]) identity.lane = ann[LANE_ANNOTATION];
  const egress = egressFromAnnotation(ann[EGRESS_ANNOTATION]);
  if (egress) identity.egress = egress;
  const tracker = issueTrackerFromAnnotation(ann[ISSUE_TRACKER_ANNOTATION]);
  if (tracker) identity.tracker = tracker;
  if (owner) identity.owner = owner;
  return { hash, identity };
}

const tokenRunName = (s: TokenSecretLike): string | undefined => tokenSecretRunName(s.metadata);

/** The run a token Secret counts for, `<namespace>/<kind>/<run>` (the key of its account and ConfigMaps); undefined without a name. */
export function tokenRunKey(s: TokenSecretLike): string | undefined {
  const run = tokenRunName(s);
  return s.metadata?.namespace && run ? runRef(s.metadata.namespace, runKindOf(runOwnerOfSecret(s.metadata)), run) : undefined;
}

/** `<namespace>/<kind>/<run>`: one run of one kind. */
export const runRef = (namespace: string, kind: RunOwnerKind, run: string) => `${namespace}/${kind}/${run}`;

/** Tokens shorter than this were not issued by the operator (it issues 32 random bytes). */
const MIN_TOKEN_LENGTH = 16;

function digestOfData(data: Record<string, string> | undefined): string | undefined {
  const raw = data?.token;
  if (!raw) return undefined;
  const token = Buffer.from(raw, 'base64').toString('utf8');
  return token.length >= MIN_TOKEN_LENGTH ? digest(token) : undefined;
}

/** Replaces a token Secret's data by the token's digest, so the watch cache never holds plaintext. */
export function redactTokenSecret<T extends TokenSecretLike>(s: T): T {
  const out: T = { ...s, metadata: s.metadata ? { ...s.metadata } : undefined };
  const d = digestOfData(s.data);
  delete out.data;
  if (out.metadata) delete (out.metadata as { managedFields?: unknown }).managedFields;
  if (d) out.tokenDigest = d;
  return out;
}

/** The router's view of all live tokens, fed by a Secret watch. */
export class TokenIndex {
  private readonly byHash = new Map<string, Identity>();
  private readonly hashBySecret = new Map<string, string>();
  /** Token Secrets per run (`<namespace>/<kind>/<run>`), revoked ones included. */
  private readonly secretsByRun = new Map<string, number>();
  /** The run object of each run's token (`<namespace>/<kind>/<run>`), when its Secret names one. */
  private readonly ownerByRun = new Map<string, RunOwner>();

  upsert(s: TokenSecretLike): void {
    const key = `${s.metadata?.namespace}/${s.metadata?.name}`;
    this.remove(s);
    const r = identityFromSecret(s);
    if (!r) return;
    this.byHash.set(r.hash, r.identity);
    this.hashBySecret.set(key, r.hash);
    const run = runRef(r.identity.namespace, r.identity.kind, r.identity.run);
    this.secretsByRun.set(run, (this.secretsByRun.get(run) ?? 0) + 1);
    if (r.identity.owner) this.ownerByRun.set(run, r.identity.owner);
  }

  remove(s: TokenSecretLike): void {
    const key = `${s.metadata?.namespace}/${s.metadata?.name}`;
    const h = this.hashBySecret.get(key);
    if (h !== undefined) {
      const id = this.byHash.get(h);
      this.byHash.delete(h);
      this.hashBySecret.delete(key);
      if (id) {
        const run = runRef(id.namespace, id.kind, id.run);
        const n = (this.secretsByRun.get(run) ?? 1) - 1;
        if (n > 0) this.secretsByRun.set(run, n);
        else {
          this.secretsByRun.delete(run);
          this.ownerByRun.delete(run);
        }
      }
    }
  }

  /** Whether a token Secret of the run exists (revoked or not). */
  hasRun(namespace: string, kind: RunOwnerKind, run: string): boolean {
    return this.secretsByRun.has(runRef(namespace, kind, run));
  }

  /** The run object (kind, UID) a run's token belongs to, when its Secret names one. */
  runOwner(namespace: string, kind: RunOwnerKind, run: string): RunOwner | undefined {
    return this.ownerByRun.get(runRef(namespace, kind, run));
  }

  clear(): void {
    this.byHash.clear();
    this.hashBySecret.clear();
    this.secretsByRun.clear();
    this.ownerByRun.clear();
  }

  /** The caller's identity, or why the token is refused (never echoing the token). */
  authenticate(authorization: string | undefined, now: number): { ok: true; identity: Identity } | { ok: false; reason: string } {
    const m = authorization ? /^Bearer\s+(\S+)\s*$/i.exec(authorization) : null;
    if (!m) return { ok: false, reason: 'missing bearer token (Authorization: Bearer <token>)' };
    const id = this.byHash.get(digest(m[1]));
    if (!id) return { ok: false, reason: 'unknown or deleted token' };
    if (id.revoked) return { ok: false, reason: `token of run ${id.namespace}/${id.run} was revoked` };
    if (id.expiresAt !== undefined && id.expiresAt <= now) return { ok: false, reason: `token of run ${id.namespace}/${id.run} has expired` };
    return { ok: true, identity: id };
  }

  get size(): number {
    return this.byHash.size;
  }
}
