// Shared plumbing for the fake model servers: an HTTP server on loopback that records every
// request, parses JSON bodies, applies fault injection and writes streamed answers.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** Faults a test can switch on at any time; all are off by default. */
export interface Faults {
  /** Probability (0..1) that a request fails with `errorStatus`. Deterministic per server (seeded). */
  errorRate?: number;
  /** The next N requests fail with `errorStatus`, then the server behaves again. */
  failNext?: number;
  /** Status code for injected failures (default 500). */
  errorStatus?: number;
  /** Delay before the first chunk (streamed) or the whole body (not streamed), in milliseconds. */
  firstTokenDelayMs?: number;
  /** Destroy the connection after writing this many chunks of a streamed answer. */
  disconnectAfterChunks?: number;
  /** Ollama only: the next N pulls fail mid-download. */
  failNextPulls?: number;
  /** Ollama only: the next N pulls of each model (normalized name, e.g. `nomic-embed-text:latest`) fail mid-download. */
  failPullsOf?: Record<string, number>;
}

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  body: string;
  at: Date;
  /** When the server began its answer (status line and headers); unset while it has sent nothing. */
  answeredAt?: Date;
}

export interface FakeServer {
  url: string;
  port: number;
  /** Every request received, in order, including rejected ones. */
  requests: RecordedRequest[];
  /** Replaces the active faults (pass `{}` to switch them off). */
  setFaults(faults: Faults): void;
  close(): Promise<void>;
}

/** What a provider's handler gets for one request. */
export interface FakeRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: http.IncomingHttpHeaders;
  raw: string;
  /** The parsed JSON body; undefined when the body is empty or not JSON. */
  json: unknown;
  jsonError?: string;
}

export interface FakeContext {
  req: FakeRequest;
  res: http.ServerResponse;
  /** The live faults; handlers may consume counters (e.g. failNextPulls). */
  readonly faults: Faults;
  /** Sends a JSON body with the given status (after the first-token delay fault). */
  json(status: number, body: unknown): Promise<void>;
  /** Starts a streamed answer; chunks go through the delay and disconnect faults. */
  stream(contentType: string): ChunkWriter;
  /** Sends the provider's error body for an injected or real failure. */
  error(status: number, message: string): Promise<void>;
}

export interface ChunkWriter {
  /** Writes one chunk; false when the connection was cut (by a fault or by the client). */
  write(chunk: string): Promise<boolean>;
  end(): void;
}

export interface FakeServerOptions {
  host?: string;
  port?: number;
  faults?: Faults;
  /** The provider's error body for a status and message (each API has its own shape). */
  errorBody(status: number, message: string): unknown;
  handle(ctx: FakeContext): Promise<void>;
  /** Called once per finished request, e.g. to append a server log line. */
  onRequest?(entry: { method: string; path: string; status: number; ms: number; remote?: string }): void;
  /** Seed for the deterministic error-rate generator. */
  seed?: number;
}

const MAX_BODY_BYTES = 16 * 1024 * 1024;

/** mulberry32: tiny deterministic PRNG so error-rate tests are reproducible. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Decides whether an injected failure applies to this request; consumes `failNext`. */
export function takeInjectedFailure(faults: Faults, random: () => number): number | undefined {
  const status = faults.errorStatus ?? 500;
  if (faults.failNext && faults.failNext > 0) {
    faults.failNext -= 1;
    return status;
  }
  if (faults.errorRate && faults.errorRate > 0 && random() < faults.errorRate) return status;
  return undefined;
}

