import type { LaneProvider, LaneSpec } from '../model/lanes/spec.js';
import { policyError, RouterError, validationError } from './errors.js';
import type { FailureClass } from './providers/http.js';

export interface Candidate { provider: LaneProvider; model: string }

/** The provider model a logical name maps to; a provider without a mapping passes names through. */
export function providerModel(p: LaneProvider, logical: string): string | undefined {
  const keys = Object.keys(p.models);
  if (keys.length === 0) return logical;
  return p.models[logical] ?? p.models['*'];
}

/** Can this provider ever receive this lane's traffic? The private-lane guarantee lives here. */
export function providerAllowed(lane: Pick<LaneSpec, 'allowCloud'>, p: LaneProvider): boolean {
  return lane.allowCloud || p.locality === 'local';
}

/**
 * The ordered providers a request may go to, decided before anything is sent. A model the lane
 * does not map is refused here, so a private lane's request for a cloud model never leaves.
 */
export function planCandidates(lane: LaneSpec, req: { kind: 'chat' | 'embed'; model: string }, opts: { localOnly?: string } = {}): { ok: true; candidates: Candidate[] } | { ok: false; error: RouterError } {
  const mapping = lane.providers.filter((p) => providerModel(p, req.model) !== undefined);
  if (mapping.length === 0) return { ok: false, error: modelNotFound(lane, req.model) };
  const candidates: Candidate[] = [];
  for (const p of mapping) {
    if (!providerAllowed(lane, p)) continue;
    if (opts.localOnly && p.locality !== 'local') continue;
    if (req.kind === 'embed' && p.type === 'anthropic') continue;
    candidates.push({ provider: p, model: providerModel(p, req.model)! });
  }
  if (candidates.length === 0) {
    const what = req.kind === 'embed' ? 'embedding model' : 'model';
    const allowed = mapping.filter((p) => providerAllowed(lane, p) && !(opts.localOnly && p.locality !== 'local'));
    if (allowed.length > 0) {
      // Mapped, and allowed, but only by providers without an embeddings API (Anthropic).
      const embedding = [...new Set(lane.providers.filter((p) => providerAllowed(lane, p) && p.type !== 'anthropic').flatMap((p) => Object.keys(p.models).filter((k) => k !== '*')))];
      const instead = embedding.length > 0 ? `use one of ${embedding.map((m) => JSON.stringify(m)).join(', ')}` : 'the lane has no provider with an embeddings API';
      return { ok: false, error: validationError(`${what} ${JSON.stringify(req.model)} in lane ${lane.name} is served only by providers without an embeddings API (${allowed.map((p) => p.name).join(', ')}): ${instead}`, 'model_not_embedding') };
    }
    const scope = !lane.allowCloud ? ' (a private lane: local providers only)' : opts.localOnly ? ` (${opts.localOnly}: local providers only)` : '';
    return { ok: false, error: policyError(`${what} ${JSON.stringify(req.model)} is not available in lane ${lane.name}${scope}`, 403, 'model_not_in_lane') };
  }
  return { ok: true, candidates: candidates.slice(0, lane.fallback.maxAttempts) };
}

/**
 * A model name no provider of the lane maps: 404 `model_not_found`, as OpenAI and Ollama answer
 * for a model they do not have, naming the lane and the names it does serve.
 */
export function modelNotFound(lane: LaneSpec, model: string): RouterError {
  const models = logicalModels(lane);
  const served = models.length > 0 ? `its models are ${models.map((m) => JSON.stringify(m)).join(', ')} (GET /v1/models or /api/tags lists them)` : 'it maps no model names';
  return new RouterError('validation', 404, 'model_not_found', `model ${JSON.stringify(model)} not found in lane ${lane.name}: ${served}`);
}

/** Only failures before the first token can fall back, and only the classes the lane allows. */
export function mayFallBack(lane: Pick<LaneSpec, 'fallback'>, failure: FailureClass): boolean {
  return (lane.fallback.on as string[]).includes(failure);
}

/** The logical model names a lane serves, for /api/tags and /v1/models. */
export function logicalModels(lane: LaneSpec): string[] {
  const out = new Set<string>();
  for (const p of lane.providers) {
    if (!providerAllowed(lane, p)) continue;
    for (const k of Object.keys(p.models)) if (k !== '*') out.add(k);
  }
  return [...out];
}
