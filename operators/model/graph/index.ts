// The graph rules of Flow and HardwareTask, shared by `agentlab validate` and the controllers.
export { findCycle } from './cycles.js';
export { checkFlow, flowDependencies, planFlow, type FlowPlan } from './flow.js';
export {
  agentRunName, flowChildName, flowPlanDigest, flowTokenSecretName, outputsConfigMapName, planFlowRun, toolPodName,
  PLAN_ACTIONS, RUNNABLE_NODE_TYPES, type FlowNodeType, type FlowPlanAction, type FlowPlanEntry, type FlowPlanResult,
} from './flow-plan.js';
export { checkHardwareTask, planHardwareTask, type HardwareTaskPlan } from './hardwaretask.js';
export { literalTypeProblem } from './literal-types.js';
export { flowMermaid } from './mermaid.js';
export type { GraphProblem } from './problem.js';
export { checkSubflowCall, checkSubflows, type KnownFlow, type SubflowProblem } from './subflows.js';
export { computeWaves, orderedWaves, type WaveEntry } from './waves.js';
