import prom from 'prom-client';
import type { FieldShape } from './cache-projection.js';
import type { CacheReader } from './controller.js';
import type { KubeObject, ResourceRef } from './kube.js';

/** One object's status as metric samples: what alerts on CR status need (phase, conditions). */
export interface StatusSamples {
  phase?: string;
  conditions: { type: string; status: string; lastTransitionSeconds?: number }[];
}

/** The model usage an object reports in status.usage (AgentRun, Flow): what the router counted for it. */
export interface UsageSamples {
  inputTokens?: number;
  outputTokens?: number;
  costUSD?: number;
}

/** Every field of a cached object these metrics read (statusSamples, usageSamples): a cut-down cache keeps them. */
export const STATUS_METRIC_FIELDS: FieldShape = {
  status: { phase: true, conditions: [{ type: true, status: true, lastTransitionTime: true }], usage: { promptTokens: true, completionTokens: true, costUSD: true } },
};

const count = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : undefined);

/** Reads status.usage (promptTokens, completionTokens, costUSD as a decimal string); anything malformed is left out. */
export function usageSamples(obj: KubeObject): UsageSamples | undefined {
  const usage = (obj as { status?: { usage?: unknown } }).status?.usage;
  if (typeof usage !== 'object' || usage === null) return undefined;
  const u = usage as { promptTokens?: unknown; completionTokens?: unknown; costUSD?: unknown };
  const out: UsageSamples = {};
  const input = count(u.promptTokens);
  const output = count(u.completionTokens);
  if (input !== undefined) out.inputTokens = input;
  if (output !== undefined) out.outputTokens = output;
  if (typeof u.costUSD === 'string' && /^\d+(\.\d+)?$/.test(u.costUSD)) out.costUSD = Number(u.costUSD);
  return Object.keys(out).length > 0 ? out : undefined;
}

/** Reads status.phase and status.conditions; anything malformed is skipped, never thrown. */
export function statusSamples(obj: KubeObject): StatusSamples {
  const status = (obj as { status?: unknown }).status;
  if (typeof status !== 'object' || status === null) return { conditions: [] };
  const s = status as { phase?: unknown; conditions?: unknown };
  const out: StatusSamples = { conditions: [] };
  if (typeof s.phase === 'string' && s.phase !== '') out.phase = s.phase;
  if (Array.isArray(s.conditions)) {
    for (const c of s.conditions as { type?: unknown; status?: unknown; lastTransitionTime?: unknown }[]) {
      if (typeof c?.type !== 'string' || typeof c.status !== 'string') continue;
      const t = typeof c.lastTransitionTime === 'string' ? Date.parse(c.lastTransitionTime) : NaN;
      out.conditions.push({ type: c.type, status: c.status, ...(Number.isNaN(t) ? {} : { lastTransitionSeconds: t / 1000 }) });
    }
  }
  return out;
}

/**
 * Gauges computed from the informer caches at scrape time, as kube-state-metrics does for
 * built-in kinds: they always match the API server (a standby replica reports them too, so
 * alerts aggregate with max by object) and disappear with the object. One series per object
 * that exists: object names are label values only here, bounded by what the cluster holds.
 */
export function registerStatusMetrics(registry: prom.Registry, cache: CacheReader, resources: ResourceRef[]): void {
  const objects = () => resources.flatMap((r) => cache.list(r).map((obj) => ({ kind: r.kind, obj })));
  const ids = (kind: string, obj: KubeObject) => ({ kind, namespace: obj.metadata?.namespace ?? '', name: obj.metadata?.name ?? '' });
  new prom.Gauge({
    name: 'agentlab_resource_phase',
    help: 'The life-cycle phase (status.phase) of an AgentLab resource: 1 for the current phase.',
    labelNames: ['kind', 'namespace', 'name', 'phase'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const { kind, obj } of objects()) {
        const { phase } = statusSamples(obj);
        if (phase) this.set({ ...ids(kind, obj), phase }, 1);
      }
    },
  });
  new prom.Gauge({
    name: 'agentlab_resource_condition',
    help: 'Status conditions of AgentLab resources: 1 for the current status (True, False or Unknown) of each type.',
    labelNames: ['kind', 'namespace', 'name', 'type', 'status'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const { kind, obj } of objects()) {
        for (const c of statusSamples(obj).conditions) this.set({ ...ids(kind, obj), type: c.type, status: c.status }, 1);
      }
    },
  });
  new prom.Gauge({
    name: 'agentlab_resource_usage_tokens',
    help: 'Model tokens an AgentLab resource used so far (status.usage: the lane router\'s count for its token), by direction (input = prompt, output = completion).',
    labelNames: ['kind', 'namespace', 'name', 'direction'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const { kind, obj } of objects()) {
        const u = usageSamples(obj);
        if (u?.inputTokens !== undefined) this.set({ ...ids(kind, obj), direction: 'input' }, u.inputTokens);
        if (u?.outputTokens !== undefined) this.set({ ...ids(kind, obj), direction: 'output' }, u.outputTokens);
      }
    },
  });
  new prom.Gauge({
    name: 'agentlab_resource_usage_cost_usd',
    help: 'Cost in US dollars of the model calls of an AgentLab resource so far (status.usage.costUSD, at its lane\'s prices).',
    labelNames: ['kind', 'namespace', 'name'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const { kind, obj } of objects()) {
        const cost = usageSamples(obj)?.costUSD;
        if (cost !== undefined) this.set(ids(kind, obj), cost);
      }
    },
  });
  new prom.Gauge({
    name: 'agentlab_resource_condition_last_transition_time_seconds',
    help: 'When each status condition of an AgentLab resource last changed, in seconds since the epoch.',
    labelNames: ['kind', 'namespace', 'name', 'type'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const { kind, obj } of objects()) {
        for (const c of statusSamples(obj).conditions) {
          if (c.lastTransitionSeconds !== undefined) this.set({ ...ids(kind, obj), type: c.type }, c.lastTransitionSeconds);
        }
      }
    },
  });
}
