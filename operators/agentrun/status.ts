import type { AgentRunStatus } from '../api/generated/agentrun.js';
import type { RunUsage } from '../model/agentrun/usage.js';

export type RunUsageStatus = NonNullable<AgentRunStatus['usage']>;

/** What the runner says it did: turns and tool calls (the router cannot see tools). */
export interface RunnerCounts { turns?: number; toolCalls?: number; toolErrors?: number }

/** USD with 6 decimals, as the router stores it ("0.001250"). */
export const formatCost = (usd: number): string => (Number.isFinite(usd) && usd > 0 ? usd : 0).toFixed(6);

/**
 * status.usage: tokens, cost, provider, model and fallbacks from the router's accounting of the
 * run's token (right even when the runner lies or dies), turns and tool calls from the runner.
 * A count never goes down: a later read that has less (a lost log, a usage ConfigMap not written
 * yet) keeps what was already published.
 */
export function usageStatus(prev: RunUsageStatus | undefined, router: RunUsage | undefined, runner: RunnerCounts): RunUsageStatus {
  const max = (a: number | undefined, b: number | undefined) => Math.max(a ?? 0, b ?? 0);
  const prompt = max(prev?.promptTokens, router?.promptTokens);
  const completion = max(prev?.completionTokens, router?.completionTokens);
  const prevCost = Number(prev?.costUSD ?? 0);
  const out: RunUsageStatus = {
    promptTokens: prompt,
    completionTokens: completion,
    totalTokens: Math.max(prev?.totalTokens ?? 0, prompt + completion),
    costUSD: formatCost(Math.max(Number.isFinite(prevCost) ? prevCost : 0, router?.costUSD ?? 0)),
    turns: max(prev?.turns, runner.turns),
    fallbacks: max(prev?.fallbacks, router?.fallbacks),
    toolCalls: max(prev?.toolCalls, runner.toolCalls),
    toolErrors: max(prev?.toolErrors, runner.toolErrors),
  };
  const provider = router?.provider ?? prev?.provider;
  const model = router?.model ?? prev?.model;
  if (provider) out.provider = provider.slice(0, 63);
  if (model) out.model = model.slice(0, 253);
  return out;
}
