/**
 * run_transcript: a page of the run's transcript (JSON lines in the ConfigMap named by
 * status.transcriptRef, `<run>-transcript`/`transcript.jsonl` by default), bounded in lines and bytes.
 */
export const MAX_TRANSCRIPT_LINES = 200;
export const MAX_TRANSCRIPT_BYTES = 64 * 1024;

export interface TranscriptPage {
  offset: number;
  /** Lines returned: parsed JSON when the line is JSON, else the text. */
  entries: unknown[];
  totalLines: number;
  /** Where the next page starts; absent on the last page. */
  nextOffset?: number;
}

export function transcriptPage(text: string, offset: number, limit: number, maxBytes = MAX_TRANSCRIPT_BYTES): TranscriptPage {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  const start = Math.max(0, Math.min(offset, lines.length));
  const want = Math.max(1, Math.min(limit, MAX_TRANSCRIPT_LINES));
  const entries: unknown[] = [];
  let bytes = 0;
  let i = start;
  for (; i < lines.length && entries.length < want; i++) {
    const size = Buffer.byteLength(lines[i]);
    // Always return at least one line, cut if it alone is over the byte bound.
    if (entries.length > 0 && bytes + size > maxBytes) break;
    const line = size > maxBytes ? `${lines[i].slice(0, maxBytes)}…` : lines[i];
    bytes += Math.min(size, maxBytes);
    try { entries.push(JSON.parse(line)); } catch { entries.push(line); }
  }
  return { offset: start, entries, totalLines: lines.length, ...(i < lines.length ? { nextOffset: i } : {}) };
}

/** The ConfigMap and key holding a run's transcript. */
export function transcriptLocation(run: { metadata?: { name?: string }; status?: unknown }): { configMap: string; key: string } {
  const ref = (run.status as { transcriptRef?: { configMapName?: string; key?: string } } | undefined)?.transcriptRef;
  return { configMap: ref?.configMapName ?? `${run.metadata?.name}-transcript`, key: ref?.key ?? 'transcript.jsonl' };
}
