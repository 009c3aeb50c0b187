import type { FieldShape } from '../runtime/cache-projection.js';
import type { KubeObject } from '../runtime/kube.js';

/** A flow that ended (flow-status.ts flowPhase): it is never run again; a schedule is never finished. */
export const isFinishedFlow = (f: KubeObject): boolean => {
  const phase = (f.status as { phase?: string } | undefined)?.phase;
  return phase === 'Succeeded' || phase === 'Failed';
};

/**
 * What is read of a cached Flow that has finished rather than of the reconciled one, beyond what
 * the runtime reads (status phase, conditions, usage): nothing as a primary object. It is read
 * only as a child (a sub-flow or a scheduled run: schedule.ts scheduledRuns, subflow-node.ts,
 * usage), which the owned role declares (ownerReferences, annotations, status; cache-transform.ts
 * OWNED_CHILD_FIELDS) for flows with a controller ownerReference. So a finished flow nobody owns
 * is cached with its identity, labels, annotations, finalizers and the runtime's status fields;
 * a finished child also keeps its whole status. Either is reconciled as the API server has it
 * (Controller.finishedCache), and a flow node whose template is cut down reads the template from
 * the API server as the node starts. A flow that has not finished stays whole: an active flow
 * costs no extra read.
 */
export const FINISHED_FLOW_FIELDS: FieldShape = {};
