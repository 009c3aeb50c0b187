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

/** A Secret value to look for in text the tools return (events, pod messages, transcripts). */
export interface KnownSecret { ref: string; value: string }

/** Values shorter than this are not searched for: "true" or "1" would mask every message. */
export const MIN_MASKED_VALUE = 6;

/** The values of Secrets, decoded and as stored (base64), each named by namespace/name/key. */
export function knownSecrets(secrets: { metadata?: { namespace?: string; name?: string }; data?: Record<string, string> }[]): KnownSecret[] {
  const out: KnownSecret[] = [];
  for (const s of secrets) {
    for (const [key, b64] of Object.entries(s.data ?? {})) {
      const ref = `${s.metadata?.namespace}/${s.metadata?.name}/${key}`;
      const plain = Buffer.from(b64, 'base64').toString('utf8');
      for (const v of [plain, b64]) if (v.trim().length >= MIN_MASKED_VALUE) out.push({ ref, value: v });
    }
  }
  // Longest first, so a value containing another is replaced whole.
  return out.sort((a, b) => b.value.length - a.value.length);
}

/** A copy of `value` in which every string has each known Secret value replaced by <masked: secret ns/name/key>. */
export function maskSecretValues<T>(value: T, secrets: KnownSecret[]): T {
  if (secrets.length === 0) return value;
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') {
      let s = v;
      for (const k of secrets) if (s.includes(k.value)) s = s.split(k.value).join(`<masked: secret ${k.ref}>`);
      return s;
    }
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  return walk(value) as T;
}
