// The scheduler's decision as a pure function: filter nodes the way kube-scheduler's default
// plugins do (NodeUnschedulable, TaintToleration, NodeAffinity, NodeResourcesFit), pick the
// least-loaded fitting node, or explain in the scheduler's own words why none fits.
import type { V1Node, V1NodeSelectorRequirement, V1Pod, V1Taint, V1Toleration } from '@kubernetes/client-node';
import { milliCpu, parseQuantity } from './quantity.js';

export type ScheduleDecision = { node: string } | { unschedulable: string };

/** Reasons whose failure preemption cannot fix (the scheduler calls them UnschedulableAndUnresolvable). */
type NodeVerdict = { fits: true } | { fits: false; reasons: string[]; resolvableByPreemption: boolean };

const RESOURCES = ['cpu', 'memory', 'nvidia.com/gpu', 'ephemeral-storage'] as const;

/** Requests of a pod as the scheduler counts them: max(sum of containers, any init container) + overhead. */
export function podRequests(pod: V1Pod): Record<string, number> {
  const sum: Record<string, number> = {};
  const add = (into: Record<string, number>, reqs: Record<string, string> | undefined) => {
    for (const [k, v] of Object.entries(reqs ?? {})) into[k] = (into[k] ?? 0) + quantityFor(k, v);
  };
  for (const c of pod.spec?.containers ?? []) add(sum, effectiveRequests(c.resources));
  for (const c of pod.spec?.initContainers ?? []) {
    const init: Record<string, number> = {};
    add(init, effectiveRequests(c.resources));
    for (const [k, v] of Object.entries(init)) sum[k] = Math.max(sum[k] ?? 0, v);
  }
  add(sum, pod.spec?.overhead as Record<string, string> | undefined);
  return sum;
}

/** A container's requests; limits stand in for missing requests (the API server defaults them so). */
function effectiveRequests(r: { requests?: Record<string, string>; limits?: Record<string, string> } | undefined): Record<string, string> {
  return { ...(r?.limits ?? {}), ...(r?.requests ?? {}) };
}

function quantityFor(resource: string, v: string | number): number {
  return resource === 'cpu' ? milliCpu(v) : parseQuantity(v);
}

/** Parsed once per allocatable object (a node's status is replaced, never edited, when it changes). */
const parsedAllocatable = new WeakMap<object, Record<string, number>>();

function allocatable(node: V1Node): Record<string, number> {
  const raw = node.status?.allocatable ?? {};
  let out = parsedAllocatable.get(raw);
  if (out) return out;
  out = {};
  for (const [k, v] of Object.entries(raw)) out[k] = quantityFor(k, v);
  parsedAllocatable.set(raw, out);
  return out;
}

/** Pods that hold resources on a node: bound there and not finished. */
export function isActiveOnNode(pod: V1Pod, node: string): boolean {
  return pod.spec?.nodeName === node && pod.status?.phase !== 'Succeeded' && pod.status?.phase !== 'Failed';
}

export function tolerates(tolerations: V1Toleration[] | undefined, taint: V1Taint): boolean {
  return (tolerations ?? []).some((t) => {
    if (t.effect && t.effect !== taint.effect) return false;
    if (!t.key) return t.operator === 'Exists';
    if (t.key !== taint.key) return false;
    return t.operator === 'Exists' || (t.value ?? '') === (taint.value ?? '');
  });
}

export function matchesRequirement(labels: Record<string, string>, r: V1NodeSelectorRequirement): boolean {
  const has = Object.prototype.hasOwnProperty.call(labels, r.key);
  const value = labels[r.key];
  switch (r.operator) {
    case 'In':
      return has && (r.values ?? []).includes(value);
    case 'NotIn':
      return !has || !(r.values ?? []).includes(value);
    case 'Exists':
      return has;
    case 'DoesNotExist':
      return !has;
    case 'Gt':
    case 'Lt': {
      if (!has || !/^-?\d+$/.test(value) || !/^-?\d+$/.test(r.values?.[0] ?? '')) return false;
      const a = Number(value);
      const b = Number(r.values![0]);
      return r.operator === 'Gt' ? a > b : a < b;
    }
    default:
      return false;
  }
}

