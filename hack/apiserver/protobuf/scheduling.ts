/** policy/v1 PodDisruptionBudget and Eviction, and scheduling.k8s.io/v1 PriorityClass (generated.proto). */
import { KEEP, MAP, REP, message, object } from './descriptor.js';
import { Condition, DeleteOptions, LabelSelector, ObjectMeta } from './meta.js';

const POLICY = 'k8s.io.api.policy.v1';

export const PodDisruptionBudget = object(`${POLICY}.PodDisruptionBudget`, ObjectMeta,
  message(`${POLICY}.PodDisruptionBudgetSpec`, {
    1: ['minAvailable', 'intstr', KEEP], 2: ['selector', LabelSelector], 3: ['maxUnavailable', 'intstr', KEEP],
    4: ['unhealthyPodEvictionPolicy', 'string', KEEP],
  }),
  message(`${POLICY}.PodDisruptionBudgetStatus`, {
    1: ['observedGeneration', 'int64'], 2: ['disruptedPods', 'time', MAP], 3: ['disruptionsAllowed', 'int32', KEEP],
    4: ['currentHealthy', 'int32', KEEP], 5: ['desiredHealthy', 'int32', KEEP], 6: ['expectedPods', 'int32', KEEP],
    7: ['conditions', Condition, REP],
  }));

export const Eviction = message(`${POLICY}.Eviction`, { 1: ['metadata', ObjectMeta], 2: ['deleteOptions', DeleteOptions] });

// PriorityClass.value has no omitempty: 0 is a value.
export const PriorityClass = message('k8s.io.api.scheduling.v1.PriorityClass', {
  1: ['metadata', ObjectMeta], 2: ['value', 'int32', KEEP], 3: ['globalDefault', 'bool'], 4: ['description', 'string'],
  5: ['preemptionPolicy', 'string', KEEP],
});
