import type { FieldShape } from '../runtime/cache-projection.js';
import type { KubeObject } from '../runtime/kube.js';

/** A flow that ended (flow-status.ts flowPhase): it is never run again; a schedule is never finished. */
export const isFinishedFlow = (f: KubeObject): boolean => {
  const phase = (f.status as { phase?: string } | undefined)?.phase;
  return phase === 'Succeeded' || phase === 'Failed';
};

/**
 * What is read of a cached Flow that has finished rather than of the reconciled one: only as a
 * child (a sub-flow or a scheduled run, found by controller ownerReference): its ownerReferences,
 * the scheduled-time annotation and status (schedule.ts scheduledRuns, subflow-node.ts, usage).
 * A finished Flow is cached cut down to these (Controller.finishedCache) and reconciled as the API
 * server has it; a flow node whose template is cut down reads the template from the API server as
 * the node starts. A flow that has not finished stays whole: an active flow costs no extra read.
 */
export const FINISHED_FLOW_FIELDS: FieldShape = {
  metadata: { ownerReferences: true, annotations: true },
  status: true,
};
