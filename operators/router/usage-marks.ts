import { KubeApiError, type KubeObject } from '../runtime/kube.js';

/**
 * Each router process numbers the usage batches it writes and records, in an annotation of the
 * usage ConfigMap, the highest batch number its last successful write included:
 * `{"<writer>": "<batch>@<unix seconds>"}`. Writes are conditional on the resourceVersion read,
 * so other writers carry the entry over unchanged. After a write whose answer was lost (client
 * timeout, connection reset, 5xx after etcd committed), the next GET tells whether it landed:
 * batches up to the recorded number are in the figures, later ones are not. Without it a lost
 * answer means either counting the batch twice or dropping it.
 */
export const USAGE_WRITES_ANNOTATION = 'agentlab.dev/usage-writes';

/** Entries of other writers older than this are dropped (a router restarted long ago). */
export const MARK_TTL_MS = 60 * 60 * 1000;

type Marks = Record<string, string>;

function readMarks(obj: KubeObject | undefined): Marks {
  const raw = obj?.metadata?.annotations?.[USAGE_WRITES_ANNOTATION];
  if (!raw) return {};
  try {
    const v = JSON.parse(raw) as unknown;
    if (!v || typeof v !== 'object' || Array.isArray(v)) return {};
    return Object.fromEntries(Object.entries(v).filter(([, x]) => typeof x === 'string')) as Marks;
  } catch {
    return {};
  }
}

/** The highest batch of `writer` the object's figures include (0 when none is recorded). */
export function landedBatch(obj: KubeObject | undefined, writer: string): number {
  const n = Number(readMarks(obj)[writer]?.split('@')[0]);
  return Number.isSafeInteger(n) && n > 0 ? n : 0;
}

/** The annotation value after `writer` wrote batches up to `batch`; stale entries of others dropped. */
export function markAfterWrite(obj: KubeObject | undefined, writer: string, batch: number, nowMs: number): string {
  const marks = readMarks(obj);
  const now = Math.floor(nowMs / 1000);
  const fresh = Object.entries(marks).filter(([w, v]) => w !== writer && now - Number(v.split('@')[1]) < MARK_TTL_MS / 1000);
  return JSON.stringify(Object.fromEntries([...fresh, [writer, `${batch}@${now}`]]));
}

/**
 * A write that may or may not have been applied: no HTTP answer (timeout, reset) or a server
 * error (the API server can answer 500 or 504 after etcd committed). 4xx answers were refused.
 */
export function outcomeUnknown(err: unknown): boolean {
  return !(err instanceof KubeApiError) || err.code >= 500;
}
