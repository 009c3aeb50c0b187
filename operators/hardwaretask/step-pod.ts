import type { KubeObject } from '../runtime/kube.js';
import { flowChildName } from '../model/graph/index.js';
import { durationSeconds } from '../model/steps/duration.js';
import { STEP_RUNNER_IMAGE } from '../model/steps/step-runner.js';
import { COMMANDS_SCRIPT, RESULTS_DIR } from '../step-runner/commands.js';
import type { HardwareStep } from './types.js';

export const TASK_LABEL = 'agentlab.dev/hardwaretask';
export const STEP_LABEL = 'agentlab.dev/hardwaretask-step';
export const ATTEMPT_LABEL = 'agentlab.dev/attempt';
/** On a hostAccess step's pod (privileged, host paths): `kubectl get pods -l agentlab.dev/host-access=true` lists them. */
export const HOST_ACCESS_LABEL = 'agentlab.dev/host-access';
export const RUN_CONTAINER = 'run';
/** The init container of a step with its own image: that image runs the commands (COMMANDS_SCRIPT). */
export const COMMANDS_CONTAINER = 'commands';
const RESULTS_VOLUME = 'results';

/** The pod of one run (from 1) of a check or command step. */
export const stepPodName = (task: string, step: string, attempt: number) => flowChildName(task, step, attempt);

/** What a GPU node or a control-plane node is tainted with; a step pod must run there all the same. */
export const NODE_TOLERATIONS = [
  { key: 'node-role.kubernetes.io/control-plane', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' },
];

/** Host paths a hostAccess step sees: devices, sysfs and udev's database (lsblk, smartctl, zpool need them). */
export const HOST_PATHS = ['/dev', '/sys', '/run/udev'];

export interface StepPodInput {
  task: { name: string; namespace: string; node: string };
  step: HardwareStep;
  attempt: number;
  /** The step's command lines with ${steps...} substituted. */
  commands: string[];
  stepRunnerImage?: string;
}

/**
 * The pod of a check or command step: pinned to the task's node with spec.nodeName (no scheduler:
 * the node is the point, cordoned or not) and the tolerations above; one container running the
 * step runner's run-commands role (operators/step-runner/commands.ts), which runs the commands in
 * order with sh -c and returns exit codes and the end of the output as its termination message.
 * hostAccess: privileged, with the host's /dev, /sys and /run/udev; otherwise the restricted Pod
 * Security profile. restartPolicy Never: a command is never run twice by the kubelet; a retry is a
 * new pod. The step's timeout is activeDeadlineSeconds.
 *
 * A step with its own `image` (tools the step runner lacks): init container `commands` runs that
 * image with `sh -c COMMANDS_SCRIPT agentlab-step <command>...` (the image needs only a POSIX sh),
 * leaving each command's exit code and output in an emptyDir; then the step runner's
 * collect-commands role in container `run` turns them into the same result. hostAccess applies
 * to the `commands` container, which is the one that touches the node.
 */
export function desiredStepPod(input: StepPodInput): KubeObject {
  const { task, step, attempt } = input;
  const block = (step.check ?? step.command)!;
  const host = block.hostAccess === true;
  const labels: Record<string, string> = { [STEP_LABEL]: step.name, [ATTEMPT_LABEL]: String(attempt) };
  if (task.name.length <= 63) labels[TASK_LABEL] = task.name;
  const custom = block.image ? block.image : undefined;
  const env = [
    { name: 'AGENTLAB_COMMANDS', value: JSON.stringify(input.commands) },
    { name: 'AGENTLAB_EXPECT_EXIT_CODE', value: String(block.success?.exitCode ?? 0) },
    { name: 'AGENTLAB_NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
  ];
  const container: Record<string, unknown> = {
    name: RUN_CONTAINER,
    image: input.stepRunnerImage ?? STEP_RUNNER_IMAGE,
    env: [{ name: 'AGENTLAB_STEP_ROLE', value: custom ? 'collect-commands' : 'run-commands' }, ...env, ...(custom ? [{ name: 'AGENTLAB_RESULTS_DIR', value: RESULTS_DIR }] : [])],
    resources: { requests: { cpu: '10m', memory: '32Mi' }, limits: { memory: '256Mi' } },
    terminationMessagePolicy: 'File',
  };
  const spec: Record<string, unknown> = {
    nodeName: task.node,
    tolerations: NODE_TOLERATIONS,
    restartPolicy: 'Never',
    automountServiceAccountToken: false,
    enableServiceLinks: false,
    activeDeadlineSeconds: durationSeconds(block.timeout ?? '10m'),
    containers: [container],
  };
  const restricted = { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } };
  // The container that runs the commands on the node: the step runner itself, or the step's image.
  let worker = container;
  if (custom) {
    const results = { name: RESULTS_VOLUME, mountPath: RESULTS_DIR };
    worker = {
      name: COMMANDS_CONTAINER,
      image: custom,
      command: ['sh', '-c', COMMANDS_SCRIPT, 'agentlab-step', ...input.commands],
      env: [...env.slice(1), { name: 'AGENTLAB_RESULTS_DIR', value: RESULTS_DIR }],
      resources: { requests: { cpu: '10m', memory: '32Mi' }, limits: { memory: '512Mi' } },
      volumeMounts: [results],
    };
    container.volumeMounts = [results];
    container.securityContext = restricted;
    spec.initContainers = [worker];
    spec.volumes = [{ name: RESULTS_VOLUME, emptyDir: { sizeLimit: '64Mi' } }];
  }
  if (host) {
    labels[HOST_ACCESS_LABEL] = 'true';
    worker.securityContext = { privileged: true };
    worker.volumeMounts = [...((worker.volumeMounts as unknown[] | undefined) ?? []), ...HOST_PATHS.map((p, i) => ({ name: `host-${i}`, mountPath: p }))];
    spec.volumes = [...((spec.volumes as unknown[] | undefined) ?? []), ...HOST_PATHS.map((p, i) => ({ name: `host-${i}`, hostPath: { path: p, type: 'Directory' } }))];
  } else {
    worker.securityContext = restricted;
    spec.securityContext = { runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532, seccompProfile: { type: 'RuntimeDefault' } };
  }
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name: stepPodName(task.name, step.name, attempt), namespace: task.namespace, labels }, spec };
}

/**
 * Whether a namespace lets a privileged pod in (Pod Security admission): its enforce label must be
 * privileged or absent (absent means the cluster default, privileged unless the admin changed it).
 */
export function hostAccessRefusal(namespace: KubeObject | undefined, name: string): string | undefined {
  const level = namespace?.metadata?.labels?.['pod-security.kubernetes.io/enforce'];
  if (level === undefined || level === 'privileged') return undefined;
  return `namespace ${name} enforces Pod Security level ${level}, which refuses the privileged pod a hostAccess step needs: label it pod-security.kubernetes.io/enforce=privileged (kubectl label ns ${name} pod-security.kubernetes.io/enforce=privileged --overwrite) or run the task in a namespace for node maintenance`;
}
