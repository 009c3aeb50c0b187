import { createHash } from 'node:crypto';
import { GROUP } from '../../api/constants.js';

/**
 * Whose a router-written run ConfigMap (run usage, run report) is. Their names depend only on
 * namespace/name, so a run deleted and created again under the same name maps to the same
 * ConfigMap; the UID tells the two apart. The router takes it from the run's token Secret, whose
 * controller owner reference is the run (AgentRun, Flow or HardwareTask), and records it in the
 * ConfigMap's data.
 */
export interface RunOwner { kind: string; uid: string }

/** The kinds whose objects own router tokens; each has its own run ConfigMaps. */
export const RUN_OWNER_KINDS = ['AgentRun', 'Flow', 'HardwareTask'] as const;
export type RunOwnerKind = typeof RUN_OWNER_KINDS[number];

/**
 * The kind of run a token counts for: its owner's kind, or AgentRun for a token without an owner
 * of one of RUN_OWNER_KINDS (a hand-made token, as tokens were before Flows and HardwareTasks had
 * their own). An AgentRun, a Flow and a HardwareTask of the same name are three runs: their usage
 * and reports never share a ConfigMap or an account.
 */
export function runKindOf(owner: { kind?: string } | undefined): RunOwnerKind {
  return (RUN_OWNER_KINDS as readonly string[]).includes(owner?.kind ?? '') ? owner!.kind as RunOwnerKind : 'AgentRun';
}

/** The name of a router-written run ConfigMap: `<kind>-<what>-<first 20 hex digits of sha256("<namespace>/<run>")>`, at most 36 characters. */
export function runConfigMapName(what: 'usage' | 'report', namespace: string, kind: RunOwnerKind, run: string): string {
  return `${kind.toLowerCase()}-${what}-${createHash('sha256').update(`${namespace}/${run}`).digest('hex').slice(0, 20)}`;
}

export const RUN_UID_KEY = 'runUid';
export const RUN_KIND_KEY = 'runKind';

interface OwnerReferenceLike { apiVersion?: string; kind?: string; uid?: string; controller?: boolean }

/** The run a token Secret belongs to: its controller owner reference of group agentlab.dev (none for a hand-made token). */
export function runOwnerOfSecret(meta: { ownerReferences?: OwnerReferenceLike[] } | undefined): RunOwner | undefined {
  const ref = meta?.ownerReferences?.find((r) => r.controller === true && r.apiVersion?.split('/')[0] === GROUP);
  return ref?.kind && ref.uid ? { kind: ref.kind, uid: ref.uid } : undefined;
}

/** The data keys that record the owner (none when the token had no owner). */
export function runOwnerData(owner: { kind?: string; uid: string } | undefined): Record<string, string> {
  return owner ? { ...(owner.kind ? { [RUN_KIND_KEY]: owner.kind } : {}), [RUN_UID_KEY]: owner.uid } : {};
}

/** The owner a ConfigMap's data records; undefined when none is (written before UIDs were recorded, or for a hand-made token). */
export function recordedRunOwner(data: Record<string, string> | undefined): { kind?: string; uid: string } | undefined {
  const uid = data?.[RUN_UID_KEY];
  if (!uid) return undefined;
  return { uid, ...(data?.[RUN_KIND_KEY] ? { kind: data[RUN_KIND_KEY] } : {}) };
}

/**
 * Whether a run ConfigMap's data is the run with this UID's: false only when both UIDs are known
 * and differ (an earlier run of the same name). A ConfigMap without a recorded UID is taken as the
 * run's, as before UIDs were recorded.
 */
export function isRunsData(data: Record<string, string> | undefined, uid: string | undefined): boolean {
  const recorded = data?.[RUN_UID_KEY];
  return !recorded || !uid || recorded === uid;
}
