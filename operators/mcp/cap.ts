/**
 * Response-size caps for every tool answer. A model's context is small and an MCP client may
 * refuse a huge message: the text is cut at MAX_TEXT, and the structured result is shrunk by
 * halving its largest arrays (then its longest strings) until it fits MAX_STRUCTURED. What was cut
 * is named in the text, with how to ask for the rest. Pure.
 */
export const MAX_TEXT = 32 * 1024;
export const MAX_STRUCTURED = 256 * 1024;
const MARK = '… [truncated]';

type Json = unknown;
interface Spot { path: string; size: number; holder: Record<string, Json> | Json[]; key: string | number; value: Json }

const size = (v: Json): number => Buffer.byteLength(JSON.stringify(v) ?? '');

function spots(v: Json, path: string, out: Spot[], holder?: Spot['holder'], key?: string | number): void {
  if (holder !== undefined && key !== undefined && (Array.isArray(v) || typeof v === 'string')) out.push({ path, size: size(v), holder, key, value: v });
  if (Array.isArray(v)) v.forEach((x, i) => spots(x, `${path}[${i}]`, out, v, i));
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) spots(x, path ? `${path}.${k}` : k, out, v as Record<string, Json>, k);
}

/** Shrinks a copy of `structured` below `max` bytes; the cuts made, as "items: 400 -> 200". */
export function capStructured<T extends Record<string, Json>>(structured: T, max = MAX_STRUCTURED): { value: T; cuts: string[] } {
  if (size(structured) <= max) return { value: structured, cuts: [] };
  const value = structuredClone(structured);
  const cuts = new Map<string, string>();
  for (let round = 0; round < 200 && size(value) > max; round++) {
    const all: Spot[] = [];
    spots(value, '', all);
    // Arrays first (a page of fewer rows is still whole rows); a long string only when no array can shrink.
    const arr = all.filter((s) => Array.isArray(s.value) && (s.value as Json[]).length > 1).sort((a, b) => b.size - a.size)[0];
    if (arr) {
      const list = arr.value as Json[];
      const first = cuts.get(arr.path)?.split(' -> ')[0] ?? String(list.length);
      list.length = Math.ceil(list.length / 2);
      cuts.set(arr.path, `${first} -> ${list.length}`);
      continue;
    }
    const str = all.filter((s) => typeof s.value === 'string' && (s.value as string).length > 64).sort((a, b) => b.size - a.size)[0];
    if (!str) break;
    const s = str.value as string;
    const kept = s.slice(0, Math.floor(s.length / 2)) + MARK;
    (str.holder as Record<string | number, Json>)[str.key] = kept;
    cuts.set(str.path, `${cuts.get(str.path)?.split(' -> ')[0] ?? s.length} -> ${kept.length} characters`);
  }
  return { value, cuts: [...cuts].map(([p, c]) => `${p}: ${c}`) };
}

/** The text cut at `max` bytes (on a character boundary), marked when cut. */
export function capText(text: string, max = MAX_TEXT): string {
  if (Buffer.byteLength(text) <= max) return text;
  let cut = text.slice(0, max);
  while (Buffer.byteLength(cut) > max - Buffer.byteLength(MARK)) cut = cut.slice(0, -1);
  return cut + MARK;
}

/** The note the model reads when a structured result was cut. */
export function cutsNote(cuts: string[]): string {
  return `\n(response capped at ${MAX_STRUCTURED / 1024} KiB; cut ${cuts.join(', ')}: narrow the request — a namespace, labelSelector, a smaller limit with continue, or an offset — for the rest)`;
}