function fieldsMatch(node: V1Node, r: V1NodeSelectorRequirement): boolean {
  // matchFields supports only metadata.name.
  if (r.key !== 'metadata.name') return false;
  return matchesRequirement({ 'metadata.name': node.metadata?.name ?? '' }, r);
}

export function matchesNodeAffinity(pod: V1Pod, node: V1Node): boolean {
  const labels = node.metadata?.labels ?? {};
  for (const [k, v] of Object.entries(pod.spec?.nodeSelector ?? {})) if (labels[k] !== v) return false;
  const required = pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  if (!required) return true;
  // Terms are ORed; requirements inside a term are ANDed; an empty term matches nothing.
  return required.nodeSelectorTerms.some((term) => {
    const exprs = term.matchExpressions ?? [];
    const fields = term.matchFields ?? [];
    if (exprs.length === 0 && fields.length === 0) return false;
    return exprs.every((r) => matchesRequirement(labels, r)) && fields.every((r) => fieldsMatch(node, r));
  });
}

/**
 * What the pods holding resources on one node (isActiveOnNode) add up to: their number, their
 * requests (the filter's NodeResourcesFit) and their non-zero requests (the score's LeastAllocated).
 */
export interface NodeLoad { pods: number; used: Record<string, number>; nonzero: Record<string, number> }

const emptyLoad = (): NodeLoad => ({ pods: 0, used: {}, nonzero: { cpu: 0, memory: 0 } });

/** Adds a pod to a node's load (the scheduler's "assume" of a pod it just bound). */
export function addToLoad(load: NodeLoad, pod: V1Pod): void {
  load.pods += 1;
  for (const [k, v] of Object.entries(podRequests(pod))) load.used[k] = (load.used[k] ?? 0) + v;
  for (const [k, v] of Object.entries(nonzeroRequests(pod))) load.nonzero[k] = (load.nonzero[k] ?? 0) + v;
}

/** A node's entry in `loads`, made empty when the node holds nothing yet. */
export function loadOn(loads: Map<string, NodeLoad>, node: string): NodeLoad {
  let load = loads.get(node);
  if (!load) loads.set(node, (load = emptyLoad()));
  return load;
}

/**
 * The load of every node, from one pass over the pods: a scheduling pass computes it once and
 * keeps it up to date as it binds, instead of summing every node's pods again for each pending
 * pod (with 700 pending pods and 1,000 in all, 2.8 s per pass on the simulator's event loop).
 */
export function nodeLoads(pods: V1Pod[]): Map<string, NodeLoad> {
  const loads = new Map<string, NodeLoad>();
  for (const p of pods) {
    const node = p.spec?.nodeName;
    if (!node || !isActiveOnNode(p, node)) continue;
    addToLoad(loadOn(loads, node), p);
  }
  return loads;
}

