import type { LaneSpec } from './spec.js';
import { periodStart } from './period.js';

/**
 * Lane usage is written by the router(s) into one ConfigMap per lane in the router's namespace
 * (GET + PUT with resourceVersion, so replicas add up instead of overwriting), and copied by the
 * controller into LanePolicy status.spend. Keeping the router out of the LanePolicy status keeps
 * one writer per object: see docs/adr/0011-lane-usage-in-a-configmap.md.
 */
export const USAGE_LABEL = 'agentlab.dev/lane-usage';
export const usageConfigMapName = (lane: string) => `agentlab-lane-usage-${lane}`;

export interface LaneUsage {
  periodStart: string;
  costUSD: number;
  promptTokens: number;
  completionTokens: number;
  requests: number;
  fallbacks: number;
}

export const emptyUsage = (periodStartIso: string): LaneUsage => ({ periodStart: periodStartIso, costUSD: 0, promptTokens: 0, completionTokens: 0, requests: 0, fallbacks: 0 });

const int = (v: string | undefined) => {
  const n = Number(v);
  return Number.isFinite(n) && n >= 0 ? n : 0;
};

/** Reads a usage ConfigMap's data; unknown or garbled fields read as zero. */
export function usageFromData(data: Record<string, string> | undefined): LaneUsage | undefined {
  if (!data?.periodStart) return undefined;
  return {
    periodStart: data.periodStart,
    costUSD: int(data.costUSD),
    promptTokens: int(data.promptTokens),
    completionTokens: int(data.completionTokens),
    requests: int(data.requests),
    fallbacks: int(data.fallbacks),
  };
}

export function usageToData(u: LaneUsage): Record<string, string> {
  return {
    periodStart: u.periodStart,
    costUSD: u.costUSD.toFixed(6),
    promptTokens: String(u.promptTokens),
    completionTokens: String(u.completionTokens),
    requests: String(u.requests),
    fallbacks: String(u.fallbacks),
  };
}

/** Usage of the period containing `now`: figures of an older period count as nothing. */
export function currentUsage(u: LaneUsage | undefined, lane: Pick<LaneSpec, 'budget'>, now: Date): LaneUsage {
  const start = periodStart(lane.budget.period, now);
  return u && u.periodStart === start ? u : emptyUsage(start);
}

/** Adds a delta to a stored total, starting a new period when the stored one is over. */
export function addUsage(stored: LaneUsage | undefined, delta: Omit<LaneUsage, 'periodStart'>, currentPeriodStart: string): LaneUsage {
  const base = stored && stored.periodStart === currentPeriodStart ? stored : emptyUsage(currentPeriodStart);
  return {
    periodStart: currentPeriodStart,
    costUSD: base.costUSD + delta.costUSD,
    promptTokens: base.promptTokens + delta.promptTokens,
    completionTokens: base.completionTokens + delta.completionTokens,
    requests: base.requests + delta.requests,
    fallbacks: base.fallbacks + delta.fallbacks,
  };
}
