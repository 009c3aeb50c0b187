import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { FinishReason, Role, ToolCall, ToolDef, Usage } from '../canonical.js';
import { validationError, type RenderedError, type RouterError } from '../errors.js';

/**
 * What the dispatcher drives for a chat request, whatever the caller's dialect. A sink is one per
 * request: build it as a plain literal of methods, never with a getter or setter. V8 creates a
 * literal with an accessor in dictionary mode and keeps each one, with what its closures hold (the
 * response, the writer), reachable until a full GC, even when nothing reads it: every scavenge
 * copied and promoted it (~4.4 KB more promoted per request; the router's one-stream p99 was its
 * scavenge pauses, issue 16). dialects.test.ts checks the sinks' layout.
 */
export interface ChatSink {
  /** Commit to a successful response: streaming callers get 200 and headers with the first chunk, or alone by the end of this turn of the event loop. */
  start(): void;
  /** `json`, when given, is `text` as a JSON string literal (JSON.stringify(text) or an equivalent encoding). Leaves with the next flush(). */
  delta(text: string, json?: string): void;
  /** Leaves with the next flush(). */
  toolCall(call: ToolCall): void;
  /** The end of one upstream read's events: what delta and toolCall wrote since the last flush leaves now, in one write. */
  flush(): void;
  done(usage: Usage, finishReason: FinishReason): void;
  /** Before start(): a complete error response. After: an in-stream error, then the end. */
  fail(e: RouterError): void;
}

export type Obj = Record<string, unknown>;
export const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export const ROLES: readonly Role[] = ['system', 'user', 'assistant', 'tool'];

export function requireModel(body: Obj): string {
  if (typeof body.model !== 'string' || body.model === '') throw validationError('model: required string', 'model_required');
  return body.model;
}

export function optNumber(v: unknown, path: string, min = -Infinity): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min) throw validationError(`${path}: must be a number${min > -Infinity ? ` >= ${min}` : ''}`);
  return v;
}

/** A flag such as `stream`: absent/null gives the default; anything but true or false is refused. */
export function optBool(v: unknown, path: string, dflt: boolean): boolean {
  if (v === undefined || v === null) return dflt;
  if (typeof v !== 'boolean') throw validationError(`${path}: must be true or false`);
  return v;
}

export function optStop(v: unknown, path: string): string[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return [v];
  if (Array.isArray(v) && v.every((s) => typeof s === 'string')) return v as string[];
  throw validationError(`${path}: must be a string or a list of strings`);
}

export function sendJson(res: ServerResponse, status: number, body: unknown, requestId: string): void {
  const data = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(data), 'x-request-id': requestId });
  res.end(data);
}

export function sendError(res: ServerResponse, r: RenderedError, requestId: string): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  sendJson(res, r.status, r.body, requestId);
}

/**
 * A streamed answer's writes. The chunks of one upstream read (written between two flush() calls
 * of the dispatcher) leave together as one `res.write` (with the status and headers when they
 * have not left yet); nothing waits for a later upstream read, so this is not buffering. One write
 * per upstream read rather than per line: under chunked encoding each `res.write` is four socket
 * writes and a chunk frame, which was a measurable share of the router's CPU. The dispatcher knows
 * where a read's events end, so the flush needs no end-of-tick callback per read.
 *
 * The status and headers alone wait for the end of this turn of the event loop (setImmediate):
 * the upstream's head and first chunks usually come in one read, and its chunks reach the sink
 * after start(), in the same turn. Sent at once, the head went out in a socket write of its own
 * just before the first chunk's.
 */
export class StreamWriter {
  private pending = '';
  private headersOut = false;

  constructor(private readonly res: ServerResponse) {}

  /** Commits the answer: status 200 and its headers, sent with the first chunk, or alone at the end of this turn of the event loop when none came by then. */
  start(headers: OutgoingHttpHeaders): void {
    this.res.writeHead(200, headers);
    setImmediate(flushHeadersOnly, this);
  }

  /** Adds a chunk; it leaves with the next flush() or end(). */
  write(data: string): void {
    this.pending += data;
  }

  /** The last chunk: what is pending and `data` leave in one write with the end of the response. */
  end(data: string): void {
    const out = this.pending + data;
    this.pending = '';
    this.headersOut = true;
    this.res.end(out);
  }

  /** The pending chunks leave now, in one write (with the headers if they have not left). */
  flush(): void {
    if (this.res.writableEnded || this.pending === '') return;
    const out = this.pending;
    this.pending = '';
    this.headersOut = true;
    this.res.write(out);
  }

  /** @internal The end of start()'s turn of the event loop: the headers, if no chunk took them. */
  flushHeaders(): void {
    // A chunk flushed since start() has taken the headers already.
    if (this.headersOut || this.res.writableEnded) return;
    this.headersOut = true;
    this.res.flushHeaders();
  }
}

const flushHeadersOnly = (w: StreamWriter) => w.flushHeaders();

/** tools: [{type: "function", function: {name, description, parameters}}], the same in both dialects. */
export function parseTools(v: unknown): ToolDef[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v)) throw validationError('tools: must be a list');
  const out = v.map((t, i): ToolDef => {
    const f = isObj(t) && isObj(t.function) ? t.function : undefined;
    if (!f || (t as Obj).type !== 'function' || typeof f.name !== 'string' || f.name === '') {
      throw validationError(`tools[${i}]: must be {"type": "function", "function": {"name", "description", "parameters"}}`);
    }
    if (f.parameters !== undefined && !isObj(f.parameters)) throw validationError(`tools[${i}].function.parameters: must be a JSON Schema object`);
    return { name: f.name, ...(typeof f.description === 'string' ? { description: f.description } : {}), parameters: (f.parameters as Record<string, unknown> | undefined) ?? { type: 'object', properties: {} } };
  });
  return out.length > 0 ? out : undefined;
}
