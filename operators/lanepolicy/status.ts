import type { ConditionInput } from '../runtime/conditions.js';
import type { Outcome } from '../runtime/outcome.js';
import type { LaneProvider, LaneSpec } from '../model/lanes/spec.js';
import type { LaneUsage } from '../model/lanes/usage.js';

/** status.providers[] as the CRD defines it. */
export interface ProviderHealth { name: string; locality: string; ready: boolean; endpoint?: string; lastError?: string }

/** What the controller observed about a provider's dependencies. */
export interface ProviderObservation {
  /**
   * `starting`: not serving yet but progressing (Ready Unknown or not reported yet); `reason`: its
   * Ready reason; `servedModels`: the only model names it answers to (vLLM), undefined when any
   * pulled model is served (Ollama).
   */
  modelServer?: { found: boolean; ready?: boolean; starting?: boolean; reason?: string; message?: string; endpoint?: string; servedModels?: string[] };
  secret?: { found: boolean; hasKey: boolean };
}

/**
 * A provider as the lane's conditions see it: its status.providers[] entry, plus whether a
 * provider that is not ready is merely starting (progress, no Warning) and its problem in words
 * that stay the same while its state does (the Ready message, so one Warning per transition).
 */
export type ProviderState = ProviderHealth & { starting?: boolean; problem?: string };

/**
 * `awaitMissing`: a ModelServer that does not exist yet counts as starting (the lane was just
 * created, and `kubectl apply -f examples/` or Flux creates lanes before their ModelServers).
 */
export function providerState(p: LaneProvider, o: ProviderObservation, defaultBaseURL?: string, opts: { awaitMissing?: boolean } = {}): ProviderState {
  const h = providerHealth(p, o, defaultBaseURL);
  if (h.ready || !p.modelServerRef) return h;
  const ref = `${p.modelServerRef.namespace}/${p.modelServerRef.name}`;
  if (!o.modelServer?.found) return opts.awaitMissing ? { ...h, starting: true } : h;
  // A lane mapping a name the server does not serve is wrong until one of them changes: no waiting.
  if (unservedModels(p, o.modelServer.servedModels).length > 0) return { ...h, problem: h.lastError };
  if (o.modelServer.starting) return { ...h, starting: true };
  return { ...h, problem: `ModelServer ${ref} is not Ready${o.modelServer.reason ? ` (${o.modelServer.reason})` : ''}` };
}

/** The provider model names the lane maps to that a server answering only to `served` does not know, in map order. */
export function unservedModels(p: LaneProvider, served: string[] | undefined): string[] {
  if (!served) return [];
  return [...new Set(Object.values(p.models))].filter((m) => !served.includes(m));
}

const quoted = (names: string[]) => names.map((n) => JSON.stringify(n)).join(', ');

function unservedMessage(ref: string, unserved: string[], served: string[]): string {
  const serves = served.length > 0 ? `it serves only ${quoted(served)}` : 'it serves no model name';
  return `ModelServer ${ref} does not serve ${quoted(unserved)} (${serves}); map spec.providers[].models to a served name, or add the name to the ModelServer (vLLM --served-model-name)`;
}

export function providerHealth(p: LaneProvider, o: ProviderObservation, defaultBaseURL?: string): ProviderHealth {
  const base: ProviderHealth = { name: p.name, locality: p.locality, ready: true };
  if (p.modelServerRef) {
    const ref = `${p.modelServerRef.namespace}/${p.modelServerRef.name}`;
    if (o.modelServer?.endpoint) base.endpoint = o.modelServer.endpoint;
    if (!o.modelServer?.found) return { ...base, ready: false, lastError: `ModelServer ${ref} not found` };
    const unserved = unservedModels(p, o.modelServer.servedModels);
    if (unserved.length > 0) return { ...base, ready: false, lastError: unservedMessage(ref, unserved, o.modelServer.servedModels!) };
    if (!o.modelServer.ready) return { ...base, ready: false, lastError: `ModelServer ${ref} is not Ready${o.modelServer.message ? `: ${o.modelServer.message}` : ''}` };
    return base;
  }
  const endpoint = p.baseURL ?? defaultBaseURL;
  if (endpoint) base.endpoint = endpoint;
  if (p.secretRef) {
    const ref = `${p.secretRef.namespace}/${p.secretRef.name}`;
    if (!o.secret?.found) return { ...base, ready: false, lastError: `Secret ${ref} not found` };
    if (!o.secret.hasKey) return { ...base, ready: false, lastError: `Secret ${ref} has no key ${JSON.stringify(p.secretRef.key)}` };
  }
  return base;
}

export interface StatusInput {
  parsed: { ok: true; lane: LaneSpec } | { ok: false; errors: string[] };
  bound: string[];
  conflicts: { namespace: string; otherLanes: string[] }[];
  providers: ProviderState[];
  /** Usage of the current period (zero figures when nothing was recorded). */
  usage: LaneUsage;
}

