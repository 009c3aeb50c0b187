import http from 'node:http';
import https from 'node:https';
import type { IncomingMessage } from 'node:http';
import type { FallbackClass } from '../../model/lanes/spec.js';
import type { AttemptSignal } from './types.js';

/** Why an upstream call failed; the fallback classes are the ones a lane may fall back on. */
export type FailureClass = FallbackClass | 'ClientError' | 'Protocol' | 'Interrupted';

export class UpstreamFailure extends Error {
  constructor(readonly failure: FailureClass, message: string, readonly status?: number) {
    super(message);
  }
}

/** Where and how to reach one provider for one request. */
export interface Target {
  baseURL: string;
  model: string;
  apiKey?: string;
  /** Extra headers (e.g. the API server's bearer token when going through the service proxy). */
  headers?: Record<string, string>;
  /** TLS settings for the API server's service proxy (CA, client certs). */
  tls?: https.AgentOptions;
}

// Keep-alive pools: the router's added latency is dominated by connection setup otherwise.
const httpAgent = new http.Agent({ keepAlive: true, maxSockets: 1024, scheduling: 'lifo' });
const httpsAgent = new https.Agent({ keepAlive: true, maxSockets: 1024, scheduling: 'lifo' });
const tlsAgents = new Map<string, https.Agent>();

function agentFor(url: URL, tls?: https.AgentOptions): http.Agent {
  if (url.protocol === 'http:') return httpAgent;
  if (!tls) return httpsAgent;
  const key = JSON.stringify(tls);
  let a = tlsAgents.get(key);
  if (!a) {
    a = new https.Agent({ keepAlive: true, maxSockets: 1024, ...tls });
    tlsAgents.set(key, a);
  }
  return a;
}

const CONNECT_ERRORS = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'EPIPE', 'ETIMEDOUT']);

function classifyStatus(status: number): FailureClass {
  if (status === 429) return 'RateLimited';
  if (status >= 500) return 'ServerError';
  return 'ClientError';
}

/** Reads at most 2 KiB of an error body, for a short, key-free reason. */
async function errorSnippet(res: IncomingMessage): Promise<string> {
  let out = '';
  for await (const c of res) {
    if (out.length < 2048) out += String(c);
  }
  try {
    const j = JSON.parse(out) as { error?: unknown; message?: unknown };
    const e = j.error;
    if (typeof e === 'string') return e.slice(0, 200);
    if (e && typeof e === 'object' && typeof (e as { message?: unknown }).message === 'string') return (e as { message: string }).message.slice(0, 200);
  } catch {
    // not JSON: fall through to the status text
  }
  return '';
}

// Parsed request targets by URL string: the set is bounded by the lanes' providers, and parsing a
// URL (then converting it to request options) on every request is measurable on the hot path.
const MAX_CACHED_URLS = 256;
interface ParsedURL { https: boolean; url: URL; host: string; options: { protocol: string; hostname: string; port: string; path: string } }
const parsedURLs = new Map<string, ParsedURL>();

function parseURL(urlStr: string): ParsedURL {
  let p = parsedURLs.get(urlStr);
  if (!p) {
    const url = new URL(urlStr);
    // An IPv6 literal keeps its brackets in URL.hostname; request options want it bare.
    const hostname = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
    p = { https: url.protocol === 'https:', url, host: url.host, options: { protocol: url.protocol, hostname, port: url.port, path: `${url.pathname}${url.search}` } };
    if (parsedURLs.size >= MAX_CACHED_URLS) parsedURLs.clear();
    parsedURLs.set(urlStr, p);
  }
  return p;
}

/**
 * POSTs JSON and resolves with the response once its headers say 2xx; any other outcome rejects
 * with an UpstreamFailure classified for the lane's fallback policy.
 */
export function postJson(urlStr: string, body: unknown, headers: Record<string, string>, signal: AttemptSignal, tls?: https.AgentOptions): Promise<IncomingMessage> {
  return postOnce(urlStr, JSON.stringify(body), headers, signal, tls);
}

/**
 * One exchange. A keep-alive connection the upstream closed as idle just as it was reused (Node's
 * server and uvicorn close idle connections after 5 s) resets before any answer: that request is
 * sent again, as Node's docs advise (`request.reusedSocket`), instead of failing the call (with one
 * provider in the lane, nothing could take over). Connections that went idle in the same burst are
 * closed together, so the resend may take another such pooled one: it is sent again for as long as
 * the reset connection was a pooled one. Each reset one leaves the pool, so this ends at a new
 * connection at the latest, and a reset of a new connection fails the call.
 */
