import type { HardwareStep, HardwareTaskSpec, HardwareTaskStatus } from '../api/generated/hardwaretask.js';
import type { KubeObject } from '../runtime/kube.js';

/** A HardwareTask as the runtime caches it (metadata as JSON: timestamps are strings). */
export interface HardwareTaskObject extends KubeObject {
  spec: HardwareTaskSpec;
  status?: HardwareTaskStatus;
}

export type StepStatus = NonNullable<HardwareTaskStatus['steps']>[number];
export type StepPhase = NonNullable<StepStatus['phase']>;
export type TaskPhase = NonNullable<HardwareTaskStatus['phase']>;
export type { HardwareStep };
