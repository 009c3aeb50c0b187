/** lane_usage: spend against budget, tokens and provider health per lane, from LanePolicy status. Pure. */
import type { KubeObject } from '../runtime/kube.js';

interface LaneObj extends KubeObject {
  spec?: { budget?: { period?: string; maxCostUSD?: string; maxTokensPerRun?: number; onExceeded?: string } };
  status?: {
    spend?: { periodStart?: string; costUSD?: string; percentOfBudget?: number; promptTokens?: number; completionTokens?: number; requests?: number; fallbacks?: number };
    providers?: { name: string; locality?: string; ready?: boolean; lastError?: string }[];
    namespaceCount?: number;
    conditions?: { type: string; status: string; message?: string }[];
  };
}

export interface LaneUsageEntry {
  lane: string;
  period?: string;
  periodStart?: string;
  costUSD: string;
  maxCostUSD?: string;
  percentOfBudget?: number;
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
  requests: number;
  fallbacks: number;
  budgetExceeded: boolean;
  namespaces: number;
  providers: { name: string; locality?: string; ready?: boolean; lastError?: string }[];
}

export function laneUsage(lanes: LaneObj[]): LaneUsageEntry[] {
  return lanes.map((l) => {
    const s = l.status?.spend ?? {};
    const prompt = s.promptTokens ?? 0;
    const completion = s.completionTokens ?? 0;
    return {
      lane: l.metadata?.name ?? '',
      period: l.spec?.budget?.period,
      periodStart: s.periodStart,
      costUSD: s.costUSD ?? '0',
      maxCostUSD: l.spec?.budget?.maxCostUSD,
      percentOfBudget: s.percentOfBudget,
      promptTokens: prompt,
      completionTokens: completion,
      totalTokens: prompt + completion,
      requests: s.requests ?? 0,
      fallbacks: s.fallbacks ?? 0,
      budgetExceeded: l.status?.conditions?.find((c) => c.type === 'BudgetExceeded')?.status === 'True',
      namespaces: l.status?.namespaceCount ?? 0,
      providers: (l.status?.providers ?? []).map((p) => ({ name: p.name, locality: p.locality, ready: p.ready, ...(p.lastError ? { lastError: p.lastError } : {}) })),
    };
  });
}

export function laneUsageText(entries: LaneUsageEntry[]): string {
  if (entries.length === 0) return 'no LanePolicies';
  return entries.map((e) => `${e.lane}: $${e.costUSD}${e.maxCostUSD ? ` of $${e.maxCostUSD} ${(e.period ?? '').toLowerCase()}` : ' (no budget)'}${e.percentOfBudget !== undefined ? ` (${e.percentOfBudget}%)` : ''}${e.budgetExceeded ? ' EXCEEDED' : ''}; ${e.totalTokens} tokens in ${e.requests} requests, ${e.fallbacks} fallbacks; providers ${e.providers.map((p) => `${p.name}${p.ready === false ? ' (not ready)' : ''}`).join(', ') || 'none reported'}`).join('\n');
}
