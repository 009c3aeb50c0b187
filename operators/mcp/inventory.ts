/**
 * node_inventory: nodes, their GPUs (the device plugin's nvidia.com/gpu and GPU feature discovery's
 * product and memory labels), what runs on each, and how much GPU memory is free. Pure over the
 * listed Nodes, Pods and ModelServers.
 */
import type { KubeObject } from '../runtime/kube.js';

const GPU = 'nvidia.com/gpu';
const PRODUCT = 'nvidia.com/gpu.product';
const MEMORY_MIB = 'nvidia.com/gpu.memory';

interface NodeObj extends KubeObject {
  spec?: { unschedulable?: boolean; taints?: { key: string; effect: string }[] };
  status?: { capacity?: Record<string, string>; allocatable?: Record<string, string>; conditions?: { type: string; status: string; message?: string }[] };
}
interface PodObj extends KubeObject {
  spec?: { nodeName?: string; containers?: { resources?: { requests?: Record<string, string>; limits?: Record<string, string> } }[] };
  status?: { phase?: string };
}
interface ModelServerObj extends KubeObject {
  spec?: { runtime?: string; models?: { name: string }[]; gpu?: { count?: number } };
  status?: { node?: string; conditions?: { type: string; status: string; message?: string }[] };
}

export interface NodeEntry {
  name: string;
  ready: boolean;
  schedulable: boolean;
  cpu?: string;
  memory?: string;
  gpu?: {
    product?: string;
    memoryMiBPerGPU?: number;
    capacity: number;
    allocatable: number;
    /** GPUs requested by pods running or pending on the node. */
    requested: number;
    free: number;
    /** free GPUs times the memory of one (whole GPUs are scheduled, never parts of one). */
    freeMemoryMiB?: number;
  };
  modelServers: { namespace: string; name: string; runtime?: string; gpus: number; models: string[]; ready?: string }[];
  pods: { namespace: string; name: string; phase?: string; gpus: number }[];
  /** Pods beyond the cap that are not listed. */
  morePods: number;
}

const int = (v: string | undefined) => {
  const n = Number.parseInt(v ?? '', 10);
  return Number.isFinite(n) ? n : 0;
};

function podGpus(p: PodObj): number {
  return (p.spec?.containers ?? []).reduce((n, c) => n + int(c.resources?.limits?.[GPU] ?? c.resources?.requests?.[GPU]), 0);
}

export function nodeInventory(nodes: NodeObj[], pods: PodObj[], modelServers: ModelServerObj[], maxPodsPerNode = 20): NodeEntry[] {
  return nodes.map((n) => {
    const name = n.metadata?.name ?? '';
    const labels = n.metadata?.labels ?? {};
    const here = pods.filter((p) => p.spec?.nodeName === name && p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed');
    const capacity = int(n.status?.capacity?.[GPU]);
    const allocatable = int(n.status?.allocatable?.[GPU] ?? n.status?.capacity?.[GPU]);
    const requested = here.reduce((s, p) => s + podGpus(p), 0);
    const memoryMiB = labels[MEMORY_MIB] ? int(labels[MEMORY_MIB]) : undefined;
    const free = Math.max(0, allocatable - requested);
    const entry: NodeEntry = {
      name,
      ready: n.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True',
      schedulable: !n.spec?.unschedulable,
      cpu: n.status?.allocatable?.cpu,
      memory: n.status?.allocatable?.memory,
      modelServers: modelServers.filter((m) => m.status?.node === name).map((m) => ({
        namespace: m.metadata?.namespace ?? '',
        name: m.metadata?.name ?? '',
        runtime: m.spec?.runtime,
        gpus: m.spec?.gpu?.count ?? 0,
        models: (m.spec?.models ?? []).map((x) => x.name),
        ready: m.status?.conditions?.find((c) => c.type === 'Ready')?.status,
      })),
      pods: here.slice(0, maxPodsPerNode).map((p) => ({ namespace: p.metadata?.namespace ?? '', name: p.metadata?.name ?? '', phase: p.status?.phase, gpus: podGpus(p) })),
      morePods: Math.max(0, here.length - maxPodsPerNode),
    };
    if (capacity > 0 || labels[PRODUCT]) {
      entry.gpu = { product: labels[PRODUCT], memoryMiBPerGPU: memoryMiB, capacity, allocatable, requested, free, ...(memoryMiB !== undefined ? { freeMemoryMiB: free * memoryMiB } : {}) };
    }
    return entry;
  });
}

export function inventoryText(entries: NodeEntry[]): string {
  if (entries.length === 0) return 'no nodes';
  return entries.map((e) => {
    const gpu = e.gpu
      ? `${e.gpu.capacity}x ${e.gpu.product ?? 'GPU'}${e.gpu.memoryMiBPerGPU ? ` (${Math.round(e.gpu.memoryMiBPerGPU / 1024)} GiB)` : ''}, ${e.gpu.free} free${e.gpu.freeMemoryMiB !== undefined ? ` (${Math.round(e.gpu.freeMemoryMiB / 1024)} GiB)` : ''}`
      : 'no GPU';
    const ms = e.modelServers.map((m) => `${m.namespace}/${m.name} [${m.models.join(', ')}]`).join('; ');
    return `${e.name}${e.ready ? '' : ' (NotReady)'}${e.schedulable ? '' : ' (cordoned)'}: ${gpu}; ${e.pods.length + e.morePods} pods${ms ? `; model servers: ${ms}` : ''}`;
  }).join('\n');
}
