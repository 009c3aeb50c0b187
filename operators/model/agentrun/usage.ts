import { isRunsData, recordedRunOwner, runConfigMapName, runOwnerData, RUN_OWNER_KINDS, type RunOwner, type RunOwnerKind } from './run-owner.js';

/**
 * A run's usage as the lane router(s) counted it, in one ConfigMap per run in the ROUTER's
 * namespace (the pod is the untrusted side: these figures come from the router's accounting of
 * the run's token, not from the runner). Written like lane usage (ADR 0011): each replica adds
 * its settled usage with GET + PUT on the resourceVersion read, recording its last batch in the
 * agentlab.dev/usage-writes annotation, so replicas add up and a lost answer is neither counted
 * twice nor dropped. The AgentRun controller reads it into status.usage.
 *
 * The name depends on the run's kind and namespace/name (an AgentRun and a Flow of the same name
 * are two runs with two ConfigMaps), so the data also records the run's UID and kind
 * (run-owner.ts): a run created again under a deleted run's name starts from nothing, and the
 * operator's sweep (operators/agentrun/run-configmap-sweep.ts) deletes the ConfigMap once its run
 * is gone.
 */
export const RUN_USAGE_LABEL = 'agentlab.dev/usage-run';
export const RUN_NAMESPACE_KEY = 'agentlab.dev/run-namespace';
export const RUN_KEY = 'agentlab.dev/run';
/** Label and annotation: the run's kind (AgentRun, Flow, HardwareTask); absent on ConfigMaps written before kinds had their own (AgentRun's). */
export const RUN_KIND_LABEL = 'agentlab.dev/run-kind';

/** Label values are at most 63 characters; longer run names are only in the annotation. */
const MAX_LABEL_VALUE = 63;

/**
 * The run a router token Secret counts for: its agentlab.dev/run annotation (the full name, any
 * length), else its agentlab.dev/run label (at most 63 characters: Secrets written before the
 * annotation, hand-made tokens), else the Secret's own name. Pure; the router and the sweep read it alike.
 */
export function tokenSecretRunName(meta: { name?: string; labels?: Record<string, string>; annotations?: Record<string, string> } | undefined): string | undefined {
  return meta?.annotations?.[RUN_KEY] || meta?.labels?.[RUN_KEY] || meta?.name;
}

/** What a run's token Secret carries to name its run: the annotation always, the label when the name fits one. */
export function tokenSecretRunMetadata(run: string): { labels: Record<string, string>; annotations: Record<string, string> } {
  return { labels: run.length <= MAX_LABEL_VALUE ? { [RUN_KEY]: run } : {}, annotations: { [RUN_KEY]: run } };
}

/**
 * `<kind>-usage-<first 20 hex digits of sha256("<namespace>/<run>")>` (agentrun-usage-…,
 * flow-usage-…, hardwaretask-usage-…): fixed length whatever the names, one per kind.
 */
export function runUsageConfigMapName(namespace: string, kind: RunOwnerKind, run: string): string {
  return runConfigMapName('usage', namespace, kind, run);
}

/** Labels and annotations a run usage ConfigMap carries (the full names are in the annotations). */
export function runUsageMetadata(namespace: string, kind: RunOwnerKind, run: string): { labels: Record<string, string>; annotations: Record<string, string> } {
  return {
    labels: { [RUN_USAGE_LABEL]: 'true', [RUN_NAMESPACE_KEY]: namespace, [RUN_KIND_LABEL]: kind, ...(run.length <= MAX_LABEL_VALUE ? { [RUN_KEY]: run } : {}) },
    annotations: { [RUN_NAMESPACE_KEY]: namespace, [RUN_KIND_LABEL]: kind, [RUN_KEY]: run },
  };
}

/** The kind a run ConfigMap's annotations name: AgentRun when absent (written before kinds had their own); undefined for a kind that owns no tokens. */
export function runKindOfConfigMap(annotations: Record<string, string> | undefined): RunOwnerKind | undefined {
  const k = annotations?.[RUN_KIND_LABEL] ?? 'AgentRun';
  return (RUN_OWNER_KINDS as readonly string[]).includes(k) ? k as RunOwnerKind : undefined;
}

/** What a run used: every request the router served or refused after admission on its token. */
export interface RunUsageFigures {
  promptTokens: number;
  completionTokens: number;
  costUSD: number;
  /** Model requests admitted for the run (answered, failed or cut off). */
  requests: number;
  /** Requests that moved on from a provider before their first token. */
  fallbacks: number;
  /** The provider (lane provider name) and provider model of the last answered request. */
  provider?: string;
  model?: string;
}