function postOnce(urlStr: string, data: string, headers: Record<string, string>, signal: AttemptSignal, tls: https.AgentOptions | undefined): Promise<IncomingMessage> {
  const target = parseURL(urlStr);
  const mod = target.https ? https : http;
  return new Promise((resolve, reject) => {
    let answered = false;
    // The headers as a flat list of names and values, Host included (URL.host: brackets for IPv6,
    // the port unless it is the scheme's default, as Node writes it): http.request then writes
    // them as given, where an object costs a validating setHeader and a lookup per header.
    const o = target.options;
    const h: (string | number)[] = ['host', target.host, 'content-type', 'application/json', 'accept', 'application/json, text/event-stream, application/x-ndjson', 'content-length', Buffer.byteLength(data)];
    for (const name in headers) {
      // A caller's own value of one of these replaces it, as it did when headers were an object.
      const at = h.indexOf(name.toLowerCase());
      if (at !== -1 && at % 2 === 0) h[at + 1] = headers[name];
      else h.push(name, headers[name]);
    }
    const req = mod.request({
      protocol: o.protocol,
      hostname: o.hostname,
      port: o.port,
      path: o.path,
      method: 'POST',
      agent: agentFor(target.url, tls),
      headers: h as unknown as http.OutgoingHttpHeaders,
    }, (res) => {
      answered = true;
      const status = res.statusCode ?? 0;
      if (status >= 200 && status < 300) {
        resolve(res);
        return;
      }
      errorSnippet(res).then(
        (snippet) => reject(new UpstreamFailure(classifyStatus(status), `HTTP ${status}${snippet ? `: ${snippet}` : ''}`, status)),
        () => reject(new UpstreamFailure(classifyStatus(status), `HTTP ${status}`, status)),
      );
    });
    // The attempt's signal destroys the request and its response stream; the listener goes with
    // the exchange. (http.request's own `signal` option does the same through end-of-stream
    // tracking that costs several listeners per request.)
    const onAbort = () => req.destroy(new Error('aborted'));
    if (signal.aborted) onAbort();
    else {
      signal.addEventListener('abort', onAbort, { once: true });
      req.once('close', () => signal.removeEventListener('abort', onAbort));
    }
    // No setNoDelay: the agents' sockets have Nagle off from the start (http.Agent's noDelay
    // defaults to true), and a per-request call only queues a 'socket' listener.
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (!answered && !signal.aborted && req.reusedSocket && (err.code === 'ECONNRESET' || err.code === 'EPIPE')) {
        postOnce(urlStr, data, headers, signal, tls).then(resolve, reject);
        return;
      }
      if (signal.aborted) reject(new UpstreamFailure('Timeout', 'no response before the first-token timeout'));
      else if (err.code && CONNECT_ERRORS.has(err.code)) reject(new UpstreamFailure('Unavailable', `cannot connect (${err.code})`));
      else reject(new UpstreamFailure('Unavailable', `request failed (${err.code ?? err.message})`));
    });
    req.end(data);
  });
}

/**
 * A response read with read() rather than for-await: leaving a for-await early destroys the
 * socket, and the keep-alive connection to the provider is worth keeping once the final event
 * has been seen. One per response; `dispose` in a finally.
 */
class ChunkReader {
  private ended = false;
  private failed = false;
  private wake: (() => void) | undefined;
  private readonly poke = () => this.wake?.();
  private readonly onEnd = () => {
    this.ended = true;
    this.poke();
  };
  private readonly onError = () => {
    this.failed = true;
    this.poke();
  };
  private readonly onClose = () => {
    if (!this.res.complete) this.failed = true;
    this.poke();
  };

  constructor(private readonly res: IncomingMessage) {
    res.setEncoding('utf8');
    res.on('readable', this.poke);
    res.on('end', this.onEnd);
    res.on('error', this.onError);
    res.on('close', this.onClose);
  }

  /** The next buffered chunk, or null when none is buffered now. */
  read(): string | null {
    return this.res.read() as string | null;
  }

  /** After read() gave null: false once the response ended, an Interrupted failure when it broke off, else true when more arrived. */
  async more(): Promise<boolean> {
    if (this.ended) return false;
    if (this.failed) throw new UpstreamFailure('Interrupted', 'the provider closed the stream mid-answer');
    await new Promise<void>((r) => (this.wake = r));
    this.wake = undefined;
    return true;
  }

  dispose(): void {
    this.res.off('readable', this.poke);
    this.res.off('end', this.onEnd);
    this.res.off('error', this.onError);
    this.res.off('close', this.onClose);
    // Stopped early after the answer was complete: drain what is left so the socket is reused.
    if (!this.ended && !this.failed) this.res.resume();
  }
}

/** A line without its trailing carriage return (CRLF line ends). */
export const stripCR = (line: string) => (line.charCodeAt(line.length - 1) === 13 ? line.slice(0, -1) : line);

/**
 * Splits a response into lines as chunks arrive: one batch per read, holding the complete lines
 * that read brought (no buffering beyond one partial line). Batches spare the consumer one
 * promise round trip per line.
 */
export async function* lineBatches(res: IncomingMessage): AsyncGenerator<string[]> {
  const reader = new ChunkReader(res);
  let rest = '';
  try {
    do {
      let chunk: string | null;
      while ((chunk = reader.read()) !== null) {
        let nl = chunk.indexOf('\n');
        if (nl === -1) {
          rest += chunk;
          continue;
        }
        const batch = [stripCR(rest + chunk.slice(0, nl))];
        let start = nl + 1;
        while ((nl = chunk.indexOf('\n', start)) !== -1) {
          batch.push(stripCR(chunk.slice(start, nl)));
          start = nl + 1;
        }
        rest = chunk.slice(start);
        yield batch;
      }
    } while (await reader.more());
    if (rest.trim() !== '') yield [rest];
  } finally {
    reader.dispose();
  }
}

/** The response's lines one at a time (see lineBatches). */
export async function* lines(res: IncomingMessage): AsyncGenerator<string> {
  for await (const batch of lineBatches(res)) yield* batch;
}

/** The payloads of an SSE stream's data fields (one per event as these providers send them). */
export async function* sseData(res: IncomingMessage): AsyncGenerator<string> {
  for await (const line of lines(res)) {
    if (line.startsWith('data:')) yield line.slice(line.charAt(5) === ' ' ? 6 : 5);
  }
}

export function parseJsonLine<T>(line: string, provider: string): T {
  try {
    return JSON.parse(line) as T;
  } catch {
    throw new UpstreamFailure('Protocol', `${provider} sent a line that is not JSON`);
  }
}

export async function readJson<T>(res: IncomingMessage, provider: string): Promise<T> {
  let out = '';
  res.setEncoding('utf8');
  for await (const c of res as AsyncIterable<string>) out += c;
  return parseJsonLine<T>(out, provider);
}
