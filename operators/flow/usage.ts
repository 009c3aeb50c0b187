import type { AgentRunStatus } from '../api/generated/agentrun.js';
import type { FlowStatus } from '../api/generated/flow.js';
import type { RunUsageFigures } from '../model/agentrun/usage.js';
import type { NodeStatus } from './node-state.js';

type AgentUsage = AgentRunStatus['usage'];

const num = (v: unknown): number => {
  const n = Number(v ?? 0);
  return Number.isFinite(n) && n > 0 ? n : 0;
};

/**
 * The run's usage (status.usage): every child AgentRun's own usage (each attempt's run, as its
 * controller read it from the router), plus what the router counted for the flow's own token
 * (model and verify calls; its run usage ConfigMap). Until the router has written that, the
 * model and verify nodes' reported tokens stand in (cost unknown, counted as 0). Undefined
 * before anything used a token.
 */
export function flowUsage(input: { agentRuns: AgentUsage[]; router?: RunUsageFigures; callNodes: readonly NodeStatus[] }): FlowStatus['usage'] {
  let prompt = 0;
  let completion = 0;
  let total = 0;
  let cost = 0;
  for (const u of input.agentRuns) {
    if (!u) continue;
    const p = num(u.promptTokens);
    const c = num(u.completionTokens);
    prompt += p;
    completion += c;
    total += num(u.totalTokens) || p + c;
    cost += num(u.costUSD);
  }
  if (input.router && input.router.promptTokens + input.router.completionTokens > 0) {
    prompt += input.router.promptTokens;
    completion += input.router.completionTokens;
    total += input.router.promptTokens + input.router.completionTokens;
    cost += num(input.router.costUSD);
  } else {
    total += input.callNodes.reduce((n, x) => n + (x.totalTokens ?? 0), 0);
  }
  if (total === 0) return undefined;
  const usage: NonNullable<FlowStatus['usage']> = { totalTokens: total, costUSD: cost.toFixed(6) };
  if (prompt > 0) usage.promptTokens = prompt;
  if (completion > 0) usage.completionTokens = completion;
  return usage;
}
