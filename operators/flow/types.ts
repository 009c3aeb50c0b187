import type { FlowSpec, FlowStatus } from '../api/generated/flow.js';
import type { KubeObject } from '../runtime/kube.js';

/** A Flow as the runtime caches it (metadata as JSON: timestamps are strings). */
export interface FlowObject extends KubeObject {
  spec: FlowSpec;
  status?: FlowStatus;
}
