/**
 * What the tools return about an object. Secrets never leave with their data: values are replaced
 * by their size, and the last-applied annotation (which kubectl fills with the whole object,
 * data included) is dropped. managedFields are dropped everywhere: they are bookkeeping.
 */
import type { KubeObject } from '../runtime/kube.js';

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

export function maskedValue(base64OrText: string, encoded: boolean): string {
  const bytes = encoded ? Buffer.from(base64OrText, 'base64').length : Buffer.byteLength(base64OrText);
  return `<masked: ${bytes} bytes>`;
}

/** A copy of obj safe to show: managedFields gone, Secret data and stringData masked. */
export function presentable<T extends KubeObject>(obj: T): T {
  const copy = structuredClone(obj) as T & { data?: Record<string, string>; stringData?: Record<string, string> };
  if (copy.metadata) delete copy.metadata.managedFields;
  if (copy.kind === 'Secret') {
    for (const [field, encoded] of [['data', true], ['stringData', false]] as const) {
      const d = copy[field];
      if (d) for (const k of Object.keys(d)) d[k] = maskedValue(d[k] ?? '', encoded);
    }
    if (copy.metadata?.annotations?.[LAST_APPLIED] !== undefined) copy.metadata.annotations[LAST_APPLIED] = '<masked: contains the Secret data>';
  }
  return copy;
}
