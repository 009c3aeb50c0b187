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
}

/** Compares the requested models with what the runtime holds. */
export function planModels(spec: ModelServerSpec, present: PresentModel[]): ModelPlan {
  const have = new Map(present.map((p) => [normalizeModelName(p.name), p]));
  const wanted = new Set<string>();
  const plan: ModelPlan = { missing: [], mismatched: [], prune: [], ready: [] };
  for (const m of spec.models) {
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
    } else if (!p && pull?.running) {
      s.progress = pull.percent ?? 0;
      s.message = pull.status ?? 'pulling';
    } else if (!p && pull?.lastError) {
      const wait = pull.nextAttemptAt ? Math.max(0, Math.ceil((pull.nextAttemptAt - now) / 1000)) : 0;
      s.message = `pull failed (attempt ${pull.attempts}): ${pull.lastError}; retrying in ${wait}s`;
    } else if (!p) {
      s.message = 'waiting to pull';
    }
    return s;
  });
}
