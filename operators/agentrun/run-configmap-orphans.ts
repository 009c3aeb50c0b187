// Decisions of the run ConfigMap sweep (run-configmap-sweep.ts), pure: which ConfigMaps the lane
// router wrote for a run (usage, KubeVirt report) may be looked at, and whether one has outlived
// its run. The sweep does the reads and deletes.
import { RUN_REPORT_LABEL } from '../model/agentrun/report.js';
import { recordedRunOwner } from '../model/agentrun/run-owner.js';
import { RUN_KEY, RUN_NAMESPACE_KEY, RUN_USAGE_LABEL, tokenSecretRunName } from '../model/agentrun/usage.js';

/** Label selectors of the ConfigMaps the router writes per run in its namespace. */
export const RUN_CONFIGMAP_SELECTORS = [`${RUN_USAGE_LABEL}=true`, `${RUN_REPORT_LABEL}=true`] as const;

/** Kinds whose objects own router tokens (their token Secret's controller), looked up by the sweep. */
export const RUN_KINDS = ['AgentRun', 'Flow', 'HardwareTask'] as const;
export type RunKind = typeof RUN_KINDS[number];

export interface RunConfigMapLike {
  metadata?: { name?: string; uid?: string; resourceVersion?: string; creationTimestamp?: string; annotations?: Record<string, string> };
  data?: Record<string, string>;
}

/** A run ConfigMap old enough to be looked at: whose it is, and the object to delete (preconditions). */
export interface SweepCandidate {
  name: string;
  uid: string;
  resourceVersion: string;
  namespace: string;
  run: string;
  /** The recorded run object, when the router knew it (kind is one of RUN_KINDS). */
  owner?: { kind: RunKind; uid: string };
}

const isRunKind = (k: string | undefined): k is RunKind => (RUN_KINDS as readonly string[]).includes(k ?? '');

/** The last time the router wrote the ConfigMap: its creation, or the usage's `updatedAt` when later. */
export function lastWrite(cm: RunConfigMapLike): number | undefined {
  const times = [cm.metadata?.creationTimestamp, cm.data?.updatedAt].map((t) => Date.parse(t ?? '')).filter((t) => Number.isFinite(t));
  return times.length > 0 ? Math.max(...times) : undefined;
}

/**
 * A listed ConfigMap the sweep may look at, or undefined: not a run ConfigMap (no run
 * annotations), or written less than `graceMs` ago (late usage of a run that just ended, a run
 * being created; and time for a person to look at a deleted run's figures).
 */
export function sweepCandidate(cm: RunConfigMapLike, now: number, graceMs: number): SweepCandidate | undefined {
  const m = cm.metadata;
  const namespace = m?.annotations?.[RUN_NAMESPACE_KEY];
  const run = m?.annotations?.[RUN_KEY];
  if (!m?.name || !m.uid || !m.resourceVersion || !namespace || !run) return undefined;
  const written = lastWrite(cm);
  if (written === undefined || now - written < graceMs) return undefined;
  const recorded = recordedRunOwner(cm.data);
  const owner = recorded && isRunKind(recorded.kind) ? { kind: recorded.kind, uid: recorded.uid } : undefined;
  return { name: m.name, uid: m.uid, resourceVersion: m.resourceVersion, namespace, run, ...(owner ? { owner } : {}) };
}

/** What the API server said about the recorded run object (a GET: 404 is absent; never a cache miss). */
export type OwnerLookup = { state: 'absent' } | { state: 'present'; uid: string };

/**
 * Why the ConfigMap has outlived its run, or undefined to keep it. With a recorded owner: the
 * object is gone, or another object of the same name has replaced it. Without one (written before
 * UIDs were recorded, or for a hand-made token): no token Secret of the run is left in its
 * namespace (every kind keeps its token, revoked, until it is deleted).
 */
export function orphanReason(c: SweepCandidate, evidence: { owner?: OwnerLookup; tokenSecretExists?: boolean }): string | undefined {
  const what = `${c.namespace}/${c.run}`;
  if (c.owner) {
    const o = evidence.owner;
    if (!o) return undefined;
    if (o.state === 'absent') return `${c.owner.kind} ${what} no longer exists`;
    if (o.uid !== c.owner.uid) return `${c.owner.kind} ${what} is another object now (UID ${o.uid}; the ConfigMap is UID ${c.owner.uid}'s)`;
    return undefined;
  }
  if (evidence.tokenSecretExists === false) return `no router token Secret of run ${what} exists and the ConfigMap records no run UID`;
  return undefined;
}

/** The run a token Secret is for, as the router reads it (agentlab.dev/run annotation, else label, else the Secret's name). */
export function tokenSecretRun(s: { metadata?: { name?: string; labels?: Record<string, string>; annotations?: Record<string, string> } }): string | undefined {
  return tokenSecretRunName(s.metadata);
}
