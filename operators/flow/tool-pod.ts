import type { FlowNode } from '../api/generated/flow.js';
import type { KubeObject } from '../runtime/kube.js';
import { toolPodName } from '../model/graph/index.js';
import { durationSeconds } from '../model/steps/duration.js';
import { STEP_RUNNER_IMAGE } from '../model/steps/step-runner.js';
import { declaredOutputs } from './outputs.js';
import { inputEnvName } from './inputs.js';

export const FLOW_LABEL = 'agentlab.dev/flow';
export const NODE_LABEL = 'agentlab.dev/flow-node';
export const ATTEMPT_LABEL = 'agentlab.dev/attempt';

/** Container names of a tool pod, in the order they run. */
export const STAGE_CONTAINER = 'inputs';
export const TOOL_CONTAINER = 'tool';
export const COLLECT_CONTAINER = 'outputs';

/** The step runner's role, from AGENTLAB_STEP_ROLE (no role: run the arguments as the tool). */
export const STEP_ROLE_ENV = 'AGENTLAB_STEP_ROLE';
export const STEP_DIR = '/agentlab';

/** Inputs of a tool pod are environment variables twice over (stage and tool): bound their size. */
export const MAX_TOOL_INPUT_BYTES = 256 * 1024;

export interface ToolPodInput {
  flow: { name: string; namespace: string };
  node: FlowNode;
  attempt: number;
  /** Resolved inputs by name. */
  inputs: Record<string, string>;
  /** The tool's command and args with ${...} substituted. */
  command?: string[];
  args?: string[];
  stepRunnerImage?: string;
}

const label63 = (v: string) => (v.length <= 63 ? v : undefined);

/**
 * The pod of one attempt of a tool node (the step runner pattern): init container `inputs`
 * (the step runner writes each input to /agentlab/inputs/<name>), init container `tool` (the
 * node's image and command, inputs also as $INPUT_<NAME>, outputs written to
 * /agentlab/outputs/<name>), then container `outputs` (the step runner reads the declared
 * outputs and returns them as its termination message, JSON of at most 4 KiB). The tool runs
 * as an init container so that any image works: nothing is injected into it, and the collector
 * runs only after it exited 0. restartPolicy Never: retries are new pods, decided by the flow.
 * A node timeout is the pod's activeDeadlineSeconds.
 */
export function desiredToolPod(input: ToolPodInput): KubeObject {
  const { flow, node, attempt } = input;
  const image = input.stepRunnerImage ?? STEP_RUNNER_IMAGE;
  const mount = [{ name: 'agentlab', mountPath: STEP_DIR }];
  const inputEnv = Object.entries(input.inputs).map(([name, value]) => ({ name: inputEnvName(name), value }));
  const dirs = [
    { name: 'AGENTLAB_STEP_DIR', value: STEP_DIR },
    { name: 'AGENTLAB_INPUTS_DIR', value: `${STEP_DIR}/inputs` },
    { name: 'AGENTLAB_OUTPUTS_DIR', value: `${STEP_DIR}/outputs` },
  ];
  const securityContext = {
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: false,
    capabilities: { drop: ['ALL'] },
  };
  const labels: Record<string, string> = { [NODE_LABEL]: node.id, [ATTEMPT_LABEL]: String(attempt) };
  const flowLabel = label63(flow.name);
  if (flowLabel) labels[FLOW_LABEL] = flowLabel;
  const tool: Record<string, unknown> = {
    name: TOOL_CONTAINER,
    image: node.tool!.image,
    env: [...dirs, ...inputEnv],
    volumeMounts: mount,
    securityContext,
    // The last lines of a failing tool's log become its termination message: the node's message.
    terminationMessagePolicy: 'FallbackToLogsOnError',
  };
  if (input.command?.length) tool.command = input.command;
  if (input.args?.length) tool.args = input.args;
  const spec: Record<string, unknown> = {
    restartPolicy: 'Never',
    automountServiceAccountToken: false,
    enableServiceLinks: false,
    securityContext: { runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532, fsGroup: 65532, seccompProfile: { type: 'RuntimeDefault' } },
    volumes: [{ name: 'agentlab', emptyDir: {} }],
    initContainers: [
      {
        name: STAGE_CONTAINER,
        image,
        env: [{ name: STEP_ROLE_ENV, value: 'stage-inputs' }, ...dirs, { name: 'AGENTLAB_INPUT_NAMES', value: JSON.stringify(Object.keys(input.inputs)) }, ...inputEnv],
        volumeMounts: mount,
        securityContext,
        resources: { requests: { cpu: '10m', memory: '32Mi' }, limits: { memory: '128Mi' } },
      },
      tool,
    ],
    containers: [
      {
        name: COLLECT_CONTAINER,
        image,
        env: [{ name: STEP_ROLE_ENV, value: 'collect-outputs' }, ...dirs, { name: 'AGENTLAB_OUTPUTS', value: JSON.stringify(declaredOutputs(node)) }],
        volumeMounts: mount,
        securityContext,
        resources: { requests: { cpu: '10m', memory: '32Mi' }, limits: { memory: '128Mi' } },
        terminationMessagePolicy: 'File',
      },
    ],
  };
  if (node.timeout) spec.activeDeadlineSeconds = durationSeconds(node.timeout);
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: toolPodName(flow.name, node.id, attempt), namespace: flow.namespace, labels },
    spec,
  };
}
