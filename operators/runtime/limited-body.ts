/** A request body read up to a size limit, answered the way kube-apiserver and Go's net/http leave the connection usable. */
import type { IncomingMessage } from 'node:http';

/** The body, or how much is declared to remain unread past limit+1 bytes (NaN: chunked, unknown). */
export type LimitedBody = { ok: true; body: Buffer } | { ok: false; remaining: number };

/**
 * Reads a request body of at most `limit` bytes without buffering more. An over-large body is
 * reported only once limit+1 bytes have arrived, even when the declared Content-Length is already
 * over the limit, as kube-apiserver's limitedReadBody (an io.LimitedReader of limit+1 bytes) does:
 * answering while the client is still writing can cost the client its connection (EPIPE, before
 * it reads the answer; nodejs/node#12339). The rest is left to the caller to drain (the stream
 * keeps flowing) or to close. Rejects only on a stream error.
 */
export function readLimitedBody(req: IncomingMessage, limit: number): Promise<LimitedBody> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? Number.NaN);
    const keep = !(declared > limit);
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const onData = (c: Buffer): void => {
      size += c.length;
      if (size > limit) {
        done = true;
        req.off('data', onData);
        chunks.length = 0;
        resolve({ ok: false, remaining: declared - size });
        return;
      }
      if (keep) chunks.push(c);
    };
    req.on('data', onData);
    req.on('end', () => {
      if (done) return;
      done = true;
      resolve({ ok: true, body: Buffer.concat(chunks) });
    });
    req.on('error', (err) => {
      if (done) return;
      done = true;
      req.off('data', onData);
      reject(err);
    });
  });
}
