/** Request bodies under kube-apiserver's size limit, read the way Go's net/http leaves the connection usable. */
import type { IncomingMessage } from 'node:http';
import { type ApiError, tooLarge } from './errors.js';

/**
 * What Go's net/http server still reads of a body the handler left unread before it answers
 * `Connection: close` instead (net/http's maxPostHandlerReadBytes, 256 KiB).
 */
export const MAX_POST_HANDLER_DRAIN = 256 << 10;

/**
 * Reads the whole body, failing with 413 RequestEntityTooLarge beyond `limit` bytes without
 * buffering the excess.
 *
 * Like kube-apiserver's limitedReadBody (an io.LimitedReader of limit+1 bytes), it reads up to
 * limit+1 bytes before it answers, even when the declared Content-Length is already over the
 * limit: answering first, while the client is still writing, can cost the client its
 * connection (EPIPE) before it reads the 413. What is left is drained by the caller; when more
 * than {@link MAX_POST_HANDLER_DRAIN} is declared to remain, the 413 says `Connection: close`,
 * as Go's server does.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? Number.NaN);
    const overDeclared = declared > limit;
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (err?: Error): void => {
      if (done) return;
      done = true;
      req.off('data', onData);
      chunks.length = 0;
      if (err) reject(err);
    };
    const onData = (c: Buffer): void => {
      size += c.length;
      if (size > limit) { finish(tooLargeAfter(limit, declared - size)); return; }
      if (!overDeclared) chunks.push(c);
    };
    req.on('data', onData);
    req.on('end', () => {
      if (done) return;
      const body = Buffer.concat(chunks);
      finish();
      resolve(body);
    });
    req.on('error', (err) => finish(err));
  });
}

function tooLargeAfter(limit: number, remaining: number): ApiError {
  // A chunked body's remainder is unknown (NaN): it is drained, as is a small tail.
  return remaining > MAX_POST_HANDLER_DRAIN ? tooLarge(limit, { Connection: 'close' }) : tooLarge(limit);
}
