import http from 'node:http';
import https from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';

/**
 * Raw HTTP access to the API server, authenticated from the kubeconfig. Conformance tests
 * use it where a typed client would hide what is under test: status codes, content types,
 * Status bodies, headers, malformed bodies and streamed watch events.
 */
export interface RawRequest {
  method?: string;
  /** Path and query, e.g. `/api/v1/namespaces/x/configmaps?dryRun=All`. */
  path: string;
  /** A string is sent as is; anything else is JSON-encoded. */
  body?: unknown;
  /** Default `application/json` when a body is present. */
  contentType?: string;
  accept?: string;
  headers?: Record<string, string>;
  timeoutMs?: number;
}

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  /** Parses the body as JSON; throws naming the request when it is not JSON. */
  json<T = any>(): T;
}

export interface WatchEvent<T = any> {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: T;
}

export interface WatchStream {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** The next event; rejects after `timeoutMs` or when the stream ends first. */
  next(timeoutMs?: number): Promise<WatchEvent>;
  /** Reads events until one satisfies `match`, returning it (earlier events are dropped). */
  until(match: (e: WatchEvent) => boolean, timeoutMs?: number): Promise<WatchEvent>;
  /** Resolves when the server ends the stream. */
  ended: Promise<void>;
  close(): void;
}

async function prepare(kc: KubeConfig, req: RawRequest): Promise<{ url: URL; options: https.RequestOptions; payload?: Buffer }> {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error('kubeconfig has no current cluster');
  const url = new URL(req.path, cluster.server.endsWith('/') ? cluster.server : `${cluster.server}/`);
  // A server URL with a path prefix (rare, but allowed) must keep it.
  const base = new URL(cluster.server);
  if (base.pathname !== '/' && !url.pathname.startsWith(base.pathname)) {
    url.pathname = base.pathname.replace(/\/$/, '') + url.pathname;
  }
  const options: https.RequestOptions = {};
  await kc.applyToHTTPSOptions(options);
  const headers: Record<string, string> = { ...(options.headers as Record<string, string> | undefined) };
  headers.Accept = req.accept ?? 'application/json';
  let payload: Buffer | undefined;
  if (req.body !== undefined) {
    payload = Buffer.from(typeof req.body === 'string' ? req.body : JSON.stringify(req.body));
    headers['Content-Type'] = req.contentType ?? 'application/json';
    headers['Content-Length'] = String(payload.length);
  }
  Object.assign(headers, req.headers);
  options.method = req.method ?? 'GET';
  options.headers = headers;
  return { url, options, payload };
}

function transport(url: URL): typeof https | typeof http {
  return url.protocol === 'https:' ? https : http;
}

export async function rawRequest(kc: KubeConfig, req: RawRequest): Promise<RawResponse> {
  const { url, options, payload } = await prepare(kc, req);
  return new Promise<RawResponse>((resolve, reject) => {
    const r = transport(url).request(url, options, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          text,
          json<T>() {
            try {
              return JSON.parse(text) as T;
            } catch {
              throw new Error(`${options.method} ${req.path} returned ${res.statusCode} with a non-JSON body: ${text.slice(0, 200)}`);
            }
          },
        });
      });
    });
    r.setTimeout(req.timeoutMs ?? 30_000, () => r.destroy(new Error(`${options.method} ${req.path} timed out`)));
    r.on('error', reject);
    r.end(payload);
  });
}

/**
 * Opens a watch (`?watch=1` is added) and exposes its events one by one. The HTTP status is
 * available before any event, so a refused watch (e.g. 410) can be asserted directly.
 */
export async function openWatch(kc: KubeConfig, path: string): Promise<WatchStream> {
  const sep = path.includes('?') ? '&' : '?';
  const { url, options } = await prepare(kc, { path: `${path}${sep}watch=1` });
  return new Promise<WatchStream>((resolve, reject) => {
    const r = transport(url).request(url, options, (res) => {
      const queue: WatchEvent[] = [];
      const waiters: Array<{ resolve: (e: WatchEvent) => void; reject: (err: Error) => void }> = [];
      let finished = false;
      let buffer = '';
      let endResolve!: () => void;
      const ended = new Promise<void>((done) => (endResolve = done));
      const deliver = (e: WatchEvent): void => {
        const w = waiters.shift();
        if (w) w.resolve(e);
        else queue.push(e);
      };
      const finish = (): void => {
        if (finished) return;
        finished = true;
        for (const w of waiters.splice(0)) w.reject(new Error(`watch ${path} ended`));
        endResolve();
      };
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let nl: number;
        while ((nl = buffer.indexOf('\n')) >= 0) {
          const line = buffer.slice(0, nl).trim();
          buffer = buffer.slice(nl + 1);
          if (line) deliver(JSON.parse(line) as WatchEvent);
        }
      });
      res.on('end', () => {
        const rest = buffer.trim();
        if (rest && (res.statusCode ?? 0) >= 300) {
          // A refused watch answers with a plain Status body; present it as the ERROR event
          // a server sends when it refuses inside the stream, so tests can accept either.
          deliver({ type: 'ERROR', object: JSON.parse(rest) });
        } else if (rest) {
          deliver(JSON.parse(rest) as WatchEvent);
        }
        finish();
      });
      res.on('error', finish);
      res.on('close', finish);
      const stream: WatchStream = {
        status: res.statusCode ?? 0,
        headers: res.headers,
        ended,
        next(timeoutMs = 10_000) {
          const queued = queue.shift();
          if (queued) return Promise.resolve(queued);
          if (finished) return Promise.reject(new Error(`watch ${path} ended`));
          return new Promise<WatchEvent>((resolveNext, rejectNext) => {
            const waiter = {
              resolve: (e: WatchEvent) => {
                clearTimeout(timer);
                resolveNext(e);
              },
              reject: (err: Error) => {
                clearTimeout(timer);
                rejectNext(err);
              },
            };
            const timer = setTimeout(() => {
              waiters.splice(waiters.indexOf(waiter), 1);
              rejectNext(new Error(`no watch event on ${path} within ${timeoutMs} ms`));
            }, timeoutMs);
            waiters.push(waiter);
          });
        },
        async until(match, timeoutMs = 10_000) {
          const deadline = Date.now() + timeoutMs;
          for (;;) {
            const e = await stream.next(Math.max(1, deadline - Date.now()));
            if (match(e)) return e;
          }
        },
        close() {
          r.destroy();
          finish();
        },
      };
      resolve(stream);
    });
    r.on('error', reject);
    r.end();
  });
}
