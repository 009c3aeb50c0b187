import type { LaneSpec, LaneProvider } from './spec.js';
import { periodStart } from './period.js';

export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  lastTransitionTime: string;
  observedGeneration?: number;
}

export interface ProviderHealth { name: string; type: string; locality: string; healthy: boolean; reason: string; message: string }

/** Written by the router (batched); read here to decide BudgetExceeded. */
export interface LaneUsage {
  periodStart: string;
  costUSD: string;
  inputTokens: number;
  outputTokens: number;
  requests: number;
}

export interface LaneStatus {
  observedGeneration: number;
  boundNamespaces: string[];
  boundNamespaceCount: number;
  conflictingNamespaces: string[];
  providers: ProviderHealth[];
  usage?: LaneUsage;
  conditions: Condition[];
}

/** What the controller observed about a provider's dependencies. */
export interface ProviderObservation {
  modelServer?: { found: boolean; ready?: boolean; message?: string };
  secret?: { found: boolean; hasKey: boolean };
}

export function providerHealth(p: LaneProvider, o: ProviderObservation): ProviderHealth {
  const base = { name: p.name, type: p.type, locality: p.locality };
  if (p.modelServerRef) {
    const ref = `${p.modelServerRef.namespace}/${p.modelServerRef.name}`;
    if (!o.modelServer?.found) return { ...base, healthy: false, reason: 'ModelServerNotFound', message: `ModelServer ${ref} not found` };
    if (!o.modelServer.ready) return { ...base, healthy: false, reason: 'ModelServerNotReady', message: `ModelServer ${ref} is not Ready${o.modelServer.message ? `: ${o.modelServer.message}` : ''}` };
    return { ...base, healthy: true, reason: 'ModelServerReady', message: `ModelServer ${ref} is Ready` };
  }
  if (p.secretRef) {
    const ref = `${p.secretRef.namespace}/${p.secretRef.name}`;
    if (!o.secret?.found) return { ...base, healthy: false, reason: 'SecretNotFound', message: `Secret ${ref} not found` };
    if (!o.secret.hasKey) return { ...base, healthy: false, reason: 'SecretKeyMissing', message: `Secret ${ref} has no key ${JSON.stringify(p.secretRef.key)}` };
    return { ...base, healthy: true, reason: 'Configured', message: `API key from Secret ${ref}` };
  }
  return { ...base, healthy: true, reason: 'Configured', message: `endpoint ${p.baseURL ?? ''}`.trim() };
}

/** Usage counts only inside the current period; older figures read as zero. */
export function currentUsage(usage: LaneUsage | undefined, lane: Pick<LaneSpec, 'budget'>, now: Date): { costUSD: number; tokens: number } {
  if (!usage || usage.periodStart !== periodStart(lane.budget.period, now)) return { costUSD: 0, tokens: 0 };
  return { costUSD: Number(usage.costUSD) || 0, tokens: (usage.inputTokens ?? 0) + (usage.outputTokens ?? 0) };
}

export function budgetExceeded(lane: Pick<LaneSpec, 'budget'>, usage: LaneUsage | undefined, now: Date): string | undefined {
  const u = currentUsage(usage, lane, now);
  const b = lane.budget;
  if (b.maxCostUSD !== undefined && u.costUSD >= b.maxCostUSD) return `spent $${u.costUSD.toFixed(4)} of $${b.maxCostUSD} this ${b.period.toLowerCase()} period`;
  if (b.maxTokensPerPeriod !== undefined && u.tokens >= b.maxTokensPerPeriod) return `used ${u.tokens} of ${b.maxTokensPerPeriod} tokens this ${b.period.toLowerCase()} period`;
  return undefined;
}

/** Keeps lastTransitionTime when the status of a condition did not change (kstatus / metav1.Condition). */
export function setCondition(existing: Condition[], next: Omit<Condition, 'lastTransitionTime'>, now: string): Condition {
  const prev = existing.find((c) => c.type === next.type);
  return { ...next, lastTransitionTime: prev && prev.status === next.status ? prev.lastTransitionTime : now };
}

export interface StatusInput {
  generation: number;
  parsed: { ok: true; lane: LaneSpec } | { ok: false; errors: string[] };
  bound: string[];
  conflicts: { namespace: string; otherLanes: string[] }[];
  providers: ProviderHealth[];
  previous?: { conditions?: Condition[]; usage?: LaneUsage };
  now: Date;
}

/**
 * The whole status of a LanePolicy as a pure function of what was observed. Usage is carried
 * over untouched: the router owns it.
 */
export function laneStatus(input: StatusInput): LaneStatus {
  const nowIso = input.now.toISOString().replace(/\.\d{3}Z$/, 'Z');
  const prev = input.previous?.conditions ?? [];
  const g = input.generation;
  const cond = (type: string, status: Condition['status'], reason: string, message: string) =>
    setCondition(prev, { type, status, reason, message, observedGeneration: g }, nowIso);
  const conditions: Condition[] = [];

  let stalled: { reason: string; message: string } | undefined;
  if (!input.parsed.ok) stalled = { reason: 'InvalidSpec', message: input.parsed.errors.join('; ') };
  else if (input.conflicts.length > 0) {
    stalled = {
      reason: 'NamespaceConflict',
      message: input.conflicts.map((c) => `namespace ${c.namespace} is also matched by LanePolicy ${c.otherLanes.join(', ')}`).join('; ') + '; model access from those namespaces is blocked',
    };
  }

  const unhealthy = input.providers.filter((p) => !p.healthy);
  const anyHealthy = input.providers.some((p) => p.healthy);
  conditions.push(unhealthy.length === 0 && input.providers.length > 0
    ? cond('ProvidersReady', 'True', 'AllProvidersReady', `${input.providers.length} provider(s) ready`)
    : cond('ProvidersReady', 'False', anyHealthy ? 'ProvidersDegraded' : 'NoProviderReady', unhealthy.map((p) => `${p.name}: ${p.message}`).join('; ') || 'no providers'));

  const over = input.parsed.ok ? budgetExceeded(input.parsed.lane, input.previous?.usage, input.now) : undefined;
  conditions.push(over
    ? cond('BudgetExceeded', 'True', 'BudgetExhausted', `${over}; requests are refused until the period ends or the budget is raised`)
    : cond('BudgetExceeded', 'False', 'WithinBudget', 'spend is within the budget'));

  if (stalled) {
    conditions.push(cond('Ready', 'False', stalled.reason, stalled.message));
    conditions.push(cond('Stalled', 'True', stalled.reason, stalled.message));
  } else if (!anyHealthy) {
    conditions.push(cond('Ready', 'False', 'NoProviderReady', unhealthy.map((p) => `${p.name}: ${p.message}`).join('; ')));
  } else if (over) {
    conditions.push(cond('Ready', 'False', 'BudgetExceeded', over));
  } else {
    conditions.push(cond('Ready', 'True', 'LaneActive', `${input.bound.length} namespace(s) bound; ${input.providers.length - unhealthy.length}/${input.providers.length} provider(s) ready`));
  }

  const status: LaneStatus = {
    observedGeneration: g,
    boundNamespaces: [...input.bound].sort(),
    boundNamespaceCount: input.bound.length,
    conflictingNamespaces: input.conflicts.map((c) => c.namespace).sort(),
    providers: input.providers,
    conditions,
  };
  if (input.previous?.usage) status.usage = input.previous.usage;
  return status;
}