export interface LaneReport {
  fields: Record<string, unknown>;
  conditions: ConditionInput[];
  outcome: Outcome;
}

const money = (n: number) => n.toFixed(2);

/**
 * Everything a LanePolicy's status says, as a pure function of what was observed. The runtime
 * turns `outcome` into Ready / Stalled and stamps transition times.
 */
export function laneReport(input: StatusInput): LaneReport {
  const conditions: ConditionInput[] = [];
  const lane = input.parsed.ok ? input.parsed.lane : undefined;
  const u = input.usage;
  const budget = lane?.budget;
  const percent = budget?.maxCostUSD ? Math.floor((u.costUSD / budget.maxCostUSD) * 100) : 0;

  const spend = {
    periodStart: u.periodStart,
    costUSD: money(u.costUSD),
    percentOfBudget: percent,
    promptTokens: u.promptTokens,
    completionTokens: u.completionTokens,
    requests: u.requests,
    fallbacks: u.fallbacks,
  };
  const fields: Record<string, unknown> = {
    boundNamespaces: [...input.bound].sort(),
    namespaceCount: input.bound.length,
    conflictingNamespaces: input.conflicts.map((c) => c.namespace).sort(),
    providers: input.providers.map(({ starting: _starting, problem: _problem, ...h }) => h),
    spend,
  };

  if (!lane) {
    const message = (input.parsed as { errors: string[] }).errors.join('; ');
    return { fields, conditions, outcome: { kind: 'stalled', reason: 'InvalidSpec', message } };
  }

  const primary = input.providers[0];
  const anyReady = input.providers.some((p) => p.ready);
  const starting = input.providers.filter((p) => !p.ready && p.starting);
  conditions.push(primary?.ready
    ? { type: 'ProvidersReady', status: 'True', reason: 'PrimaryReady', message: `primary provider ${primary.name} is ready; ${input.providers.filter((p) => p.ready).length}/${input.providers.length} ready` }
    : { type: 'ProvidersReady', status: 'False', reason: anyReady ? 'PrimaryNotReady' : starting.length > 0 ? 'ProvidersStarting' : 'NoProviderReady', message: input.providers.filter((p) => !p.ready).map((p) => `${p.name}: ${p.lastError ?? 'not ready'}`).join('; ') });

  const exceeded = budget?.maxCostUSD !== undefined && u.costUSD >= budget.maxCostUSD;
  const period = lane.budget.period.toLowerCase();
  const spentMsg = budget?.maxCostUSD !== undefined ? `spent $${money(u.costUSD)} of $${money(budget.maxCostUSD)} this ${period} period` : `spent $${money(u.costUSD)} this ${period} period (no cost limit)`;
  const consequence = lane.budget.onExceeded === 'Block' ? 'requests are refused' : 'only local providers answer';
  conditions.push(exceeded
    ? { type: 'BudgetExceeded', status: 'True', reason: 'BudgetExhausted', message: `${spentMsg}; ${consequence} until ${lane.budget.period === 'Daily' ? 'tomorrow' : 'the next period'} or a larger budget` }
    : { type: 'BudgetExceeded', status: 'False', reason: 'WithinBudget', message: spentMsg });
  conditions.push(budget?.maxCostUSD !== undefined && percent >= lane.budget.warnAtPercent
    ? { type: 'BudgetWarning', status: 'True', reason: 'BudgetNearlySpent', message: `${percent}% of the budget spent (warning at ${lane.budget.warnAtPercent}%)` }
    : { type: 'BudgetWarning', status: 'False', reason: 'WithinBudget', message: `${percent}% of the budget spent` });

  let outcome: Outcome;
  if (input.conflicts.length > 0) {
    outcome = {
      kind: 'stalled',
      reason: 'NamespaceConflict',
      message: input.conflicts.map((c) => `namespace ${c.namespace} is also selected by LanePolicy ${c.otherLanes.join(', ')}`).join('; ') + '; pods there get no model access until one lane stops selecting it',
    };
  } else if (!anyReady && starting.length > 0) {
    // Model servers rolling out: progress (Reconciling, no Warning event), not a failure.
    outcome = { kind: 'progressing', reason: 'ProvidersStarting', message: `waiting for ${starting.map((p) => `${p.name} (${p.lastError ?? 'starting'})`).join('; ')}` };
  } else if (!anyReady) {
    outcome = { kind: 'failed', reason: 'NoProviderReady', message: input.providers.map((p) => `${p.name}: ${p.problem ?? p.lastError ?? 'not ready'}`).join('; ') };
  } else if (exceeded && lane.budget.onExceeded === 'Block') {
    outcome = { kind: 'ready', reason: 'BudgetExceeded', message: `${spentMsg}; requests are refused` };
  } else {
    const ready = input.providers.filter((p) => p.ready).length;
    outcome = { kind: 'ready', reason: 'LaneActive', message: `${input.bound.length} namespace(s) bound; ${ready}/${input.providers.length} provider(s) ready; ${spentMsg}` };
  }
  return { fields, conditions, outcome };
}