export interface RunUsage extends RunUsageFigures {
  namespace: string;
  /** The run's kind: its own usage ConfigMap per kind. */
  kind: RunOwnerKind;
  run: string;
  totalTokens: number;
  /** RFC 3339 time of the last write. */
  updatedAt?: string;
  /** The UID of the run the figures are for (absent: written before UIDs were recorded, or a hand-made token). */
  runUid?: string;
}

const count = (v: string | undefined): number => {
  const n = Number(v);
  return v !== undefined && v !== '' && Number.isFinite(n) && n >= 0 ? n : 0;
};

/** The figures of a run usage ConfigMap's data; missing or garbled numbers read as zero. */
export function runUsageFiguresFromData(data: Record<string, string> | undefined): RunUsageFigures {
  return {
    promptTokens: count(data?.promptTokens),
    completionTokens: count(data?.completionTokens),
    costUSD: count(data?.costUSD),
    requests: count(data?.requests),
    fallbacks: count(data?.fallbacks),
    ...(data?.provider ? { provider: data.provider } : {}),
    ...(data?.model ? { model: data.model } : {}),
  };
}

/**
 * Reads a run usage ConfigMap (for AgentRun status.usage); undefined when the object is not one
 * (no agentlab.dev/run-namespace and agentlab.dev/run annotations), or, given the reader's UID,
 * when it records another run's (an earlier run of the same name).
 */
export function runUsageFromConfigMap(cm: { metadata?: { annotations?: Record<string, string> }; data?: Record<string, string> } | undefined, uid?: string): RunUsage | undefined {
  const namespace = cm?.metadata?.annotations?.[RUN_NAMESPACE_KEY];
  const run = cm?.metadata?.annotations?.[RUN_KEY];
  const kind = runKindOfConfigMap(cm?.metadata?.annotations);
  if (!namespace || !run || !kind || !isRunsData(cm?.data, uid)) return undefined;
  const f = runUsageFiguresFromData(cm?.data);
  const runUid = recordedRunOwner(cm?.data)?.uid;
  return { namespace, kind, run, ...f, totalTokens: f.promptTokens + f.completionTokens, ...(cm?.data?.updatedAt ? { updatedAt: cm.data.updatedAt } : {}), ...(runUid ? { runUid } : {}) };
}

/** A stored total plus an increment; provider and model are the increment's when it has them. */
export function addRunUsage(stored: RunUsageFigures, delta: RunUsageFigures): RunUsageFigures {
  return {
    promptTokens: stored.promptTokens + delta.promptTokens,
    completionTokens: stored.completionTokens + delta.completionTokens,
    costUSD: stored.costUSD + delta.costUSD,
    requests: stored.requests + delta.requests,
    fallbacks: stored.fallbacks + delta.fallbacks,
    ...((delta.provider ?? stored.provider) ? { provider: delta.provider ?? stored.provider } : {}),
    ...((delta.model ?? stored.model) ? { model: delta.model ?? stored.model } : {}),
  };
}

const NO_USAGE: RunUsageFigures = { promptTokens: 0, completionTokens: 0, costUSD: 0, requests: 0, fallbacks: 0 };

/**
 * The data once a router adds `delta` for the run `owner` (undefined: a token without an owner)
 * to what is stored: another run's figures (a deleted run of the same name) are replaced, not
 * added to; the owner is recorded (a stored one is kept when the token has none).
 */
export function runUsageAfterWrite(stored: Record<string, string> | undefined, delta: RunUsageFigures, owner: RunOwner | undefined, now: Date): Record<string, string> {
  const ours = isRunsData(stored, owner?.uid);
  const base = stored && ours ? runUsageFiguresFromData(stored) : NO_USAGE;
  return runUsageToData(addRunUsage(base, delta), now, owner ?? recordedRunOwner(stored));
}

/** What stored data counts against the run `uid`'s token limit: nothing when it is another run's. */
export function runUsageCommitted(data: Record<string, string> | undefined, uid: string | undefined): RunUsageFigures {
  return isRunsData(data, uid) ? runUsageFiguresFromData(data) : NO_USAGE;
}

/** ConfigMap data for a total: numbers as decimal strings (cost with 6 decimals), updatedAt in RFC 3339, the run's owner when known. */
export function runUsageToData(u: RunUsageFigures, now: Date, owner?: { kind?: string; uid: string }): Record<string, string> {
  return {
    promptTokens: String(u.promptTokens),
    completionTokens: String(u.completionTokens),
    totalTokens: String(u.promptTokens + u.completionTokens),
    costUSD: u.costUSD.toFixed(6),
    requests: String(u.requests),
    fallbacks: String(u.fallbacks),
    ...(u.provider ? { provider: u.provider } : {}),
    ...(u.model ? { model: u.model } : {}),
    updatedAt: now.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    ...runOwnerData(owner),
  };
}
