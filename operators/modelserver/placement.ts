import type { KubeObject } from '../runtime/kube.js';
import { withDefaults } from '../runtime/options.js';
import { formatBytes, parseQuantity } from '../runtime/quantity.js';
import { type ModelServer, type PlacementCandidate, type PlacementStatus, gpuCountOf, replicasOf } from './types.js';

export const GPU_RESOURCE = 'nvidia.com/gpu';
export const GPU_PRODUCT_LABEL = 'nvidia.com/gpu.product';
export const GPU_MEMORY_LABEL = 'nvidia.com/gpu.memory';

/** Default weights of the score terms (spec.placement.weights overrides each). */
export const DEFAULT_WEIGHTS: Readonly<{ gpuMemory: number; freeMemory: number; preferred: number }> = { gpuMemory: 50, freeMemory: 20, preferred: 30 };

interface NodeLike extends KubeObject {
  spec?: { unschedulable?: boolean };
  status?: { allocatable?: Record<string, string>; conditions?: { type: string; status: string }[] };
}

/** What another ModelServer holds on a node, derived from its spec and its placement status. */
export interface Claim { key: string; node: string; gpus: number; memoryBytes: number }

/**
 * What a server holds on its node: GPUs and memory, for a running server placed on a node
 * (status.node) that requests either; undefined for one that holds nothing.
 */
export function claimOf(s: ModelServer): Omit<Claim, 'key'> | undefined {
  const node = s.status?.node;
  if (!node || s.metadata?.deletionTimestamp) return undefined;
  const replicas = replicasOf(s.spec);
  if (replicas === 0) return undefined;
  const gpus = gpuCountOf(s.spec) * replicas;
  const memoryBytes = memoryRequest(s) * replicas;
  if (gpus === 0 && memoryBytes === 0) return undefined;
  return { node, gpus, memoryBytes };
}

/**
 * GPUs and memory claimed by running ModelServers that have a node (status.node). A server that
 * requests neither claims nothing and is left out: every reconcile scores against every server,
 * so the loop stays cheap for them (no key string built; measured: most of a 1,000-server
 * reconcile's CPU before).
 */
export function claimsOf(servers: ModelServer[], exceptKey: string): Claim[] {
  const out: Claim[] = [];
  for (const s of servers) {
    const claim = claimOf(s);
    if (!claim) continue;
    const key = `${s.metadata?.namespace}/${s.metadata?.name}`;
    if (key === exceptKey) continue;
    out.push({ key, ...claim });
  }
  return out;
}

function memoryRequest(ms: ModelServer): number {
  const m = ms.spec.resources?.requests?.memory;
  if (m === undefined) return 0;
  try { return parseQuantity(m); } catch { return 0; }
}

/** GPU product as people write it: NVIDIA-GeForce-RTX-3070 -> NVIDIA GeForce RTX 3070. */
export function productName(label: string | undefined): string {
  return (label ?? 'GPU').replace(/-/g, ' ');
}

const sameProduct = (a: string, b: string): boolean => a.replace(/[\s_-]+/g, '').toLowerCase() === b.replace(/[\s_-]+/g, '').toLowerCase();

interface NodeFacts {
  name: string;
  ready: boolean;
  unschedulable: boolean;
  labels: Record<string, string>;
  gpuTotal: number;
  gpuProduct?: string;
  gpuMemoryBytes?: number;
  memoryBytes: number;
  claims: Claim[];
}

