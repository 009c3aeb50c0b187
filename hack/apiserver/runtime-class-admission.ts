/**
 * kube-apiserver's RuntimeClass admission plugin (plugin/pkg/admission/runtimeclass), on by
 * default: a new pod naming a RuntimeClass gets the class's `overhead.podFixed` as
 * `spec.overhead` and its `scheduling` (node selector, tolerations) merged in; a pod naming a
 * class that does not exist is refused, as is an overhead that does not match the class's.
 */
import { ApiError, forbidden } from './errors.js';
import { isRecord, type KObject } from './types.js';

const PODS = { group: '', resource: 'pods' };

export function admitRuntimeClass(pod: KObject, name: string, runtimeClass: (name: string) => KObject | undefined): void {
  const spec = isRecord(pod.spec) ? pod.spec : undefined;
  const rcName = spec?.runtimeClassName;
  const podOverhead = isRecord(spec?.overhead) ? spec!.overhead as Record<string, unknown> : undefined;
  const refuse = (why: string): ApiError => forbidden(PODS, name, why);
  if (typeof rcName !== 'string' || rcName === '') {
    if (podOverhead && Object.keys(podOverhead).length > 0) throw refuse('pod rejected: Pod Overhead set without corresponding RuntimeClass defined Overhead');
    return;
  }
  const rc = runtimeClass(rcName);
  if (!rc) throw refuse(`pod rejected: RuntimeClass ${JSON.stringify(rcName)} not found`);
  const fixed = isRecord(rc.overhead) && isRecord(rc.overhead.podFixed) ? rc.overhead.podFixed as Record<string, unknown> : undefined;
  if (fixed) {
    if (podOverhead && Object.keys(podOverhead).length > 0 && JSON.stringify(sorted(podOverhead)) !== JSON.stringify(sorted(fixed))) {
      throw refuse("pod rejected: Pod's Overhead doesn't match RuntimeClass's defined Overhead");
    }
    spec!.overhead = { ...fixed };
  } else if (podOverhead && Object.keys(podOverhead).length > 0) {
    throw refuse('pod rejected: Pod Overhead set without corresponding RuntimeClass defined Overhead');
  }
  const scheduling = isRecord(rc.scheduling) ? rc.scheduling : undefined;
  if (scheduling) {
    const selector = isRecord(scheduling.nodeSelector) ? scheduling.nodeSelector as Record<string, string> : {};
    const podSelector = isRecord(spec!.nodeSelector) ? { ...spec!.nodeSelector as Record<string, string> } : {};
    for (const [k, v] of Object.entries(selector)) {
      if (k in podSelector && podSelector[k] !== v) throw refuse(`conflict: runtimeClass.scheduling.nodeSelector[${k}] = ${v}; pod.spec.nodeSelector[${k}] = ${podSelector[k]}`);
      podSelector[k] = v;
    }
    if (Object.keys(podSelector).length > 0) spec!.nodeSelector = podSelector;
    const tolerations = Array.isArray(scheduling.tolerations) ? scheduling.tolerations : [];
    if (tolerations.length > 0) {
      const mine = Array.isArray(spec!.tolerations) ? spec!.tolerations as unknown[] : [];
      const seen = new Set(mine.map((t) => JSON.stringify(t)));
      spec!.tolerations = [...mine, ...tolerations.filter((t) => !seen.has(JSON.stringify(t)))];
    }
  }
}

const sorted = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => [k, String(v)]));
