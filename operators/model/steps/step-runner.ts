/**
 * The step runner image (operators/step-runner): Flow tool pods stage inputs and collect outputs
 * with it, HardwareTask check and command pods run their commands with it.
 */
export const STEP_RUNNER_IMAGE = 'ghcr.io/agentlab/step-runner:0.1.0';
