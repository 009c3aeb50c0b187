import { bindNamespaces, type NamespaceInfo } from '../model/lanes/binding.js';
import { parseLaneSpec, type LabelSelector, type LaneProvider, type LaneSpec, type ModelServerLookup } from '../model/lanes/spec.js';

/** What lane resolution needs of a LanePolicy and a Namespace object (read loosely, as stored). */
export interface LaneObject { metadata?: { name?: string }; spec?: unknown }
export interface NamespaceObject { metadata?: { name?: string; labels?: Record<string, string>; deletionTimestamp?: string }; status?: { phase?: string } }

export type LaneResolution =
  | { ok: true; lane: string; spec: LaneSpec }
  | { ok: false; field: string; reason: string; message: string };

/** The provider model a logical name maps to (as the router maps it): no mapping passes names through. */
function providerModel(p: LaneProvider, logical: string): string | undefined {
  if (Object.keys(p.models).length === 0) return logical;
  return p.models[logical] ?? p.models['*'];
}

/**
 * The providers of the lane that may serve this run's model: mapped, allowed by the lane
 * (a private lane: local only) and, for a sensitive run under sensitiveData LocalOnly, local.
 * The router plans requests by the same rules, so an empty list means every request would fail.
 */
export function servingProviders(lane: LaneSpec, model: string, sensitive: boolean): LaneProvider[] {
  return lane.providers.filter((p) => providerModel(p, model) !== undefined
    && (lane.allowCloud || p.locality === 'local')
    && !(sensitive && lane.sensitiveData === 'LocalOnly' && p.locality !== 'local'));
}

type LaneRefusal = Extract<LaneResolution, { ok: false }>;

/**
 * The lane a run uses: spec.lane, which must select the run's namespace, or the lane that
 * selects it; then whether that lane can serve the run's model. Every refusal names the field.
 */
export function resolveLane(input: {
  namespace: string;
  spec: { lane?: string; model?: string; sensitive?: boolean };
  lanes: LaneObject[];
  namespaces: NamespaceObject[];
  modelServer?: ModelServerLookup;
}): LaneResolution {
  const bound = laneBinding(input);
  if (!bound.ok) return bound;
  return laneService(bound.lane, input.lanes.find((l) => l.metadata?.name === bound.lane), input);
}

/**
 * The first half of resolveLane: which lane selects the run's namespace (and agrees with
 * spec.lane). Reads only the lanes' names and namespaceSelectors, so cached LanePolicies cut down
 * to those (cache-fields.ts LANE_FIELDS) give the same answer.
 */
export function laneBinding(input: { namespace: string; spec: { lane?: string }; lanes: LaneObject[]; namespaces: NamespaceObject[] }): { ok: true; lane: string } | LaneRefusal {
  const selectors = input.lanes
    .filter((l) => l.metadata?.name && typeof l.spec === 'object' && l.spec !== null && typeof (l.spec as { namespaceSelector?: unknown }).namespaceSelector === 'object')
    .map((l) => ({ name: l.metadata!.name!, namespaceSelector: (l.spec as { namespaceSelector: LabelSelector }).namespaceSelector }));
  const infos: NamespaceInfo[] = input.namespaces.filter((n) => n.metadata?.name).map((n) => ({ name: n.metadata!.name!, labels: n.metadata?.labels }));
  if (!infos.some((n) => n.name === input.namespace)) {
    return { ok: false, field: 'metadata.namespace', reason: 'NoLane', message: `namespace ${input.namespace} is not known yet; waiting for it to be observed` };
  }
  const binding = bindNamespaces(selectors, infos).byNamespace.get(input.namespace);
  const wanted = input.spec.lane || undefined;
  if (!binding) {
    return {
      ok: false, field: wanted ? 'spec.lane' : 'metadata.namespace', reason: 'NoLane',
      message: wanted
        ? `spec.lane: LanePolicy ${wanted} does not select namespace ${input.namespace}${selectors.some((s) => s.name === wanted) ? '' : ' (no such LanePolicy)'}; label the namespace for that lane`
        : `namespace ${input.namespace} is in no LanePolicy, so the run has no way to reach a model; label the namespace so a lane's namespaceSelector selects it`,
    };
  }
  if ('conflict' in binding) {
    return { ok: false, field: 'metadata.namespace', reason: 'LaneConflict', message: `namespace ${input.namespace} is selected by several LanePolicies (${binding.conflict.join(', ')}); model access is blocked until one of them stops selecting it` };
  }
  const lane = binding.lane;
  if (wanted && wanted !== lane) {
    return { ok: false, field: 'spec.lane', reason: 'NoLane', message: `spec.lane: LanePolicy ${wanted} does not select namespace ${input.namespace} (its lane is ${lane}); set spec.lane to ${lane} or leave it empty` };
  }
  return { ok: true, lane };
}

/**
 * The second half of resolveLane: whether `laneObj`, the whole LanePolicy `lane` (undefined: gone),
 * can serve the run's model.
 */
export function laneService(lane: string, laneObj: LaneObject | undefined, input: { spec: { lane?: string; model?: string; sensitive?: boolean }; modelServer?: ModelServerLookup }): LaneResolution {
  const wanted = input.spec.lane || undefined;
  const parsed = parseLaneSpec(laneObj, { modelServer: input.modelServer });
  if (!parsed.ok) {
    return { ok: false, field: wanted ? 'spec.lane' : 'metadata.namespace', reason: 'LaneInvalid', message: `LanePolicy ${lane} is invalid (${parsed.errors.join('; ')}); the run waits until it is fixed` };
  }
  const model = input.spec.model || 'default';
  const sensitive = input.spec.sensitive === true;
  if (servingProviders(parsed.lane, model, sensitive).length === 0) {
    const mapped = parsed.lane.providers.filter((p) => providerModel(p, model) !== undefined);
    const why = mapped.length === 0
      ? 'no provider of the lane maps it'
      : !parsed.lane.allowCloud
        ? `only cloud providers map it (${mapped.map((p) => p.name).join(', ')}) and the lane is private`
        : `the run is sensitive and the lane keeps sensitive data on local providers, but only cloud providers map it (${mapped.map((p) => p.name).join(', ')})`;
    return { ok: false, field: 'spec.model', reason: 'ModelNotInLane', message: `spec.model: lane ${lane} cannot serve model ${JSON.stringify(model)}: ${why}` };
  }
  return { ok: true, lane, spec: parsed.lane };
}