function factsOf(node: NodeLike, claims: Claim[]): NodeFacts {
  const name = node.metadata?.name ?? '';
  const labels = node.metadata?.labels ?? {};
  const alloc = node.status?.allocatable ?? {};
  const num = (q: string | undefined): number => { try { return q === undefined ? 0 : parseQuantity(q); } catch { return 0; } };
  const memLabel = labels[GPU_MEMORY_LABEL];
  return {
    name,
    ready: (node.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True'),
    unschedulable: node.spec?.unschedulable === true,
    labels,
    gpuTotal: Math.floor(num(alloc[GPU_RESOURCE])),
    gpuProduct: labels[GPU_PRODUCT_LABEL],
    gpuMemoryBytes: memLabel && /^\d+$/.test(memLabel) ? Number(memLabel) * 2 ** 20 : undefined,
    memoryBytes: num(alloc.memory),
    claims: claims.filter((c) => c.node === name),
  };
}

export interface PlacementInput {
  server: ModelServer;
  nodes: KubeObject[];
  /**
   * At least every ModelServer holding GPUs or memory on one of `nodes` (the controller passes
   * those, from its index); others claim nothing and are skipped, as is the server itself (by key).
   */
  servers: ModelServer[];
}

export interface PlacementDecision extends PlacementStatus {
  /** The requirement in words, e.g. "1 GPU of 12 GiB or more". */
  needs: string;
}

function requirementText(gpus: number, product: string | undefined, minGpuMem: number, memory: number): string {
  const parts: string[] = [];
  if (gpus > 0) {
    let t = `${gpus} GPU${gpus > 1 ? 's' : ''}`;
    if (product) t += ` (${productName(product)})`;
    if (minGpuMem > 0) t += ` with >= ${formatBytes(minGpuMem)}`;
    parts.push(t);
  }
  if (memory > 0) parts.push(`${formatBytes(memory)} of memory`);
  return parts.length ? parts.join(' and ') : 'any ready node';
}

/**
 * Scores every node for a ModelServer and picks the best. A node fits when it is Ready and
 * schedulable, matches spec.placement.nodeSelector, has enough unclaimed GPUs of the required
 * product and memory, and enough memory not requested by other ModelServers on it. Among nodes
 * that fit, the score (0-100) is the weighted mean of:
 * - gpuMemory: the share of each GPU's memory left after the requirement (GPU servers), or
 *   1 for a node without GPUs (CPU servers leave GPU nodes to GPU work);
 * - freeMemory: the share of the node's memory still unrequested after this server;
 * - preferred: 1 for the first entry of preferredNodes, falling linearly, 0 when not listed.
 * Placement is sticky: a server keeps its current node while that node still fits, because moving
 * means a new cache volume and downloading every model again. Ties go to the node name.
 */
export function scoreNodes(input: PlacementInput): PlacementDecision {
  const { server } = input;
  const key = `${server.metadata?.namespace}/${server.metadata?.name}`;
  const spec = server.spec;
  const replicas = Math.max(1, replicasOf(spec));
  const gpus = gpuCountOf(spec) * replicas;
  const product = spec.gpu?.product;
  const minGpuMem = spec.gpu?.minMemory ? parseQuantity(spec.gpu.minMemory) : 0;
  const memory = memoryRequest(server) * replicas;
  const selector = spec.placement?.nodeSelector ?? {};
  const preferred = spec.placement?.preferredNodes ?? [];
  const w = withDefaults(DEFAULT_WEIGHTS, spec.placement?.weights ?? {});
  const needs = requirementText(gpus, product, minGpuMem, memory);
  const claims = claimsOf(input.servers, key);
  const facts = input.nodes.map((n) => factsOf(n as NodeLike, claims)).sort((a, b) => a.name.localeCompare(b.name));

  const candidates: (PlacementCandidate & { score: number; fits: boolean })[] = [];
  for (const f of facts) {
    const gpuFree = f.gpuTotal - f.claims.reduce((s, c) => s + c.gpus, 0);
    const memFree = f.memoryBytes - f.claims.reduce((s, c) => s + c.memoryBytes, 0);
    let why = '';
    if (!f.ready) why = 'node is not Ready';
    else if (f.unschedulable) why = 'node is cordoned';
    else {
      const missing = Object.entries(selector).find(([k, v]) => f.labels[k] !== v);
      if (missing) why = `lacks label ${missing[0]}=${missing[1]}`;
    }
    if (!why && gpus > 0) {
      if (f.gpuTotal === 0) why = 'no GPU';
      else if (product && !(f.gpuProduct && sameProduct(f.gpuProduct, product))) why = `GPU is ${productName(f.gpuProduct)}, not ${productName(product)}`;
      else if (minGpuMem > 0 && (f.gpuMemoryBytes ?? 0) < minGpuMem) why = `GPU has ${f.gpuMemoryBytes ? formatBytes(f.gpuMemoryBytes) : 'unknown memory'}, needs ${formatBytes(minGpuMem)}`;
      else if (gpuFree < gpus) why = `${gpuFree} of ${f.gpuTotal} GPU free (claimed by ${f.claims.filter((c) => c.gpus > 0).map((c) => c.key).join(', ')})`;
    }
    if (!why && memory > 0 && memFree < memory) why = `${formatBytes(Math.max(0, memFree))} memory unrequested, needs ${formatBytes(memory)}`;
    if (why) {
      candidates.push({ node: f.name, fits: false, score: 0, reason: why });
      continue;
    }
    const gpuTerm = gpus > 0
      ? (f.gpuMemoryBytes ? Math.max(0, (f.gpuMemoryBytes - minGpuMem) / f.gpuMemoryBytes) : 0)
      : (f.gpuTotal === 0 ? 1 : 0);
    const memTerm = f.memoryBytes > 0 ? Math.max(0, (memFree - memory) / f.memoryBytes) : 0;
    const idx = preferred.indexOf(f.name);
    const prefTerm = idx < 0 ? 0 : 1 - idx / preferred.length;
    const total = w.gpuMemory + w.freeMemory + w.preferred;
    const score = total === 0 ? 100 : Math.round((100 * (w.gpuMemory * gpuTerm + w.freeMemory * memTerm + w.preferred * prefTerm)) / total);
    const reason = [
      gpus > 0 ? `${gpuFree} of ${f.gpuTotal} ${productName(f.gpuProduct)} free${f.gpuMemoryBytes ? ` (${formatBytes(f.gpuMemoryBytes)})` : ''}` : f.gpuTotal === 0 ? 'CPU node' : 'GPU node (prefer CPU nodes for CPU servers)',
      `${formatBytes(Math.max(0, memFree))} memory unrequested`,
      idx >= 0 ? `preferred #${idx + 1}` : '',
    ].filter(Boolean).join(', ');
    candidates.push({ node: f.name, fits: true, score, reason });
  }
  candidates.sort((a, b) => Number(b.fits) - Number(a.fits) || b.score - a.score || a.node.localeCompare(b.node));

  const fitting = candidates.filter((c) => c.fits);
  if (fitting.length === 0) {
    return { needs, candidates, suggestion: suggest({ needs, gpus, product, minGpuMem, memory, facts, candidates }) };
  }
  const current = server.status?.placement?.node ?? server.status?.node;
  const sticky = current ? fitting.find((c) => c.node === current) : undefined;
  const chosen = sticky ?? fitting[0];
  const reason = sticky && sticky !== fitting[0]
    ? `stays on ${chosen.node} (${chosen.reason}); ${fitting[0].node} scores higher (${fitting[0].score}) but moving would re-download the models`
    : `${chosen.node} scores ${chosen.score}: ${chosen.reason}`;
  return { needs, node: chosen.node, score: chosen.score, reason, candidates };
}

/** A sentence a person can act on: what is needed, what comes closest, and what to stop to free it. */
function suggest(a: { needs: string; gpus: number; product?: string; minGpuMem: number; memory: number; facts: NodeFacts[]; candidates: PlacementCandidate[] }): string {
  const parts = [`needs ${a.needs}`];
  if (a.gpus > 0) {
    const gpuNodes = a.facts.filter((f) => f.gpuTotal > 0);
    if (gpuNodes.length === 0) {
      parts.push(`no node advertises ${GPU_RESOURCE}; install the NVIDIA device plugin and GPU feature discovery, or remove spec.gpu to run on CPU`);
      return parts.join('; ');
    }
    for (const f of gpuNodes) {
      const free = f.gpuTotal - f.claims.reduce((s, c) => s + c.gpus, 0);
      const productOk = !a.product || (f.gpuProduct !== undefined && sameProduct(f.gpuProduct, a.product));
      const memOk = a.minGpuMem === 0 || (f.gpuMemoryBytes ?? 0) >= a.minGpuMem;
      const what = `${productName(f.gpuProduct)}${f.gpuMemoryBytes ? ` with ${formatBytes(f.gpuMemoryBytes)}` : ''}`;
      if (productOk && memOk) {
        const holders = f.claims.filter((c) => c.gpus > 0).map((c) => c.key);
        if (free < a.gpus && holders.length) parts.push(`stop ModelServer ${holders.join(' or ')} on ${f.name} to free ${a.gpus - free > 1 ? 'them' : 'one'}`);
        else if (!f.ready || f.unschedulable) parts.push(`${f.name} has a matching ${what} but is ${f.unschedulable ? 'cordoned' : 'not Ready'}`);
      } else if (free > 0) {
        parts.push(`${f.name} has a free ${what}`);
      } else {
        parts.push(`${f.name} has a ${what} (in use)`);
      }
    }
    return parts.join('; ');
  }
  const notes = a.candidates.slice(0, 3).map((c) => `${c.node}: ${c.reason}`);
  return [...parts, ...notes].join('; ');
}
