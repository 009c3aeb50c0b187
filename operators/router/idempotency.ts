import { createHash } from 'node:crypto';

// Idempotency-Key for non-streamed chat calls (draft-ietf-httpapi-idempotency-key-header, ADR 0017):
// the first request's outcome is kept per caller and key; a repeat joins it or gets it replayed.

/** A complete response as the router sent (or would have sent) it. */
export interface StoredResponse {
  status: number;
  contentType: string;
  body: string;
}

export interface IdempotencyOptions {
  /** How long a finished outcome is kept (default 1 h). */
  ttlMs?: number;
  /** Most entries kept; the least recently used finished ones go first (default 10,000). */
  maxEntries?: number;
  /** Most response bytes kept (default 64 MiB). */
  maxBytes?: number;
  now?: () => number;
}

export type IdempotentOutcome =
  | { kind: 'first'; response: StoredResponse }
  | { kind: 'joined'; response: StoredResponse }
  | { kind: 'replayed'; response: StoredResponse }
  | { kind: 'mismatch' };

interface Entry {
  fingerprint: string;
  pending?: Promise<StoredResponse>;
  done?: StoredResponse;
  expiresAt: number;
  bytes: number;
}

/** Longest key accepted (the operator's keys are `<uid>/<node>/<attempt>`, far below this). */
export const MAX_KEY_LENGTH = 255;

/**
 * The key from an Idempotency-Key header: an sf-string (`"..."`, as the draft defines it) or, as
 * Stripe-style clients send it, the bare value. Pure. Visible ASCII only, 1..255 characters.
 */
export function parseIdempotencyKey(header: string | string[] | undefined): { key?: string; error?: string } {
  if (header === undefined) return {};
  if (Array.isArray(header)) return { error: 'Idempotency-Key: send the header once' };
  let v = header.trim();
  if (v.length >= 2 && v.startsWith('"') && v.endsWith('"')) v = v.slice(1, -1);
  if (v === '') return { error: 'Idempotency-Key: must not be empty' };
  if (v.length > MAX_KEY_LENGTH) return { error: `Idempotency-Key: at most ${MAX_KEY_LENGTH} characters (got ${v.length})` };
  if (!/^[\x21-\x7e]+$/.test(v) || v.includes('"') || v.includes('\\')) return { error: 'Idempotency-Key: only visible ASCII characters, without quotes or backslashes inside' };
  return { key: v };
}

/** sha256 of the route and the request body: a repeat with another body is a different request. Pure. */
export function requestFingerprint(route: string, body: unknown): string {
  return createHash('sha256').update(route).update('\n').update(JSON.stringify(body)).digest('hex');
}

/**
 * The table of first outcomes, per caller scope and key. A key is looked up only within the
 * caller's own scope (the namespace and run its token belongs to), so one token never sees
 * another's entries. Bounded in entries and bytes (least recently used first) and by age.
 * In memory: a router restart forgets every key.
 */
export class IdempotencyTable {
  private readonly entries = new Map<string, Entry>();
  private bytes = 0;
  private readonly ttlMs: number;
  private readonly maxEntries: number;
  private readonly maxBytes: number;
  private readonly now: () => number;

  constructor(opts: IdempotencyOptions = {}) {
    this.ttlMs = opts.ttlMs ?? 3_600_000;
    this.maxEntries = opts.maxEntries ?? 10_000;
    this.maxBytes = opts.maxBytes ?? 64 * 1024 * 1024;
    this.now = opts.now ?? Date.now;
  }

  get size(): number {
    return this.entries.size;
  }

  /**
   * Runs `execute` for the first request of (scope, key); a repeat while it runs waits for its
   * outcome, a later one gets it replayed; a repeat with another fingerprint is a mismatch.
   * `execute` must settle on its own (it is not tied to any one client's connection).
   */
  async run(scope: string, key: string, fingerprint: string, execute: () => Promise<StoredResponse>): Promise<IdempotentOutcome> {
    const id = `${scope}\u0000${key}`;
    const now = this.now();
    const hit = this.entries.get(id);
    if (hit && hit.done && hit.expiresAt <= now) this.remove(id, hit);
    else if (hit) {
      if (hit.fingerprint !== fingerprint) return { kind: 'mismatch' };
      this.entries.delete(id);
      this.entries.set(id, hit); // most recently used
      if (hit.done) return { kind: 'replayed', response: hit.done };
      return { kind: 'joined', response: await hit.pending! };
    }
    const entry: Entry = { fingerprint, expiresAt: Infinity, bytes: 0 };
    entry.pending = execute();
    this.entries.set(id, entry);
    this.evict(now);
    let response: StoredResponse;
    try {
      response = await entry.pending;
    } catch (err) {
      // No outcome to keep: the next request with this key runs again.
      if (this.entries.get(id) === entry) this.entries.delete(id);
      throw err;
    }
    entry.pending = undefined;
    entry.done = response;
    entry.expiresAt = this.now() + this.ttlMs;
    entry.bytes = response.body.length + response.contentType.length + id.length + 64;
    if (this.entries.get(id) === entry) {
      this.bytes += entry.bytes;
      this.evict(this.now());
    }
    return { kind: 'first', response };
  }

  private remove(id: string, e: Entry): void {
    this.entries.delete(id);
    this.bytes -= e.bytes;
  }

  /** Drops expired entries and, past a bound, the least recently used finished ones (in-flight ones stay). */
  private evict(now: number): void {
    for (const [id, e] of this.entries) {
      const over = this.entries.size > this.maxEntries || this.bytes > this.maxBytes;
      if (e.done && (over || e.expiresAt <= now)) this.remove(id, e);
      else if (!over && e.done) break;
    }
  }
}
