import type { KubeObject } from '../runtime/kube.js';
import type { HardwareStep } from './types.js';
import { COMMANDS_CONTAINER, RUN_CONTAINER } from './step-pod.js';

export type StepRunResult =
  | { kind: 'absent' }
  | { kind: 'running'; detail?: string }
  | { kind: 'succeeded'; outputs: Record<string, string>; message: string }
  | { kind: 'failed'; outputs: Record<string, string>; message: string };

interface Terminated { exitCode?: number; reason?: string; message?: string }
interface PodStatus {
  phase?: string;
  reason?: string;
  message?: string;
  containerStatuses?: { name: string; state?: { waiting?: { reason?: string; message?: string }; terminated?: Terminated } }[];
  initContainerStatuses?: { name: string; image?: string; state?: { waiting?: { reason?: string; message?: string }; terminated?: Terminated } }[];
}

interface CommandsMessage { commands?: { command: string; exitCode: number }[]; output?: string; truncated?: number; error?: string }

const MAX_OUTPUT = 4096;
const tail = (text: string, max: number) => (text.length <= max ? text : text.slice(text.length - max));

/**
 * The result of a check or command step from its pod (as cached: status only). Success: every
 * command exited with the expected code, and the combined output contains each outputContains
 * and none of outputNotContains. Outputs: `stdout` (the end of the combined output, at most
 * 4096 characters) and `exitCode` (of the last command run).
 */
export function stepRunResult(step: HardwareStep, pod: KubeObject | undefined): StepRunResult {
  if (!pod) return { kind: 'absent' };
  const block = (step.check ?? step.command)!;
  const status = (pod.status ?? {}) as PodStatus;
  const run = status.containerStatuses?.find((c) => c.name === RUN_CONTAINER);
  if (status.phase === 'Failed' && status.reason === 'DeadlineExceeded') {
    return { kind: 'failed', outputs: {}, message: `timed out after ${block.timeout ?? '10m'} (the step's timeout)` };
  }
  if (status.phase !== 'Succeeded' && status.phase !== 'Failed') {
    const waiting = run?.state?.waiting;
    if (waiting?.reason && !['ContainerCreating', 'PodInitializing'].includes(waiting.reason)) return { kind: 'running', detail: `container ${RUN_CONTAINER}: ${waiting.reason}${waiting.message ? `: ${waiting.message.slice(0, 200)}` : ''}` };
    return { kind: 'running' };
  }
  const term = run?.state?.terminated;
  // A step with its own image: its commands container failed before the collector could run.
  const ownImage = status.initContainerStatuses?.find((c) => c.name === COMMANDS_CONTAINER)?.state?.terminated;
  if (!term && ownImage && ownImage.exitCode !== 0) {
    return { kind: 'failed', outputs: {}, message: `container ${COMMANDS_CONTAINER} (${block.image}) exited with code ${ownImage.exitCode ?? 'unknown'}${ownImage.reason ? ` (${ownImage.reason})` : ''} before its results were collected: the step's image must have a POSIX sh (/bin/sh)${ownImage.message ? `: ${ownImage.message.slice(0, 300)}` : ''}` };
  }
  let msg: CommandsMessage;
  try {
    msg = JSON.parse(term?.message ?? '') as CommandsMessage;
  } catch {
    return { kind: 'failed', outputs: {}, message: `the step pod ended (${status.phase}${status.reason ? `, ${status.reason}` : ''}, exit code ${term?.exitCode ?? 'unknown'}) without the step runner's result${status.message ? `: ${status.message}` : ''}` };
  }
  if (msg.error) return { kind: 'failed', outputs: {}, message: msg.error };
  const commands = msg.commands ?? [];
  const output = msg.output ?? '';
  const last = commands.at(-1);
  const outputs: Record<string, string> = { stdout: tail(output, MAX_OUTPUT), exitCode: String(last?.exitCode ?? '') };
  const expected = block.success?.exitCode ?? 0;
  const bad = commands.find((c) => c.exitCode !== expected);
  const lastLines = (text: string) => tail(text.trim(), 600);
  if (bad) return { kind: 'failed', outputs, message: `command ${commands.indexOf(bad) + 1} (${bad.command}) exited with code ${bad.exitCode}, expected ${expected}: ${lastLines(output)}` };
  const wanted = (block.commands ?? []).length;
  if (commands.length < wanted) return { kind: 'failed', outputs, message: `only ${commands.length} of ${wanted} commands ran` };
  const scope = msg.truncated ? ` (in the last ${output.length} characters of the output)` : '';
  const missing = (block.success?.outputContains ?? []).filter((s) => !output.includes(s));
  if (missing.length > 0) return { kind: 'failed', outputs, message: `the output does not contain ${missing.map((s) => JSON.stringify(s)).join(', ')}${scope}: ${lastLines(output)}` };
  const found = (block.success?.outputNotContains ?? []).filter((s) => output.includes(s));
  if (found.length > 0) return { kind: 'failed', outputs, message: `the output contains ${found.map((s) => JSON.stringify(s)).join(', ')}: ${lastLines(output)}` };
  return { kind: 'succeeded', outputs, message: `${commands.length} command${commands.length === 1 ? '' : 's'} succeeded` };
}