export async function startFakeHttpServer(opts: FakeServerOptions): Promise<FakeServer> {
  let faults: Faults = { ...(opts.faults ?? {}) };
  const random = seededRandom(opts.seed ?? 1);
  const requests: RecordedRequest[] = [];
  const sockets = new Set<import('node:net').Socket>();

  const server = http.createServer((req, res) => {
    const started = Date.now();
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) tooLarge = true;
      else chunks.push(c);
    });
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://fake.invalid');
      const raw = Buffer.concat(chunks).toString('utf8');
      const recorded: RecordedRequest = {
        method: req.method ?? 'GET',
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        headers: flattenHeaders(req.headers),
        body: raw,
        at: new Date(),
      };
      requests.push(recorded);
      // Every answer starts with writeHead (an implicit header from write/end calls it too), so
      // tests can tell whether a client gave up before the server had sent anything.
      const writeHead = res.writeHead.bind(res) as (...a: unknown[]) => http.ServerResponse;
      res.writeHead = ((...a: unknown[]) => {
        recorded.answeredAt ??= new Date();
        return writeHead(...a);
      }) as typeof res.writeHead;
      res.on('close', () =>
        opts.onRequest?.({ method: req.method ?? 'GET', path: url.pathname, status: res.statusCode, ms: Date.now() - started, remote: remoteOf(req.socket) }),
      );
      let json: unknown;
      let jsonError: string | undefined;
      if (raw.length > 0) {
        try {
          json = JSON.parse(raw);
        } catch (e) {
          jsonError = (e as Error).message;
        }
      }
      const ctx = makeContext(
        { method: req.method ?? 'GET', path: url.pathname, query: url.searchParams, headers: req.headers, raw, json, jsonError },
        res,
        () => faults,
        opts.errorBody,
      );
      const run = async (): Promise<void> => {
        if (tooLarge) return ctx.error(413, 'request body too large');
        const injected = takeInjectedFailure(faults, random);
        if (injected !== undefined) return ctx.error(injected, `injected failure (status ${injected})`);
        await opts.handle(ctx);
      };
      run().catch((err: unknown) => {
        if (!res.headersSent) {
          res.writeHead(500, { 'content-type': 'application/json' });
          res.end(JSON.stringify(opts.errorBody(500, (err as Error).message)));
        } else res.destroy();
      });
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const host = opts.host ?? '127.0.0.1';
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    requests,
    setFaults(f: Faults) {
      faults = { ...f };
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** `host:port` of the client, as access logs print it. */
function remoteOf(s: import('node:net').Socket): string | undefined {
  if (!s.remoteAddress) return undefined;
  return `${s.remoteAddress.startsWith('::ffff:') ? s.remoteAddress.slice(7) : s.remoteAddress}:${s.remotePort}`;
}

function flattenHeaders(h: http.IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

function makeContext(
  req: FakeRequest,
  res: http.ServerResponse,
  getFaults: () => Faults,
  errorBody: (status: number, message: string) => unknown,
): FakeContext {
  const delayFirst = async (): Promise<void> => {
    const ms = getFaults().firstTokenDelayMs;
    if (ms && ms > 0) await sleep(ms);
  };
  const json = async (status: number, body: unknown): Promise<void> => {
    await delayFirst();
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  };
  return {
    req,
    res,
    get faults() {
      return getFaults();
    },
    json,
    error: (status, message) => json(status, errorBody(status, message)),
    stream(contentType: string): ChunkWriter {
      let written = 0;
      let cut = false;
      res.on('close', () => {
        if (!res.writableFinished) cut = true;
      });
      return {
        async write(chunk: string): Promise<boolean> {
          if (cut || res.destroyed) return false;
          if (written === 0) {
            await delayFirst();
            if (res.destroyed) return false;
            res.writeHead(200, { 'content-type': contentType, 'cache-control': 'no-cache', 'transfer-encoding': 'chunked' });
          }
          const limit = getFaults().disconnectAfterChunks;
          if (limit !== undefined && written >= limit) {
            cut = true;
            res.destroy();
            return false;
          }
          written += 1;
          // Wait for the chunk to reach the socket, so a later injected disconnect cuts after it.
          await new Promise<void>((resolve) => res.write(chunk, () => resolve()));
          return true;
        },
        end(): void {
          if (cut || res.destroyed) return;
          if (!res.headersSent) res.writeHead(200, { 'content-type': contentType });
          res.end();
        },
      };
    },
  };
}

/** Rough token estimate used by every fake: about four characters per token, at least one. */
export function estimateTokens(text: string): number {
  return Math.max(1, Math.ceil(text.length / 4));
}
