import type { ModelServerSpec, ModelStatus } from './types.js';

/** A model the runtime reports (Ollama /api/tags or vLLM /v1/models). */
export interface PresentModel { name: string; digest?: string; sizeBytes?: number; modifiedAt?: string }

/** Pull progress as the pull manager tracks it. */
export interface PullState {
  model: string;
  running: boolean;
  percent?: number;
  status?: string;
  attempts: number;
  lastError?: string;
  /** Epoch ms of the next retry after a failure. */
  nextAttemptAt?: number;
  /** Epoch ms at which the last pull succeeded. */
  pulledAt?: number;
}

/** Ollama's name normalisation: no tag means `latest`; registry and `library/` prefixes dropped. */
export function normalizeModelName(name: string): string {
  let n = name.trim().replace(/^(registry\.ollama\.ai\/)?(library\/)?/, '');
  const slash = n.lastIndexOf('/');
  if (!n.slice(slash + 1).includes(':')) n = `${n}:latest`;
  return n;
}

/** A pin matches when it is a prefix (>= 12 hex digits) of the present digest, with or without sha256:. */
export function digestMatches(pin: string, digest: string | undefined): boolean {
  if (!digest) return false;
  const p = pin.replace(/^sha256:/, '').toLowerCase();
  const d = digest.replace(/^sha256:/, '').toLowerCase();
  return p.length >= 12 && d.startsWith(p);
}

export interface ModelPlan {
  /** Requested and absent: pull. */
  missing: string[];
  /** Present with a digest other than the pin. */
  mismatched: { name: string; pinned: string; present: string }[];
  /** Present, not requested, and spec.prune is true: delete. */
  prune: string[];
  /** Requested and present with the right digest. */
  ready: string[];
  /** Position of each requested model in spec.models, for field paths in messages. */
  index: Record<string, number>;
}

/** Compares the requested models with what the runtime holds. */
export function planModels(spec: ModelServerSpec, present: PresentModel[]): ModelPlan {
  const have = new Map(present.map((p) => [normalizeModelName(p.name), p]));
  const wanted = new Set<string>();
  const plan: ModelPlan = { missing: [], mismatched: [], prune: [], ready: [], index: {} };
  for (const [i, m] of spec.models.entries()) {
    plan.index[m.name] ??= i;
    const name = normalizeModelName(m.name);
    wanted.add(name);
    const p = have.get(name);
    if (!p) plan.missing.push(m.name);
    else if (m.digest && !digestMatches(m.digest, p.digest)) plan.mismatched.push({ name: m.name, pinned: m.digest, present: p.digest ?? 'unknown' });
    else plan.ready.push(m.name);
  }
  if (spec.prune) for (const [name, p] of have) if (!wanted.has(name)) plan.prune.push(p.name);
  return plan;
}

const short = (d: string): string => d.replace(/^sha256:/, '').slice(0, 12);

/**
 * Whether a model's pull counts as failed: its last attempt failed and no retry has made
 * progress since. A retry that only fetches the manifest again (as one for a model that does not
 * exist does) leaves the failure standing, so status and events do not flap on every attempt.
 */
export function pullFailing(s: PullState | undefined): s is PullState & { lastError: string } {
  return s?.lastError !== undefined && (!s.running || (s.percent ?? 0) === 0);
}

/** Ollama's answers for a name or tag the registry does not have (old and new registry clients). */
const NO_SUCH_MODEL = /file does not exist|manifest unknown|not found/i;

/**
 * What a person should do about a failed pull, or undefined when retrying is all there is to do
 * (network errors, a registry hiccup).
 */
export function pullFailureAdvice(model: string, index: number | undefined, error: string): string | undefined {
  if (!NO_SUCH_MODEL.test(error)) return undefined;
  const field = index === undefined ? 'spec.models' : `spec.models[${index}].name`;
  return `the registry has no model ${JSON.stringify(model)}: correct the name or tag in ${field} (see https://ollama.com/library)`;
}

/** RFC 3339 without milliseconds, as status timestamps are written. */
export const statusTime = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** status.models: one entry per requested model, in spec order. */
export function modelStatuses(spec: ModelServerSpec, present: PresentModel[], pulls: (name: string) => PullState | undefined, now: number): ModelStatus[] {
  const have = new Map(present.map((p) => [normalizeModelName(p.name), p]));
  return spec.models.map((m) => {
    const p = have.get(normalizeModelName(m.name));
    const s: ModelStatus = { name: m.name, present: p !== undefined };
    if (p?.digest) s.digest = p.digest.startsWith('sha256:') ? p.digest : `sha256:${p.digest}`;
    if (p?.sizeBytes !== undefined) s.sizeBytes = p.sizeBytes;
    if (p?.modifiedAt) s.pulledAt = p.modifiedAt;
    const pull = pulls(m.name);
    if (p && m.digest && !digestMatches(m.digest, p.digest)) {
      s.message = `digest ${short(p.digest ?? '')} does not match the pin ${short(m.digest)}`;
    } else if (!p && pullFailing(pull)) {
      const next = pull.running ? `attempt ${pull.attempts + 1} running` : `next attempt at ${statusTime(Math.max(now, pull.nextAttemptAt ?? now))}`;
      s.message = `pull failed (attempt ${pull.attempts}): ${pull.lastError}; ${next}`;
    } else if (!p && pull?.running) {
      s.progress = pull.percent ?? 0;
      s.message = pull.status ?? 'pulling';
    } else if (!p) {
      s.message = 'waiting to pull';
    }
    return s;
  });
}
