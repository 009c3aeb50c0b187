import type { FlowNode } from '../api/generated/flow.js';
import type { KubeObject } from '../runtime/kube.js';
import type { AttemptResult } from './node-state.js';
import { checkToolOutputs } from './outputs.js';
import { COLLECT_CONTAINER, STAGE_CONTAINER, TOOL_CONTAINER } from './tool-pod.js';

interface ContainerStatus {
  name: string;
  state?: {
    waiting?: { reason?: string; message?: string };
    running?: unknown;
    terminated?: { exitCode?: number; reason?: string; message?: string };
  };
}
interface PodStatus {
  phase?: string;
  reason?: string;
  message?: string;
  initContainerStatuses?: ContainerStatus[];
  containerStatuses?: ContainerStatus[];
}

/** What the step runner's collector writes as its termination message. */
export interface CollectedOutputs {
  outputs?: Record<string, string>;
  error?: string;
}

const oneLine = (text: string, max = 600) => {
  const t = text.replace(/\s+/g, ' ').trim();
  return t.length <= max ? t : `...${t.slice(t.length - max)}`;
};

/**
 * The result of a tool node's attempt from its pod (as cached: status only): running while the
 * pod runs (with the waiting reason of a container stuck before it, e.g. ImagePullBackOff);
 * succeeded with the collector's outputs, checked against the declared types; failed with the
 * tool's exit code and the end of its log, a timeout (DeadlineExceeded), or the collector's error.
 */
export function toolAttemptResult(node: FlowNode, pod: KubeObject | undefined): AttemptResult {
  if (!pod) return { kind: 'absent' };
  const status = (pod.status ?? {}) as PodStatus;
  const all = [...(status.initContainerStatuses ?? []), ...(status.containerStatuses ?? [])];
  const find = (name: string) => all.find((c) => c.name === name);

  if (status.phase === 'Failed' && status.reason === 'DeadlineExceeded') {
    return { kind: 'failed', message: `timed out after ${node.timeout} (the attempt's time limit)` };
  }
  if (status.phase === 'Succeeded' || status.phase === 'Failed') {
    const stage = find(STAGE_CONTAINER)?.state?.terminated;
    if (stage && stage.exitCode !== 0) return { kind: 'failed', message: `staging the inputs failed (exit code ${stage.exitCode}): ${oneLine(stage.message ?? '')}` };
    const tool = find(TOOL_CONTAINER)?.state?.terminated;
    if (tool && tool.exitCode !== 0) {
      const log = tool.message ? `: ${oneLine(tool.message)}` : '';
      return { kind: 'failed', message: `the tool exited with code ${tool.exitCode}${log}` };
    }
    const collect = find(COLLECT_CONTAINER)?.state?.terminated;
    if (!collect) return { kind: 'failed', message: `the pod ended (${status.phase}${status.reason ? `, ${status.reason}` : ''}) before the outputs were collected${status.message ? `: ${oneLine(status.message)}` : ''}` };
    let collected: CollectedOutputs;
    try {
      collected = JSON.parse(collect.message ?? '') as CollectedOutputs;
    } catch {
      return { kind: 'failed', message: `the output collector exited with code ${collect.exitCode} without a JSON termination message` };
    }
    if (collected.error) return { kind: 'failed', message: collected.error, final: true };
    const checked = checkToolOutputs(node, collected.outputs ?? {});
    if ('error' in checked) return { kind: 'failed', message: checked.error, final: true };
    return { kind: 'succeeded', outputs: checked.outputs };
  }
  const stuck = stuckContainer(all);
  if (stuck) return { kind: 'running', detail: `container ${stuck.name}: ${stuck.state!.waiting!.reason}${stuck.state!.waiting!.message ? `: ${oneLine(stuck.state!.waiting!.message, 200)}` : ''}` };
  return { kind: 'running' };
}

/** A container waiting for a reason other than the pod's normal start: what a running attempt reports. */
function stuckContainer(all: ContainerStatus[]): ContainerStatus | undefined {
  return all.find((c) => c.state?.waiting?.reason && !['PodInitializing', 'ContainerCreating'].includes(c.state.waiting.reason));
}

/**
 * What toolAttemptResult reads of a pod, as one string: pods with the same observation give the
 * same result for any node. Until the pod ends that is only a stuck container's waiting reason,
 * so its scheduling, its containers starting and the staging container ending (four or five
 * updates of a pod that runs normally) change nothing; once it ended, its reason, message and every
 * container's termination.
 */
export function toolPodObservation(pod: KubeObject): string {
  const status = (pod.status ?? {}) as PodStatus;
  const all = [...(status.initContainerStatuses ?? []), ...(status.containerStatuses ?? [])];
  if (status.phase === 'Succeeded' || status.phase === 'Failed') {
    const ended = all.map((c) => [c.name, c.state?.terminated && [c.state.terminated.exitCode, c.state.terminated.reason, c.state.terminated.message]]);
    return JSON.stringify(['ended', status.phase, status.reason, status.message, ended]);
  }
  const stuck = stuckContainer(all);
  return JSON.stringify(['running', stuck && [stuck.name, stuck.state!.waiting!.reason, stuck.state!.waiting!.message]]);
}
