import type { ServerResponse } from 'node:http';
import type { Caller, CallSummary } from './dispatch.js';
import { RouterError, validationError } from './errors.js';
import type { RouterMetrics } from './metrics.js';
import { parseIdempotencyKey, requestFingerprint, type IdempotencyTable, type StoredResponse } from './idempotency.js';

/** A caller that never goes away: the first request with a key runs to the end even if its client left. */
export const DETACHED: Caller = { gone: false, onGone() {} };

/**
 * Holds what a chat sink writes for a non-streamed answer (writeHead + end), instead of a socket.
 * Only the members the sinks and sendJson use.
 */
class CapturedResponse {
  statusCode = 200;
  headersSent = false;
  writableCorked = 1;
  contentType = 'application/json; charset=utf-8';
  private chunks: string[] = [];

  writeHead(status: number, headers?: Record<string, unknown>): this {
    this.statusCode = status;
    this.headersSent = true;
    const ct = headers?.['content-type'];
    if (typeof ct === 'string') this.contentType = ct;
    return this;
  }

  write(data: string | Buffer): boolean {
    this.chunks.push(String(data));
    return true;
  }

  end(data?: string | Buffer): this {
    if (data !== undefined) this.chunks.push(String(data));
    this.headersSent = true;
    return this;
  }

  flushHeaders(): void {}
  cork(): void {}
  uncork(): void {}

  stored(): StoredResponse {
    return { status: this.statusCode, contentType: this.contentType, body: this.chunks.join('') };
  }
}

export interface IdempotentChat {
  table: IdempotencyTable;
  header: string | string[];
  /** The caller's verified identity (namespace/run of its token): keys never cross it. */
  scope: string;
  route: string;
  body: unknown;
  stream: boolean;
  res: ServerResponse;
  requestId: string;
  /** Counts the calls answered from an earlier call's outcome (agentlab_router_idempotent_replays_total). */
  metrics: Pick<RouterMetrics, 'idempotentReplays'>;
  /** Runs the request once, detached from the client, writing its answer or error to `out`. */
  dispatch: (out: ServerResponse) => Promise<CallSummary>;
}

/**
 * A non-streamed chat request with an Idempotency-Key: the first one is dispatched detached from
 * its client and its response kept; a repeat waits for it or gets it replayed (no upstream call,
 * no usage); a repeat with another body gets 422. A bad key or a streamed request gets 400.
 */
export async function serveIdempotentChat(o: IdempotentChat): Promise<CallSummary> {
  const parsed = parseIdempotencyKey(o.header);
  if (parsed.error) throw validationError(`${parsed.error}; use a key of its own for each attempt of a call`, 'invalid_idempotency_key');
  if (o.stream) throw validationError('Idempotency-Key is for non-streamed calls: send "stream": false, or drop the header', 'idempotency_key_streamed');
  let summary: CallSummary | undefined;
  const outcome = await o.table.run(o.scope, parsed.key!, requestFingerprint(o.route, o.body), async () => {
    const out = new CapturedResponse();
    summary = await o.dispatch(out as unknown as ServerResponse);
    return out.stored();
  });
  if (outcome.kind === 'mismatch') {
    throw new RouterError('validation', 422, 'idempotency_key_reused', `Idempotency-Key ${parsed.key} was first used with another request body; a key names one request: send the same body, or a new key for a new request`);
  }
  const r = outcome.response;
  if (!o.res.destroyed) {
    o.res.writeHead(r.status, {
      'content-type': r.contentType,
      'content-length': Buffer.byteLength(r.body),
      'x-request-id': o.requestId,
      ...(outcome.kind === 'first' ? {} : { 'idempotent-replayed': 'true' }),
    });
    o.res.end(r.body);
  }
  return idempotentSummary(outcome.kind, r.status, summary, o.metrics);
}

/**
 * What the request log says of an idempotent call: the first call's own summary (with the status
 * it answered when not 200), or for a repeat `joined`/`replayed` with the status of the stored
 * response it got (an error stays an error), counted in agentlab_router_idempotent_replays_total.
 */
export function idempotentSummary(kind: 'first' | 'joined' | 'replayed', status: number, first: CallSummary | undefined, metrics: Pick<RouterMetrics, 'idempotentReplays'>): CallSummary {
  const withStatus = (s: CallSummary): CallSummary => (status === 200 ? s : { ...s, status });
  // first is set whenever this request ran the call (the table returns 'first' only then).
  if (kind === 'first') return withStatus(first ?? { outcome: 'error', fallbacks: 0 });
  metrics.idempotentReplays.inc({ outcome: kind });
  return withStatus({ outcome: kind, fallbacks: 0 });
}
