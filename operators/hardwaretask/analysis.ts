import type { ChatRequest } from '../runtime/router-call.js';
import type { KubeObject } from '../runtime/kube.js';
import type { HardwareStep } from './types.js';

/** The node annotation the node simulator keeps its disk inventory in (docs/node-simulator.md). */
export const SIM_HARDWARE_ANNOTATION = 'sim.agentlab.dev/hardware';
/** A report longer than a status output holds is cut to this many characters. */
export const MAX_REPORT = 4096;

const SYSTEM = 'You help run a homelab Kubernetes cluster. Answer the question about the node plainly and briefly.';

interface NodeView {
  metadata?: { name?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  status?: { capacity?: Record<string, string>; allocatable?: Record<string, string>; nodeInfo?: Record<string, string> };
}

/**
 * The node facts an analysis step adds to its prompt: capacity, allocatable, labels and the disk
 * inventory (the simulator's annotation; a real Node carries none, and the text says so).
 */
export function nodeFacts(name: string, node: KubeObject | undefined): string {
  if (!node) return `Node ${name}: not found in the cluster.`;
  const n = node as NodeView;
  const map = (m: Record<string, string> | undefined) => Object.entries(m ?? {}).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${k}=${v}`).join(', ') || 'none';
  const lines = [
    `Node ${name}:`,
    `- capacity: ${map(n.status?.capacity)}`,
    `- allocatable: ${map(n.status?.allocatable)}`,
    `- labels: ${map(n.metadata?.labels)}`,
  ];
  const hw = n.metadata?.annotations?.[SIM_HARDWARE_ANNOTATION];
  lines.push(hw ? `- disk inventory (JSON): ${hw}` : '- disk inventory: not known to Kubernetes (run a check step with lsblk for it)');
  return lines.join('\n');
}

/** The chat request of an analysis step: its prompt (substituted), the node facts when includeNodeFacts (default true). */
export function analysisRequest(step: HardwareStep, prompt: string, facts: string | undefined): ChatRequest {
  const a = step.analysis!;
  const content = a.includeNodeFacts === false || facts === undefined ? prompt : `${prompt}\n\n${facts}`;
  return { model: a.model ?? 'default', stream: false, messages: [{ role: 'system', content: SYSTEM }, { role: 'user', content }] };
}

/** The answer as the step's outputs: `report`, cut to MAX_REPORT characters (and said so in the message). */
export function reportOutputs(answer: string): { outputs: Record<string, string>; message: string } {
  if (answer.length <= MAX_REPORT) return { outputs: { report: answer }, message: `report of ${answer.length} characters` };
  return { outputs: { report: answer.slice(0, MAX_REPORT) }, message: `report of ${answer.length} characters, cut to the first ${MAX_REPORT} in outputs.report` };
}
