/**
 * A pod's QoS class, as pkg/apis/core/helper/qos computes it when the pod is created: only cpu and
 * memory count (a pod with nothing but an nvidia.com/gpu limit is BestEffort), over containers and
 * init containers, on the defaulted spec (requests copied from limits).
 */
import { parseQuantity } from '../../operators/schema/index.js';
import { isRecord } from './types.js';

export type QosClass = 'Guaranteed' | 'Burstable' | 'BestEffort';

const COMPUTE = ['cpu', 'memory'] as const;

/** value = num / 10^scale, exact. */
interface Exact { num: bigint; scale: number }

function exact(v: unknown): Exact | undefined {
  if (typeof v === 'number') return parseQuantity(String(v));
  return typeof v === 'string' ? parseQuantity(v) : undefined;
}
function rescale(a: Exact, scale: number): bigint { return a.num * 10n ** BigInt(scale - a.scale); }
function add(a: Exact | undefined, b: Exact): Exact {
  if (!a) return b;
  const scale = Math.max(a.scale, b.scale);
  return { num: rescale(a, scale) + rescale(b, scale), scale };
}
function equal(a: Exact, b: Exact): boolean {
  const scale = Math.max(a.scale, b.scale);
  return rescale(a, scale) === rescale(b, scale);
}

export function qosClass(spec: Record<string, unknown>): QosClass {
  const containers = [spec.containers, spec.initContainers].flatMap((l) => (Array.isArray(l) ? l : [])).filter(isRecord);
  const requests = new Map<string, Exact>();
  const limits = new Map<string, Exact>();
  let guaranteed = true;
  for (const c of containers) {
    const res = isRecord(c.resources) ? c.resources : {};
    const req = isRecord(res.requests) ? res.requests : {};
    const lim = isRecord(res.limits) ? res.limits : {};
    const limited = new Set<string>();
    for (const name of COMPUTE) {
      // Zero quantities count as unset, as the Go code keeps only quantities above zero.
      // A missing request is the limit, as defaulting sets it before the class is computed.
      const r = exact(req[name] ?? lim[name]);
      if (r && r.num > 0n) requests.set(name, add(requests.get(name), r));
      const l = exact(lim[name]);
      if (l && l.num > 0n) { limits.set(name, add(limits.get(name), l)); limited.add(name); }
    }
    if (!COMPUTE.every((n) => limited.has(n))) guaranteed = false;
  }
  if (requests.size === 0 && limits.size === 0) return 'BestEffort';
  if (guaranteed) {
    for (const [name, r] of requests) {
      const l = limits.get(name);
      if (!l || !equal(l, r)) { guaranteed = false; break; }
    }
  }
  return guaranteed && requests.size === limits.size ? 'Guaranteed' : 'Burstable';
}