/** Runs the filters for one node in kube-scheduler's plugin order; the first failing plugin decides. */
export function filterNode(pod: V1Pod, node: V1Node, load: NodeLoad = emptyLoad()): NodeVerdict {
  if (node.spec?.unschedulable && !tolerates(pod.spec?.tolerations, { key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' })) {
    return { fits: false, reasons: ['node(s) were unschedulable'], resolvableByPreemption: false };
  }
  const untolerated = (node.spec?.taints ?? []).find(
    (t) => (t.effect === 'NoSchedule' || t.effect === 'NoExecute') && !tolerates(pod.spec?.tolerations, t),
  );
  if (untolerated) {
    return { fits: false, reasons: [`node(s) had untolerated taint {${untolerated.key}: ${untolerated.value ?? ''}}`], resolvableByPreemption: false };
  }
  if (!matchesNodeAffinity(pod, node)) {
    return { fits: false, reasons: ["node(s) didn't match Pod's node affinity/selector"], resolvableByPreemption: false };
  }
  const alloc = allocatable(node);
  const used = load.used;
  const reasons: string[] = [];
  if (load.pods + 1 > (alloc.pods ?? 110)) reasons.push('Too many pods');
  const want = podRequests(pod);
  const names = new Set<string>([...RESOURCES, ...Object.keys(want)]);
  for (const r of names) {
    const req = want[r] ?? 0;
    if (req <= 0) continue;
    if (req > (alloc[r] ?? 0) - (used[r] ?? 0)) reasons.push(`Insufficient ${r}`);
  }
  return reasons.length ? { fits: false, reasons, resolvableByPreemption: true } : { fits: true };
}

/**
 * Picks a node for the pod. Ties are broken by the lowest share of requested CPU and memory
 * (kube-scheduler's LeastAllocated score), then by name, so the choice is deterministic.
 * `loads`: the nodes' loads (nodeLoads) not counting this pod, when the caller keeps them for a
 * whole pass; computed from `pods` (without this pod) when absent.
 */
export function schedulePod(pod: V1Pod, nodes: V1Node[], pods: V1Pod[], loads?: Map<string, NodeLoad>): ScheduleDecision {
  const byNode = loads ?? nodeLoads(pods.filter((p) => p.metadata?.uid !== pod.metadata?.uid));
  const fitting: { name: string; score: number }[] = [];
  const failures: NodeVerdict[] = [];
  for (const node of nodes) {
    const name = node.metadata?.name ?? '';
    const load = byNode.get(name) ?? emptyLoad();
    const verdict = filterNode(pod, node, load);
    if (verdict.fits) fitting.push({ name, score: allocatedShare(pod, node, load) });
    else failures.push(verdict);
  }
  if (fitting.length > 0) {
    fitting.sort((a, b) => a.score - b.score || a.name.localeCompare(b.name));
    return { node: fitting[0].name };
  }
  return { unschedulable: fitErrorMessage(nodes.length, failures) };
}

/** Scoring counts a container without cpu/memory requests as 100m / 200 MB (schedutil.GetNonzeroRequests). */
function nonzeroRequests(pod: V1Pod): Record<string, number> {
  const out: Record<string, number> = { cpu: 0, memory: 0 };
  for (const c of pod.spec?.containers ?? []) {
    const r = effectiveRequests(c.resources);
    out.cpu += r.cpu !== undefined ? milliCpu(r.cpu) : 100;
    out.memory += r.memory !== undefined ? parseQuantity(r.memory) : 200 * 1024 * 1024;
  }
  return out;
}

function allocatedShare(pod: V1Pod, node: V1Node, load: NodeLoad): number {
  const alloc = allocatable(node);
  const total: Record<string, number> = nonzeroRequests(pod);
  for (const [k, v] of Object.entries(load.nonzero)) total[k] = (total[k] ?? 0) + v;
  const share = (r: string) => (alloc[r] ? (total[r] ?? 0) / alloc[r] : 1);
  return (share('cpu') + share('memory')) / 2;
}

/** "0/3 nodes are available: 1 Insufficient nvidia.com/gpu, 2 node(s) didn't match ... preemption: ..." */
export function fitErrorMessage(numNodes: number, failures: NodeVerdict[]): string {
  if (numNodes === 0) return 'no nodes available to schedule pods';
  const histogram = (entries: string[]) => {
    const counts = new Map<string, number>();
    for (const e of entries) counts.set(e, (counts.get(e) ?? 0) + 1);
    return [...counts].map(([reason, n]) => `${n} ${reason}`).sort().join(', ');
  };
  const reasons = failures.flatMap((f) => (f.fits ? [] : f.reasons));
  const preemption = failures.map((f) =>
    !f.fits && f.resolvableByPreemption ? 'No preemption victims found for incoming pod' : 'Preemption is not helpful for scheduling',
  );
  return `0/${numNodes} nodes are available: ${histogram(reasons)}. preemption: 0/${numNodes} nodes are available: ${histogram(preemption)}.`;
}
