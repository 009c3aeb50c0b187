import prom from 'prom-client';
import type { CacheReader } from './controller.js';
import type { KubeObject, ResourceRef } from './kube.js';

/** One object's status as metric samples: what alerts on CR status need (phase, conditions). */
export interface StatusSamples {
  phase?: string;
  conditions: { type: string; status: string; lastTransitionSeconds?: number }[];
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
 * alerts aggregate with max by object) and disappear with the object.
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
