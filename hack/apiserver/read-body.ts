/** Request bodies under kube-apiserver's size limit. */
import type { IncomingMessage } from 'node:http';
import { readLimitedBody } from '../../operators/runtime/limited-body.js';
import { tooLarge } from './errors.js';

/**
 * What Go's net/http server still reads of a body the handler left unread before it answers
 * `Connection: close` instead (net/http's maxPostHandlerReadBytes, 256 KiB).
 */
export const MAX_POST_HANDLER_DRAIN = 256 << 10;

/**
 * Reads the whole body, failing with 413 RequestEntityTooLarge beyond `limit` bytes once limit+1
 * bytes have arrived (readLimitedBody). The server's listener drains the rest; when more than
 * {@link MAX_POST_HANDLER_DRAIN} is declared to remain, the 413 says `Connection: close`, as Go's
 * server does after kube-apiserver's handler. A chunked body's remainder is unknown: it is drained.
 */
export async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const r = await readLimitedBody(req, limit);
  if (r.ok) return r.body;
  throw r.remaining > MAX_POST_HANDLER_DRAIN ? tooLarge(limit, { Connection: 'close' }) : tooLarge(limit);
}
